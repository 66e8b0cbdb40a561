"""Who has a desk open: heartbeats in the store, seen by every process, gone when they stop.

Part of the store contract: every backend runs these.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from storekit import T0, OpenStore, make_message

from askdesk.store import TinyDBStore

WITHIN = timedelta(seconds=30)


def test_every_process_sees_who_is_on_shift_until_their_heartbeats_stop(
    open_store_here: OpenStore,
) -> None:
    ana, bo = open_store_here(), open_store_here()
    ana.heartbeat("ana", "host:1", T0)
    bo.heartbeat("bo", "host:2", T0 + timedelta(seconds=20))
    assert [d.staff for d in ana.on_shift(T0 + timedelta(seconds=25), WITHIN)] == ["ana", "bo"]
    assert [d.staff for d in bo.on_shift(T0 + timedelta(seconds=45), WITHIN)] == ["bo"]
    assert bo.on_shift(T0 + timedelta(seconds=51), WITHIN) == []


def test_a_closed_desk_leaves_the_shift_at_once(open_store_here: OpenStore) -> None:
    store = open_store_here()
    store.heartbeat("ana", "host:1", T0)
    store.heartbeat("ana", "host:2", T0)
    store.end_shift("host:1")
    (left,) = open_store_here().on_shift(T0, WITHIN)
    assert (left.staff, left.holder, left.seen_at) == ("ana", "host:2", T0)


def test_a_heartbeat_does_not_make_desks_reread_the_conversations(
    open_store_here: OpenStore,
) -> None:
    store = open_store_here()
    version = store.version()
    store.heartbeat("ana", "host:1", T0)
    store.end_shift("host:1")
    assert store.version() == version


def test_a_heartbeat_leaves_the_hot_files_alone(path: Path) -> None:
    store = TinyDBStore(path)
    store.ingest([make_message("1")], T0)
    version = store.version()
    store.heartbeat("ana", "host:1", T0)
    assert store.version() == version


def test_a_damaged_presence_file_means_nobody_is_on_shift_until_the_next_heartbeat(
    path: Path,
) -> None:
    store = TinyDBStore(path)
    path.with_name("desk.presence.json").write_text("{not json")
    assert store.on_shift(T0, WITHIN) == []
    store.heartbeat("ana", "host:1", T0)
    assert [d.staff for d in store.on_shift(T0, WITHIN)] == ["ana"]
