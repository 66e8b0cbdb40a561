"""The TinyDB store: dedup, threading, compare-and-set, caching, archives, atomic files."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from storekit import T0, make_message

from askdesk.errors import AlreadyClaimed, NotFound, StoreError, TransitionError
from askdesk.model import Conversation, Outcome, QuestionType, Status
from askdesk.model import transitions as t
from askdesk.store import TinyDBStore, tinydb_store
from askdesk.store import archive as store_archive
from askdesk.store import files as store_files
from askdesk.store.hot_storage import recent_path

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


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith(".tmp"))


# -- ingest ------------------------------------------------------------------


def test_ingest_starts_one_conversation_per_new_message(store: TinyDBStore) -> None:
    batch = [make_message("q1", 1), make_message("q2", 2), make_message("q3", 3)]
    result = store.ingest(batch, AT)
    assert result.added == ["demo:q1", "demo:q2", "demo:q3"]
    assert (result.joined, result.duplicates) == ([], 0)
    live = {c.key: c for c in store.live()}
    assert set(live) == {"demo:q1", "demo:q2", "demo:q3"}
    assert all(c.status is Status.NEW and c.holder is None for c in live.values())
    assert live["demo:q2"].messages == (batch[1],)
    assert [(e.action, e.staff, e.at) for e in live["demo:q2"].events] == [("arrive", t.PATRON, AT)]


def test_ingesting_the_same_batch_twice_changes_nothing(store: TinyDBStore, path: Path) -> None:
    batch = [make_message("q1", 1), make_message("q2", 2, conversation="th")]
    store.ingest(batch, AT)
    before_bytes, before_version, before = path.read_bytes(), store.version(), store.live()

    again = store.ingest(batch, AT + timedelta(minutes=5))

    assert (again.added, again.joined, again.duplicates) == ([], [], 2)
    assert path.read_bytes() == before_bytes
    assert store.version() == before_version
    assert store.live() == before


def test_a_duplicate_inside_one_batch_is_counted_once(store: TinyDBStore) -> None:
    m = make_message("q1", 1)
    result = store.ingest([m, make_message("q2", 2), m], AT)
    assert result.added == ["demo:q1", "demo:q2"]
    assert result.duplicates == 1
    conversation = store.get("demo:q1")
    assert conversation is not None and conversation.messages == (m,)


def test_dedup_is_by_channel_and_remote_id(store: TinyDBStore) -> None:
    result = store.ingest([make_message("q1"), make_message("q1", channel="mastodon")], AT)
    assert result.added == ["demo:q1", "mastodon:q1"]
    assert result.duplicates == 0


def test_a_follow_up_joins_its_conversation_by_conversation_id(store: TinyDBStore) -> None:
    first = make_message("q1", 1, conversation="thread-9")
    store.ingest([first, make_message("other", 2)], AT)
    key = first.conversation_key

    follow_up = make_message("q7", 20, conversation="thread-9")
    result = store.ingest([follow_up], AT + timedelta(minutes=20))

    assert (result.added, result.joined, result.duplicates) == ([], [key], 0)
    conversation = store.get(key)
    assert conversation is not None
    assert conversation.messages == (first, follow_up)
    assert [e.action for e in conversation.events] == ["arrive", "follow-up"]
    assert len(store.live()) == 2


def test_a_thread_that_starts_and_continues_in_one_batch_is_one_conversation(
    store: TinyDBStore,
) -> None:
    batch = [make_message(f"q{i}", i, conversation="th") for i in range(3)]
    result = store.ingest(batch, AT)
    assert result.added == [batch[0].conversation_key]
    assert result.joined == []
    (conversation,) = store.live()
    assert conversation.message_keys() == ("demo:q0", "demo:q1", "demo:q2")


def test_a_follow_up_stays_with_the_holder_or_reopens_a_resolved_conversation(
    store: TinyDBStore,
) -> None:
    store.ingest([make_message("a", conversation="A"), make_message("b", conversation="B")], AT)
    a_key, b_key = make_message("a", conversation="A").conversation_key, "demo:B"
    store.update(a_key, claim_by("alice"))
    store.update(b_key, resolve_by("bob", AT))

    later = AT + timedelta(hours=1)
    result = store.ingest(
        [make_message("a2", 90, conversation="A"), make_message("b2", 90, conversation="B")],
        later,
    )

    assert sorted(result.joined) == sorted([a_key, b_key])
    a, b = store.get(a_key), store.get(b_key)
    assert a is not None and (a.status, a.holder) == (Status.CLAIMED, "alice")
    assert b is not None and (b.status, b.holder) == (Status.NEW, None)
    assert len(b.resolutions) == 1
    assert b.events[-1].action == "reopen"


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


def test_a_batch_whose_cursor_cannot_be_saved_stores_nothing(
    store: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ingest([make_message("q0")], AT, cursor=("demo", "c-0"))
    before = path.read_bytes()
    real_save = store._save_cursor

    def save_then_fail(channel: str, value: str | None) -> None:
        real_save(channel, value)
        raise StoreError("disk full")

    monkeypatch.setattr(store, "_save_cursor", save_then_fail)
    with pytest.raises(StoreError):
        store.ingest([make_message("q1")], AT, cursor=("demo", "c-1"))

    assert path.read_bytes() == before
    assert store.get("demo:q1") is None
    assert store.cursor("demo") == "c-0"
    assert [c.key for c in store.live()] == ["demo:q0"]


def test_processes_saving_cursors_of_different_channels_do_not_collide(path: Path) -> None:
    """Two pollers, each saving its own channels' cursors into one store."""
    a, b = TinyDBStore(path), TinyDBStore(path)
    a.save_cursor("twitter", "t1")
    b.save_cursor("mastodon", "m1")
    a.save_cursor("email", "e1")
    b.save_cursor("bluesky", "b1")
    fresh = TinyDBStore(path)
    assert [fresh.cursor(c) for c in ("twitter", "mastodon", "email", "bluesky")] == [
        "t1",
        "m1",
        "e1",
        "b1",
    ]


