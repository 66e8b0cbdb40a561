"""A read-only PostgreSQL (a standby server, or one its administrator set read-only):
the desk reads and counts, and every change is refused with a sentence that says why."""

from __future__ import annotations

from datetime import UTC, timedelta

import psycopg
import pytest
from storekit import T0, make_message

from askdesk.errors import StoreError
from askdesk.model import Outcome, QuestionType
from askdesk.model import transitions as t
from askdesk.store import shown
from askdesk.store.postgres_store import PostgresStore
from askdesk.store.tally import Attribute

AT = T0 + timedelta(hours=1)


def test_a_read_only_database_is_read_and_counted_and_refuses_changes_plainly(
    postgres_url: str,
) -> None:
    store = PostgresStore(postgres_url)
    store.ingest([make_message("q1"), make_message("q2")], AT)
    store.update("demo:q1", lambda c: t.claim(c, "ana", AT))
    store.update(
        "demo:q1",
        lambda c: t.resolve(c, "ana", AT, Outcome.ANSWERED, QuestionType.POLICY, 2),
    )
    store.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        name = postgres_url.rsplit("/", 1)[1]
        conn.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")

    standby = PostgresStore(postgres_url)
    assert [c.key for c in standby.live()] == ["demo:q1", "demo:q2"]
    counted = standby.tally(None, None, UTC, [Attribute("channel")])
    assert counted.transactions == 1
    assert [tr.staff for tr in standby.transactions()] == ["ana"]
    with pytest.raises(StoreError) as info:
        standby.update("demo:q2", lambda c: t.claim(c, "bo", AT))
    assert str(info.value) == (
        f"the store {shown(postgres_url)} did not save it: the database is read-only "
        "(a standby server, or set read-only by its administrator) "
        "(cannot execute SELECT FOR UPDATE in a read-only transaction)"
    )
    standby.close()
