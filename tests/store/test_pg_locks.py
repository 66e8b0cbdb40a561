"""A colleague's change left half-done on PostgreSQL never makes a desk wait for ever."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from storekit import T0, make_message

from askdesk.errors import StoreError
from askdesk.model import Conversation
from askdesk.model import transitions as t
from askdesk.store import pg_schema, postgres_store, shown
from askdesk.store.postgres_store import LOCK_WAIT_S, PostgresStore

AT = T0 + timedelta(hours=1)


def test_a_row_another_machine_keeps_locked_refuses_the_claim_in_seconds(
    postgres_url: str,
) -> None:
    store = PostgresStore(postgres_url)
    store.ingest([make_message("q1")], AT)
    with psycopg.connect(postgres_url) as colleague:
        # Another machine's transaction, left open: it holds the row.
        colleague.execute("SELECT id FROM conversations FOR UPDATE").fetchall()
        refused: list[StoreError] = []

        def claim() -> None:
            with pytest.raises(StoreError) as info:
                store.update("demo:q1", lambda c: t.claim(c, "ana", AT))
            refused.append(info.value)

        started = time.monotonic()
        worker = threading.Thread(target=claim)  # a desk's worker, as the screen runs it
        worker.start()
        worker.join(LOCK_WAIT_S + 5)
        waited = time.monotonic() - started
        colleague.rollback()  # (without a limit, the claim would still be waiting here)
        worker.join()
        assert LOCK_WAIT_S <= waited < LOCK_WAIT_S + 5 and len(refused) == 1
        assert str(refused[0]).startswith(
            f"the store {shown(postgres_url)} did not save it: another desk held what it "
            f"needed for more than {LOCK_WAIT_S} s; try again ("
        )
        # Nothing shown as done, and reading still works while the row is held.
        assert [c.holder for c in store.live()] == [None]
    assert store.update("demo:q1", lambda c: t.claim(c, "ana", AT)).holder == "ana"
    store.close()


def test_a_desk_stopped_in_the_middle_of_a_change_lets_go_of_the_row(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A laptop closed mid-claim: the server ends its session after the idle limit
    (one second here), its claim is undone, and a colleague's goes through."""
    options = postgres_store.CONNECT_OPTIONS["options"].replace(
        f"idle_in_transaction_session_timeout={postgres_store.IDLE_IN_TRANSACTION_S}s",
        "idle_in_transaction_session_timeout=1s",
    )
    assert options != postgres_store.CONNECT_OPTIONS["options"]
    monkeypatch.setitem(postgres_store.CONNECT_OPTIONS, "options", options)
    frozen_desk, colleague = PostgresStore(postgres_url), PostgresStore(postgres_url)
    frozen_desk.ingest([make_message("q1")], AT)
    inside, wake = threading.Event(), threading.Event()
    outcome: list[object] = []

    def freeze(c: Conversation) -> Conversation:
        inside.set()
        wake.wait(10)
        return t.claim(c, "ana", AT)

    def claim_then_freeze() -> None:
        try:
            outcome.append(frozen_desk.update("demo:q1", freeze))
        except StoreError as error:
            outcome.append(error)

    worker = threading.Thread(target=claim_then_freeze)
    worker.start()
    assert inside.wait(5)
    threading.Timer(8, wake.set).start()  # (without a limit, the colleague waits until then)
    assert colleague.update("demo:q1", lambda c: t.claim(c, "bo", AT)).holder == "bo"
    wake.set()
    worker.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], StoreError)
    found = colleague.get("demo:q1")
    assert found is not None and found.holder == "bo"
    frozen_desk.close()
    colleague.close()


def test_a_second_migrate_waits_for_the_first_however_long_it_takes(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as first:
        # The first migrate, still at work past the usual lock wait.
        first.execute("SELECT pg_advisory_xact_lock(%s)", (pg_schema.MIGRATE_LOCK,))
        threading.Timer(LOCK_WAIT_S + 1, first.rollback).start()
        started = time.monotonic()
        assert pg_schema.migrate_database(postgres_url, "here") == []
        assert time.monotonic() - started >= LOCK_WAIT_S + 1


def test_a_batch_waits_for_another_channels_batch_longer_than_staff_would(
    postgres_url: str,
) -> None:
    store = PostgresStore(postgres_url)
    with psycopg.connect(postgres_url) as other_poller:
        # Another channel's first fetch, still being stored.
        other_poller.execute("SELECT pg_advisory_xact_lock(%s)", (postgres_store.INGEST_LOCK,))
        threading.Timer(LOCK_WAIT_S + 1, other_poller.rollback).start()
        started = time.monotonic()
        assert store.ingest([make_message("q1")], AT).added == ["demo:q1"]
        assert time.monotonic() - started >= LOCK_WAIT_S + 1
    store.close()
