"""Change notices on PostgreSQL: one this askdesk cannot read never ends a desk's live updates."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
from storekit import T0, make_message

from askdesk.model import transitions as t
from askdesk.store.postgres_store import NOTICES, PostgresStore

AT = T0 + timedelta(hours=1)


def test_a_notice_in_a_form_this_askdesk_does_not_know_is_read_as_reload_everything(
    postgres_url: str,
) -> None:
    desk, colleague = PostgresStore(postgres_url), PostgresStore(postgres_url)
    colleague.ingest([make_message("q1"), make_message("q2")], AT)
    assert len(desk.live()) == 2
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # What a newer askdesk might announce, or someone types in psql.
        conn.execute("SELECT pg_notify(%s, %s)", (NOTICES, "schema:8"))
    time.sleep(0.6)  # one wait for notices: it has read that one
    before = desk.version()
    colleague.update("demo:q1", lambda c: t.claim(c, "cy", AT))
    deadline = time.monotonic() + 2
    while desk.version() == before and time.monotonic() < deadline:
        time.sleep(0.01)  # how soon the next notice arrives is the thing under test
    assert desk.version() != before and desk.problem() is None
    assert [c.holder for c in desk.live()] == ["cy", None]
    desk.close()
    colleague.close()


def test_a_conversation_written_malformed_is_named_in_the_header_not_a_lost_connection(
    postgres_url: str,
) -> None:
    desk = PostgresStore(postgres_url)
    desk.ingest([make_message("q1"), make_message("q2")], AT)
    shown_before = desk.live()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        # Written by hand, or by a program that is not askdesk.
        conn.execute(
            'UPDATE conversations SET doc = \'{"key": "demo:q2"}\', '
            "seq = nextval('conversation_changes') WHERE key = 'demo:q2'"
        )
        conn.execute("SELECT pg_notify(%s, %s)", (NOTICES, ""))
    deadline = time.monotonic() + 2
    while desk.problem() is None and time.monotonic() < deadline:
        desk.live()
        time.sleep(0.01)
    assert desk.live() == shown_before
    assert desk.problem() == "conversation 'demo:q2' in the store is malformed (no 'channel')"
    desk.close()
