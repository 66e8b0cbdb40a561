"""What is particular to the TinyDB store's files: one replace per change, the cache,
monthly archive files, atomic writes. What every backend promises is in test_contract.py."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock, Timeout
from storekit import T0, make_message

from askdesk.errors import AlreadyClaimed, StoreError, TransitionError
from askdesk.model import Conversation, Outcome, QuestionType, Status
from askdesk.model import transitions as t
from askdesk.store import TinyDBStore, hot_storage, tinydb_store
from askdesk.store import archive as store_archive
from askdesk.store import files as store_files
from askdesk.store.hot_storage import HotStorage, recent_path

AT = T0 + timedelta(hours=1)


def claim_by(staff: str, at: datetime = AT) -> Any:
    return lambda c: t.claim(c, staff, at)


def resolve_by(staff: str, at: datetime) -> Any:
    return lambda c: t.resolve(c, staff, at, Outcome.ANSWERED, QuestionType.POLICY, 2)


def hot_keys(path: Path) -> set[str]:
    """The conversation keys in the two hot files, read the way any other tool would."""
    keys: set[str] = set()
    for file in (path, recent_path(path)):
        if file.exists():
            keys |= {doc["key"] for doc in json.loads(file.read_bytes())["conversations"].values()}
    return keys


@pytest.fixture
def store(tinydb: TinyDBStore) -> TinyDBStore:
    """These tests are about TinyDB's files: no other backend."""
    return tinydb


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith(".tmp"))


# -- ingest ------------------------------------------------------------------


def test_ingesting_the_same_batch_twice_changes_nothing(store: TinyDBStore, path: Path) -> None:
    batch = [make_message("q1", 1), make_message("q2", 2, conversation="th")]
    store.ingest(batch, AT)
    before_bytes, before_version, before = path.read_bytes(), store.version(), store.live()

    again = store.ingest(batch, AT + timedelta(minutes=5))

    assert (again.added, again.joined, again.duplicates) == ([], [], 2)
    assert path.read_bytes() == before_bytes
    assert store.version() == before_version
    assert store.live() == before


# -- cursors -----------------------------------------------------------------


