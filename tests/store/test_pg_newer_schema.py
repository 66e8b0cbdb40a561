"""A newer askdesk upgrades the schema while this one's desks are open: they look at
it again and go on read-only, saying so, rather than write the old way."""

from __future__ import annotations

import time
from collections.abc import Hashable
from datetime import timedelta

import psycopg
import pytest
from storekit import T0, make_message

from askdesk.errors import StoreError
from askdesk.model import transitions as t
from askdesk.store import pg_schema, shown
from askdesk.store.postgres_store import NOTICES, PostgresStore

AT = T0 + timedelta(hours=1)


def moved_on(store: PostgresStore, before: Hashable) -> bool:
    deadline = time.monotonic() + 2
    while store.version() == before and time.monotonic() < deadline:
        time.sleep(0.01)  # how soon the notice arrives is part of what is tested
    return store.version() != before


def test_migrate_tells_open_desks_and_one_older_than_the_schema_goes_read_only(
    postgres_url: str,
) -> None:
    desk = PostgresStore(postgres_url)
    desk.ingest([make_message("q1"), make_message("q2")], AT)
    shown_before = desk.live()
    latest = pg_schema.latest()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM askdesk_schema WHERE version = %s", (latest,))
    before = desk.version()
    # This askdesk's own migrate announces the schema it made ...
    assert pg_schema.migrate_database(postgres_url, "here") == [pg_schema.migrations()[-1].name]
    assert moved_on(desk, before)
    assert desk.live() == shown_before and desk.problem() is None

    # ... as a newer askdesk's does, past what this one knows.
    before = desk.version()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO askdesk_schema (version) VALUES (%s)", (latest + 1,))
        conn.execute("SELECT pg_notify(%s, %s)", (NOTICES, f"schema:{latest + 1}"))
    assert moved_on(desk, before)
    assert desk.live() == shown_before  # still shown
    newer = (
        f"the store {shown(postgres_url)} was upgraded by a newer askdesk (schema version "
        f"{latest + 1}, this askdesk knows up to {latest}): upgrade askdesk on this machine"
    )
    assert desk.problem() == newer
    with pytest.raises(StoreError) as info:
        desk.update("demo:q1", lambda c: t.claim(c, "ana", AT))
    assert str(info.value) == f"{newer}; this was not saved"
    found = desk.get("demo:q1")
    assert found is not None and found.holder is None
    desk.close()
