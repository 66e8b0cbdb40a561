"""The hot table in two files: live (new, claimed) and recently resolved.

A claim must rewrite only the live file; a conversation that changes file is
never lost, whichever write a crash interrupts; and a reader that takes no
lock never sees a conversation twice or not at all.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from storekit import T0 as AT
from storekit import make_message

from askdesk.errors import StoreError
from askdesk.model import Outcome, QuestionType, Status
from askdesk.model import transitions as t
from askdesk.store import TinyDBStore, hot_storage
from askdesk.store import files as store_files
from askdesk.store.hot_storage import recent_path


def claim_by(staff: str) -> Any:
    return lambda c: t.claim(c, staff, AT)


def resolve_by(staff: str) -> Any:
    at = AT + timedelta(minutes=5)
    return lambda c: t.resolve(c, staff, at, Outcome.ANSWERED, QuestionType.POLICY, 2)


def keys_in(file: Path) -> dict[str, str]:
    """Conversation key → status, as the file on disk holds them."""
    if not file.exists():
        return {}
    docs = json.loads(file.read_bytes())["conversations"].values()
    return {doc["key"]: doc["status"] for doc in docs}


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the store replaces, in order."""
    seen: list[Path] = []
    real = store_files.atomic_write

    def noting(path: Path, data: bytes) -> None:
        real(path, data)
        seen.append(path)

    monkeypatch.setattr(store_files, "atomic_write", noting)
    return seen


@pytest.fixture
def desk(tinydb: TinyDBStore) -> TinyDBStore:
    store = tinydb
    store.ingest([make_message(f"q{i}", i) for i in range(4)], AT)
    store.update("demo:q0", claim_by("ana"))
    store.update("demo:q0", resolve_by("ana"))
    store.update("demo:q1", claim_by("ana"))
    return store


def test_each_conversation_sits_in_the_file_of_its_status(desk: TinyDBStore, path: Path) -> None:
    assert keys_in(path) == {"demo:q1": "claimed", "demo:q2": "new", "demo:q3": "new"}
    assert keys_in(recent_path(path)) == {"demo:q0": "resolved"}
    assert {c.key for c in TinyDBStore(path).live()} == {f"demo:q{i}" for i in range(4)}


def test_a_claim_rewrites_only_the_live_file(
    desk: TinyDBStore, path: Path, writes: list[Path]
) -> None:
    desk.update("demo:q2", claim_by("ana"))
    assert writes == [path]


def test_a_resolve_writes_the_recent_file_before_the_live_file_lets_go(
    desk: TinyDBStore, path: Path, writes: list[Path]
) -> None:
    desk.update("demo:q1", resolve_by("ana"))
    assert writes == [recent_path(path), path]
    assert "demo:q1" not in keys_in(path)
    assert keys_in(recent_path(path))["demo:q1"] == "resolved"


def test_a_reopen_writes_the_live_file_before_the_recent_file_lets_go(
    desk: TinyDBStore, path: Path, writes: list[Path]
) -> None:
    desk.ingest([make_message("q0-again", 30, conversation="q0")], AT + timedelta(hours=1))
    # The recent file is written first with nothing to add, so that order holds
    # whatever else a batch brings in; then live; then the copy that left goes.
    assert writes == [recent_path(path), path, recent_path(path)]
    assert keys_in(path)["demo:q0"] == "new"
    assert "demo:q0" not in keys_in(recent_path(path))