# -- update: compare-and-set ---------------------------------------------------


def test_update_applies_a_transition_and_stores_it(store: TinyDBStore, path: Path) -> None:
    store.ingest([make_message("q1")], AT)
    claimed = store.update("demo:q1", claim_by("alice"))
    assert (claimed.status, claimed.holder) == (Status.CLAIMED, "alice")
    assert store.get("demo:q1") == claimed
    assert TinyDBStore(path).get("demo:q1") == claimed


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


def test_compare_and_set_sees_a_claim_made_through_another_store_instance(path: Path) -> None:
    mine, theirs = TinyDBStore(path), TinyDBStore(path)
    mine.ingest([make_message("q1")], AT)
    assert theirs.get("demo:q1") is not None  # theirs now holds a copy in memory
    mine.update("demo:q1", claim_by("alice"))
    with pytest.raises(AlreadyClaimed) as info:
        theirs.update("demo:q1", claim_by("bob"))
    assert info.value.holder == "alice"
    stored = TinyDBStore(path).get("demo:q1")
    assert stored is not None and stored.holder == "alice"


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


def test_update_of_an_unknown_key_is_not_found(store: TinyDBStore) -> None:
    with pytest.raises(NotFound, match="demo:nope"):
        store.update("demo:nope", claim_by("alice"))
    store.ingest([make_message("q1")], AT)
    with pytest.raises(NotFound):
        store.update("demo:nope", claim_by("alice"))
    assert store.get("demo:nope") is None


def test_lookups_work_by_conversation_key_and_by_any_message_key(store: TinyDBStore) -> None:
    first, second = (
        make_message("q1", 1, conversation="th"),
        make_message("q2", 2, conversation="th"),
    )
    store.ingest([first, make_message("x")], AT)
    store.ingest([second], AT)
    by_conversation = store.get(first.conversation_key)
    assert by_conversation is not None
    assert store.get(first.key) == by_conversation == store.get(second.key)
    assert by_conversation.message_keys() == (first.key, second.key)
    # A transition addressed by a message key changes its conversation.
    store.update(second.key, claim_by("alice"))
    updated = store.get(first.conversation_key)
    assert updated is not None and updated.holder == "alice"


# -- reading from memory, seeing other processes --------------------------------


def test_live_reflects_what_another_store_instance_writes(path: Path) -> None:
    mine, theirs = TinyDBStore(path), TinyDBStore(path)
    assert mine.live() == []
    theirs.ingest([make_message("q1"), make_message("q2")], AT)
    assert sorted(c.key for c in mine.live()) == ["demo:q1", "demo:q2"]
    version = mine.version()
    theirs.update("demo:q2", claim_by("bob"))
    assert mine.version() != version
    assert {c.key: c.holder for c in mine.live()} == {"demo:q1": None, "demo:q2": "bob"}
    got = mine.get("demo:q2")
    assert got is not None and got.holder == "bob"


def test_reads_are_served_from_memory_while_the_file_is_unchanged(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = TinyDBStore(path)
    writer.ingest([make_message(f"q{i}", i) for i in range(50)], AT)
    store = TinyDBStore(path)
    store.live()
    loads = store._storage.loads
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
    assert store._storage.loads == loads

    # Another process writes: exactly one re-parse, then memory again.
    writer.update("demo:q3", claim_by("bob"))
    for _ in range(100):
        store.live()
        store.get("demo:q3")
    assert store._storage.loads == loads + 1

    # This process's own writes keep memory and file in step: no re-parse.
    store.update("demo:q4", claim_by("alice"))
    for _ in range(100):
        store.live()
    assert store._storage.loads == loads + 1
    assert {c.key: c.holder for c in store.live()}["demo:q4"] == "alice"


def test_get_is_consistent_when_another_process_writes_during_the_lookup(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process archives the conversation right after this one found it."""
    reader, other = TinyDBStore(path), TinyDBStore(path)
    other.ingest([make_message("q1"), make_message("q2")], MAY)
    resolved = other.update("demo:q2", resolve_by("bob", APRIL))
    real_fresh_index = reader._fresh_index

    def index_then_other_process_writes(*args: Any) -> Any:
        index = real_fresh_index(*args)
        if other.archive_resolved(before=MAY) != 1:
            raise AssertionError("the other process should have archived demo:q2")
        return index

    monkeypatch.setattr(reader, "_fresh_index", index_then_other_process_writes)
    assert reader.get("demo:q2") == resolved


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


def test_staff_can_reopen_an_archived_conversation(history: TinyDBStore, path: Path) -> None:
    history.archive_resolved(before=datetime(2024, 5, 1, tzinfo=UTC))
    reopened = history.update("demo:apr", lambda c: t.reopen(c, "bob", MAY))
    assert reopened.status is Status.NEW
    assert "demo:apr" in hot_keys(path)
    assert history.get("demo:apr") == reopened
    assert Counter(c.key for c in history.history()) == Counter(ALL)


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
    history: TinyDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Month files and the index are read-modify-written: unlocked, a concurrent
    archiving process could lose conversations."""
    unlocked: list[Path] = []
    written: list[Path] = []
    real_write = store_files.atomic_write

    def checked_write(p: Path, data: bytes) -> None:
        written.append(p)
        if not history._file_lock.is_locked:
            unlocked.append(p)
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