def test_the_cursor_is_saved_with_the_batch_and_read_back(
    store: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[Path] = []
    real_write = store_files.atomic_write
    monkeypatch.setattr(
        store_files, "atomic_write", lambda p, data: (writes.append(p), real_write(p, data))
    )

    store.ingest([make_message("q1")], AT, cursor=("demo", "c-1"))

    assert writes == [path]  # messages and cursor: one replace of the hot file
    assert store.cursor("demo") == "c-1"
    assert store.cursor("mastodon") is None
    other = TinyDBStore(path)
    assert other.cursor("demo") == "c-1"

    store.ingest([], AT, cursor=("demo", "c-2"))
    store.ingest([make_message("m1", channel="mastodon")], AT, cursor=("mastodon", "x"))
    assert (store.cursor("demo"), store.cursor("mastodon")) == ("c-2", "x")
    assert (other.cursor("demo"), other.cursor("mastodon")) == ("c-2", "x")
    cursors = json.loads(path.read_bytes())["cursors"].values()
    assert sorted(d["channel"] for d in cursors) == ["demo", "mastodon"]


def test_a_batch_whose_write_fails_stores_neither_messages_nor_cursor(
    store: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ingest([make_message("q0")], AT, cursor=("demo", "c-0"))
    before = path.read_bytes()

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_files.os, "fsync", no_space)
    with pytest.raises(StoreError):
        store.ingest([make_message("q1")], AT, cursor=("demo", "c-1"))
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert store.get("demo:q1") is None
    assert store.cursor("demo") == "c-0"
    assert [c.key for c in store.live()] == ["demo:q0"]


# -- update: compare-and-set ---------------------------------------------------


def test_a_second_claim_is_told_who_won_and_changes_nothing(store: TinyDBStore, path: Path) -> None:
    store.ingest([make_message("q1")], AT)
    store.update("demo:q1", claim_by("alice"))
    before = path.read_bytes()
    with pytest.raises(AlreadyClaimed) as info:
        store.update("demo:q1", claim_by("bob"))
    assert info.value.holder == "alice"
    assert path.read_bytes() == before
    stored = store.get("demo:q1")
    assert stored is not None and [e.action for e in stored.events] == ["arrive", "claim"]


def test_a_refused_change_leaves_memory_and_file_as_they_were(
    store: TinyDBStore, path: Path
) -> None:
    store.ingest([make_message("q1")], AT)
    before = path.read_bytes()
    with pytest.raises(TransitionError):
        store.update("demo:q1", lambda c: t.note(t.claim(c, "alice", AT), "alice", AT, "   "))
    assert path.read_bytes() == before
    stored = store.get("demo:q1")
    assert stored is not None and (stored.status, len(stored.events)) == (Status.NEW, 1)
    assert store.live() == [stored]


# -- reading from memory, seeing other processes --------------------------------


def test_reads_are_served_from_memory_while_the_file_is_unchanged(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = TinyDBStore(path)
    writer.ingest([make_message(f"q{i}", i) for i in range(50)], AT)
    parsed: list[Path] = []
    real_load = hot_storage.load
    monkeypatch.setattr(
        hot_storage, "load", lambda p, *a, **k: (parsed.append(p), real_load(p, *a, **k))[1]
    )
    store = TinyDBStore(path)
    store.live()
    loads = parsed.count(path)
    assert loads >= 1

    decoded = 0
    real_from_dict = tinydb_store.from_dict

    def counting_from_dict(doc: dict[str, Any]) -> Conversation:
        nonlocal decoded
        decoded += 1
        return real_from_dict(doc)

    monkeypatch.setattr(tinydb_store, "from_dict", counting_from_dict)
    for _ in range(100):
        assert len(store.live()) == 50
        store.version()
    assert decoded == 0  # live() keeps its decoded list while the file is unchanged
    for i in range(100):
        assert store.get(f"demo:q{i % 50}") is not None
        assert "demo:nope" not in {c.key for c in store.live()}
    assert parsed.count(path) == loads

    # Another process writes: exactly one re-parse, then memory again.
    writer.update("demo:q3", claim_by("bob"))
    for _ in range(100):
        store.live()
        store.get("demo:q3")
    assert parsed.count(path) == loads + 1

    # This process's own writes keep memory and file in step: no re-parse.
    store.update("demo:q4", claim_by("alice"))
    for _ in range(100):
        store.live()
    assert parsed.count(path) == loads + 1
    assert {c.key: c.holder for c in store.live()}["demo:q4"] == "alice"


def test_get_is_consistent_when_another_process_writes_during_the_lookup(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process archives the conversation right after this one found it."""
    reader, other = TinyDBStore(path), TinyDBStore(path)
    other.ingest([make_message("q1"), make_message("q2")], MAY)
    resolved = other.update("demo:q2", resolve_by("bob", APRIL))
    real_read = HotStorage.read
    armed = False

    def read_then_other_process_writes(self: HotStorage) -> Any:
        nonlocal armed
        data = real_read(self)
        if armed:
            armed = False
            if other.archive_resolved(before=MAY) != 1:
                raise AssertionError("the other process should have archived demo:q2")
        return data

    monkeypatch.setattr(HotStorage, "read", read_then_other_process_writes)
    armed = True
    assert reader.get("demo:q2") == resolved
    assert not armed


# -- archives ------------------------------------------------------------------

MARCH = datetime(2024, 3, 10, 9, 0, tzinfo=UTC)
APRIL = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
MAY = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def history(store: TinyDBStore) -> TinyDBStore:
    """Two old resolved conversations (March, April), one resolved today, one claimed, one new."""
    store.ingest(
        [
            make_message("mar", received_at=MARCH - timedelta(hours=1), conversation="M"),
            make_message("apr", received_at=APRIL - timedelta(hours=1)),
            make_message("may", received_at=MAY - timedelta(hours=1)),
            make_message("busy", received_at=MAY),
            make_message("fresh", received_at=MAY),
        ],
        MARCH,
    )
    store.update("demo:M", resolve_by("alice", MARCH))
    store.update("demo:apr", resolve_by("bob", APRIL))
    store.update("demo:may", resolve_by("bob", MAY))
    store.update("demo:busy", claim_by("carol", MAY))
    return store


ALL = {"demo:M", "demo:apr", "demo:may", "demo:busy", "demo:fresh"}


def test_archive_moves_old_resolved_conversations_to_monthly_files(
    history: TinyDBStore, path: Path
) -> None:
    before = {key: history.get(key) for key in ALL}

    assert history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC)) == 2

    folder = path.parent / "desk.archive"
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".gen")) == [
        "2024-03.json",
        "2024-04.json",
        "index.json",
    ]
    assert set(json.loads((folder / "2024-03.json").read_bytes())) == {"demo:M"}
    assert set(json.loads((folder / "2024-04.json").read_bytes())) == {"demo:apr"}
    assert hot_keys(path) == {"demo:may", "demo:busy", "demo:fresh"}
    assert {c.key for c in history.live()} == {"demo:may", "demo:busy", "demo:fresh"}
    # Still found, unchanged, by conversation key and by message key, from any process.
    for s in (history, TinyDBStore(path)):
        assert {key: s.get(key) for key in ALL} == before
        assert s.get("demo:mar") == before["demo:M"]
        keys = Counter(c.key for c in s.history())
        assert keys == Counter(ALL)
    assert history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC)) == 0


def test_archive_keeps_recent_and_open_conversations_hot(history: TinyDBStore, path: Path) -> None:
    assert history.archive_resolved(before=datetime(2024, 4, 1, tzinfo=UTC)) == 1
    assert hot_keys(path) == ALL - {"demo:M"}
    assert history.archive_resolved(before=datetime(2030, 1, 1, tzinfo=UTC)) == 2
    assert hot_keys(path) == {"demo:busy", "demo:fresh"}
    assert Counter(c.key for c in history.history()) == Counter(ALL)


def test_a_follow_up_brings_an_archived_conversation_back_reopened(
    history: TinyDBStore, path: Path
) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    old = history.get("demo:M")
    assert old is not None

    follow_up = make_message("mar-2", conversation="M", received_at=MAY)
    result = history.ingest([follow_up], MAY)

    assert (result.added, result.joined, result.duplicates) == ([], ["demo:M"], 0)
    assert "demo:M" in hot_keys(path)
    folder = path.parent / "desk.archive"
    assert "demo:M" not in json.loads((folder / "2024-03.json").read_bytes())
    back = history.get("demo:M")
    assert back is not None
    assert (back.status, back.holder) == (Status.NEW, None)
    assert back.resolutions == old.resolutions
    assert back.messages == (*old.messages, follow_up)
    assert back.events[: len(old.events)] == old.events
    assert back.events[-1].action == "reopen"
    assert back.waiting_since == MAY
    assert "demo:M" in {c.key for c in history.live()}
    assert Counter(c.key for c in history.history()) == Counter(ALL)
    # And it can be handled again like any live conversation.
    history.update("demo:mar-2", claim_by("dave", MAY))
    again = TinyDBStore(path).get("demo:mar")
    assert again is not None and again.holder == "dave"


def test_dedup_recognises_archived_messages(history: TinyDBStore, path: Path) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    before = path.read_bytes()
    result = history.ingest(
        [
            make_message("mar", received_at=MARCH - timedelta(hours=1), conversation="M"),
            make_message("apr", received_at=APRIL - timedelta(hours=1)),
        ],
        MAY,
    )
    assert (result.added, result.joined, result.duplicates) == ([], [], 2)
    assert path.read_bytes() == before
    assert hot_keys(path) == {"demo:may", "demo:busy", "demo:fresh"}


def test_archive_files_are_written_under_the_store_lock(
    history: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Month files and the index are read-modify-written: unlocked, a concurrent
    archiving process could lose conversations."""
    unlocked: list[Path] = []
    written: list[Path] = []
    real_write = store_files.atomic_write

    def checked_write(p: Path, data: bytes) -> None:
        written.append(p)
        try:
            with FileLock(f"{path}.lock", timeout=0):
                unlocked.append(p)  # another process could have taken the lock
        except Timeout:
            pass
        real_write(p, data)

    monkeypatch.setattr(store_files, "atomic_write", checked_write)
    monkeypatch.setattr(store_archive, "atomic_write", checked_write)  # month files
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    history.ingest([make_message("mar-2", conversation="M", received_at=MAY)], MAY)
    history.update("demo:apr", lambda c: t.reopen(c, "bob", MAY))
    assert unlocked == []
    assert len(written) >= 7  # months + index on archive, then month + index twice


# -- atomic files ----------------------------------------------------------------


def test_writes_leave_no_temporary_files(history: TinyDBStore, path: Path) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    history.ingest([make_message("mar-2", conversation="M", received_at=MAY)], MAY)
    history.update("demo:fresh", claim_by("dan", MAY))
    assert leftovers(path.parent) == []
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "desk.archive",
        "desk.json",
        "desk.json.gen",
        "desk.json.lock",
        "desk.recent.json",
        "desk.recent.json.gen",
    ]


def test_a_failed_write_leaves_the_old_file_no_temporary_file_and_no_phantom_change(
    store: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ingest([make_message("q1")], AT)
    before = path.read_bytes()

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_files.os, "fsync", no_space)
    with pytest.raises(StoreError) as info:
        store.update("demo:q1", claim_by("alice"))
    monkeypatch.undo()
    assert str(path) in str(info.value)

    assert path.read_bytes() == before
    assert leftovers(path.parent) == []
    stored = store.get("demo:q1")
    assert stored is not None and stored.status is Status.NEW
    assert store.update("demo:q1", claim_by("alice")).holder == "alice"


def test_the_file_is_replaced_whole_never_written_in_place(
    store: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every change reaches the store file by an atomic rename of a complete file."""
    replaced: list[Path] = []
    real_replace = os.replace

    def checked_replace(src: Any, dst: Any) -> None:
        src, dst = Path(src), Path(dst)
        json.loads(src.read_bytes())  # the new file is complete before it takes the name
        if dst.exists():
            json.loads(dst.read_bytes())  # and the old one was never touched
        replaced.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(store_files.os, "replace", checked_replace)
    store.ingest([make_message(f"q{i}") for i in range(5)], AT, cursor=("demo", "c"))
    for i in range(5):
        store.update(f"demo:q{i}", claim_by("alice"))
    assert replaced == [path] * 6


def test_a_reader_never_sees_a_torn_file(path: Path) -> None:
    """Another tool reading the file while askdesk writes it always gets valid JSON."""
    writer = TinyDBStore(path)
    writer.ingest([make_message(f"q{i}", i) for i in range(100)], AT)
    done = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for i in range(40):
                writer.update(f"demo:q{i}", claim_by("alice"))
        except BaseException as error:  # reported below
            failures.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    seen: set[int] = set()
    while not done.is_set():
        data = json.loads(path.read_bytes())
        seen.add(sum(d["holder"] == "alice" for d in data["conversations"].values()))
    thread.join()
    assert failures == []
    assert len(seen) > 1  # the reader did overlap the writes
    final = json.loads(path.read_bytes())
    assert sum(d["holder"] == "alice" for d in final["conversations"].values()) == 40