def test_a_crash_between_the_two_writes_of_a_resolve_keeps_it_claimed(
    desk: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store_files.atomic_write

    def live_file_fails(file: Path, data: bytes) -> None:
        if file == path:
            raise StoreError("the disk is full")
        real(file, data)

    monkeypatch.setattr(store_files, "atomic_write", live_file_fails)
    with pytest.raises(StoreError):
        desk.update("demo:q1", resolve_by("ana"))
    monkeypatch.setattr(store_files, "atomic_write", real)

    # Two copies on disk; the live one wins: the state before the resolve.
    assert keys_in(path)["demo:q1"] == "claimed"
    assert keys_in(recent_path(path))["demo:q1"] == "resolved"
    for reader in (desk, TinyDBStore(path)):
        live = [c for c in reader.live() if c.key == "demo:q1"]
        assert [(c.status, c.holder) for c in live] == [(Status.CLAIMED, "ana")]

    # The next write puts things straight, and the resolve can be made again.
    TinyDBStore(path).update("demo:q2", claim_by("bob"))
    assert "demo:q1" not in keys_in(recent_path(path))
    desk.update("demo:q1", resolve_by("ana"))
    assert keys_in(recent_path(path))["demo:q1"] == "resolved"
    assert "demo:q1" not in keys_in(path)


def test_a_crash_between_the_writes_of_a_reopen_keeps_the_follow_up(
    desk: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store_files.atomic_write
    recent_writes = 0

    def second_recent_write_fails(file: Path, data: bytes) -> None:
        nonlocal recent_writes
        if file == recent_path(path):
            recent_writes += 1
            if recent_writes == 2:
                raise StoreError("the disk is full")
        real(file, data)

    monkeypatch.setattr(store_files, "atomic_write", second_recent_write_fails)
    with pytest.raises(StoreError):
        desk.ingest([make_message("q0-again", 30, conversation="q0")], AT + timedelta(hours=1))
    monkeypatch.setattr(store_files, "atomic_write", real)

    reader = TinyDBStore(path)
    reopened = [c for c in reader.live() if c.key == "demo:q0"]
    assert [(c.status, len(c.messages)) for c in reopened] == [(Status.NEW, 2)]
    # Delivered again after the error: recognised, not doubled.
    again = reader.ingest([make_message("q0-again", 30, conversation="q0")], AT)
    assert again.duplicates == 1
    reader.update("demo:q2", claim_by("bob"))  # the next write drops the stale copy
    assert "demo:q0" not in keys_in(recent_path(path))
    assert keys_in(path)["demo:q0"] == "new"


def test_a_store_from_before_the_split_is_read_whole_and_split_at_the_first_write(
    path: Path,
) -> None:
    old = TinyDBStore(path)
    old.ingest([make_message("q1"), make_message("q2", 1)], AT)
    old.update("demo:q1", claim_by("ana"))
    old.update("demo:q1", resolve_by("ana"))
    # Put the file back the way the single-file store kept it.
    data = json.loads(path.read_bytes())
    data["conversations"].update(json.loads(recent_path(path).read_bytes())["conversations"])
    store_files.atomic_write(path, store_files.dump(data))
    recent_path(path).unlink()

    store = TinyDBStore(path)
    assert {c.key: c.status for c in store.live()} == {
        "demo:q1": Status.RESOLVED,
        "demo:q2": Status.NEW,
    }
    store.update("demo:q2", claim_by("bob"))
    assert keys_in(path) == {"demo:q2": "claimed"}
    assert keys_in(recent_path(path)) == {"demo:q1": "resolved"}


def test_a_reader_that_meets_a_reopen_half_written_reads_again(
    desk: TinyDBStore, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = TinyDBStore(path)
    reader.live()
    colleague = TinyDBStore(path)
    colleague.update("demo:q2", claim_by("bob"))
    colleague.update("demo:q2", resolve_by("bob"))  # both of the reader's files are stale
    real_load = hot_storage.load
    interfered = False

    def load_then_colleague_reopens(file: Path, *args: Any, **kwargs: Any) -> Any:
        # The reader has read the live file (no q0: it is resolved); before it
        # reads the recent one, a patron writes again and a colleague's process
        # moves q0 to the live file. Mixing the two moments would lose q0.
        nonlocal interfered
        data = real_load(file, *args, **kwargs)
        if not interfered:
            interfered = True
            colleague.ingest([make_message("q0-again", 30, conversation="q0")], AT)
        return data

    monkeypatch.setattr(hot_storage, "load", load_then_colleague_reopens)
    live = reader.live()

    assert interfered
    assert sorted(c.key for c in live) == [f"demo:q{i}" for i in range(4)]
    statuses = {c.key: c.status for c in live}
    assert (statuses["demo:q0"], statuses["demo:q2"]) == (Status.NEW, Status.RESOLVED)
