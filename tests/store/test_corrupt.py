"""A damaged store is reported with its path and a way out, and never replaced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from storekit import T0, make_message

from askdesk.errors import AskdeskError, StoreError
from askdesk.model import Outcome, QuestionType
from askdesk.model import transitions as t
from askdesk.store import TinyDBStore

AT = T0 + timedelta(hours=1)


def valid_store_bytes(path: Path) -> bytes:
    store = TinyDBStore(path)
    store.ingest([make_message(f"q{i}", i) for i in range(3)], AT, cursor=("demo", "c"))
    store.close()
    return path.read_bytes()


def damage(kind: str, good: bytes) -> bytes:
    return {
        "truncated": good[: len(good) // 2],
        "garbage": b"\x00\x13this is not JSON at all \xff\xfe",
        "empty": b"",
        "array": b'[{"conversations": {}}]',
        "not-records": b'{"conversations": [1, 2, 3]}',
        "scalar": b"42",
    }[kind]


KINDS = ["truncated", "garbage", "empty", "array", "not-records", "scalar"]


def assert_explains(error: StoreError, path: Path) -> None:
    message = str(error)
    assert str(path) in message
    assert "move it aside" in message
    assert "restore" in message
    assert "\n" not in message  # one plain sentence, not a dump
    assert isinstance(error, AskdeskError)


def folder_listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", KINDS)
def test_opening_a_damaged_store_explains_the_way_out_and_touches_nothing(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "desk.json"
    bad = damage(kind, valid_store_bytes(path))
    path.write_bytes(bad)
    before = folder_listing(tmp_path)

    with pytest.raises(StoreError) as info:
        TinyDBStore(path)

    assert_explains(info.value, path)
    assert folder_listing(tmp_path) == before
    assert path.read_bytes() == bad


@pytest.mark.parametrize("kind", ["truncated", "garbage", "array"])
def test_a_store_damaged_while_open_is_reported_and_never_overwritten(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "desk.json"
    store = TinyDBStore(path)
    store.ingest([make_message(f"q{i}", i) for i in range(3)], AT)
    assert len(store.live()) == 3
    bad = damage(kind, path.read_bytes())
    path.write_bytes(bad)  # e.g. a hand edit, or another tool

    attempts = [
        store.live,
        lambda: store.get("demo:q1"),
        lambda: store.update("demo:q1", lambda c: t.claim(c, "alice", AT)),
        lambda: store.ingest([make_message("q9")], AT, cursor=("demo", "c2")),
        lambda: store.archive_resolved(datetime(2030, 1, 1, tzinfo=UTC)),
    ]
    for attempt in attempts:
        with pytest.raises(StoreError) as info:
            attempt()
        assert_explains(info.value, path)
        assert path.read_bytes() == bad
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_malformed_conversation_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "desk.json"
    bad = b'{"conversations": {"1": {"key": "demo:q1", "status": "maybe"}}, "cursors": {}}'
    path.write_bytes(bad)
    with pytest.raises(StoreError) as info:
        TinyDBStore(path)  # reported on opening, with the file that holds it
    assert "malformed" in str(info.value)
    assert str(path) in str(info.value)
    assert path.read_bytes() == bad


@pytest.fixture
def archived(tmp_path: Path) -> tuple[TinyDBStore, Path]:
    path = tmp_path / "desk.json"
    store = TinyDBStore(path)
    old = datetime(2024, 3, 10, tzinfo=UTC)
    store.ingest([make_message("old", received_at=old)], old)
    store.update(
        "demo:old", lambda c: t.resolve(c, "alice", old, Outcome.ANSWERED, QuestionType.OTHER, 1)
    )
    assert store.archive_resolved(datetime(2024, 5, 1, tzinfo=UTC)) == 1
    return store, tmp_path / "desk.archive"


READERS = {
    # Each of these has to read that file to answer.
    "index.json": {
        "get": lambda store: store.get("demo:old"),
        "dedup": lambda store: store.ingest([make_message("old", received_at=T0)], AT),
    },
    "2024-03.json": {
        "get": lambda store: store.get("demo:old"),
        "history": lambda store: list(store.history()),
    },
}


@pytest.mark.parametrize(
    ("name", "reader"),
    [(name, reader) for name, readers in READERS.items() for reader in readers],
)
@pytest.mark.parametrize("kind", ["truncated", "garbage", "array"])
def test_a_damaged_archive_file_is_reported_with_its_path(
    archived: tuple[TinyDBStore, Path], name: str, reader: str, kind: str
) -> None:
    store, folder = archived
    target = folder / name
    bad = damage(kind, target.read_bytes())
    target.write_bytes(bad)
    before = folder_listing(folder)

    for s in (store, TinyDBStore(store.path)):  # a warm cache and a cold one
        with pytest.raises(StoreError) as info:
            READERS[name][reader](s)
        assert_explains(info.value, target)
    assert folder_listing(folder) == before


def test_a_record_number_that_is_no_number_is_a_store_error_naming_the_file(
    tmp_path: Path,
) -> None:
    # "²" passes str.isdigit() but not int(): a hand-edited file raised ValueError.
    path = tmp_path / "desk.json"
    store = TinyDBStore(path)
    store.ingest([make_message("q1")], AT)
    store.close()
    bad = path.read_bytes().replace(b'{"conversations":{"1":', b'{"conversations":{"\\u00b2":')
    assert bad != path.read_bytes()
    path.write_bytes(bad)
    store = TinyDBStore(path)
    with pytest.raises(StoreError) as info:
        store.update("demo:q1", lambda c: t.claim(c, "ana", AT))
    assert "malformed" in str(info.value)
    assert str(path) in str(info.value)
    assert path.read_bytes() == bad
