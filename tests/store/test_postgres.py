"""What is particular to the PostgreSQL store: its schema, its URL, a server that goes away.

The behaviour every backend shares is in test_contract.py; these tests run
against real PostgreSQL servers on loopback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pg_server
import psycopg
import pytest
from psycopg import sql
from storekit import T0, make_message

from askdesk.errors import StoreError
from askdesk.model import transitions as t
from askdesk.store import open_store, pg_schema, shown
from askdesk.store.postgres_store import PostgresStore

AT = T0 + timedelta(hours=1)


@pytest.fixture
def empty_url(postgres: pg_server.Server) -> Iterator[str]:
    """A database with no askdesk tables in it."""
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS askdesk_empty WITH (FORCE)")
        conn.execute("CREATE DATABASE askdesk_empty")
    yield postgres.url("askdesk_empty")
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE askdesk_empty WITH (FORCE)")


def test_a_database_without_the_schema_is_refused_with_the_command_that_fixes_it(
    empty_url: str,
) -> None:
    with pytest.raises(StoreError) as info:
        open_store(empty_url)
    assert str(info.value) == (
        f"the store {empty_url} has no askdesk tables yet: "
        f"run `askdesk migrate --store {empty_url}` to create them"
    )


def test_migrate_creates_the_schema_once_and_a_second_run_is_a_no_op(empty_url: str) -> None:
    names = [m.name for m in pg_schema.migrations()]
    assert names[0] == "0001_conversations.sql"
    assert pg_schema.migrate_database(empty_url, "here") == names
    assert pg_schema.migrate_database(empty_url, "here") == []
    with psycopg.connect(empty_url) as conn:
        assert pg_schema.applied(conn) == pg_schema.latest()
        rows = conn.execute("SELECT version FROM askdesk_schema ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [m.number for m in pg_schema.migrations()]
    store = open_store(empty_url)
    store.ingest([make_message("q1")], AT)
    store.close()


def test_an_older_schema_asks_for_migrate_and_a_newer_one_is_refused(postgres_url: str) -> None:
    latest = pg_schema.latest()
    assert latest >= 2
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM askdesk_schema WHERE version = %s", (latest,))
    with pytest.raises(StoreError) as info:
        open_store(postgres_url)
    assert str(info.value) == (
        f"the store {postgres_url} has schema version {latest - 1} and this askdesk needs "
        f"{latest}: run `askdesk migrate --store {postgres_url}` to upgrade it"
    )
    assert pg_schema.migrate_database(postgres_url, "here") == [pg_schema.migrations()[-1].name]
    open_store(postgres_url).close()

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO askdesk_schema (version) VALUES (9999)")
    with pytest.raises(StoreError, match="newer askdesk") as info:
        open_store(postgres_url)
    assert "schema version 9999" in str(info.value)
    with pytest.raises(StoreError, match="newer askdesk"):
        pg_schema.migrate_database(postgres_url, postgres_url)


def test_the_password_in_a_url_is_never_shown() -> None:
    assert shown("postgresql://ana:s3cret@db.branch.example:5432/desk") == (
        "postgresql://ana@db.branch.example:5432/desk"
    )
    assert shown("postgresql://:s3cret@db/desk?password=s3cret&sslmode=require") == (
        "postgresql://db/desk?sslmode=require"
    )
    assert shown("postgres://db/desk") == "postgres://db/desk"
    assert shown("/home/ana/askdesk.json") == "/home/ana/askdesk.json"


def test_an_unreachable_server_is_one_sentence_without_the_password() -> None:
    url = f"postgresql://ana:s3cret@127.0.0.1:{pg_server.free_port()}/desk"
    with pytest.raises(StoreError) as info:
        open_store(url)
    message = str(info.value)
    assert message.startswith(
        f"cannot reach the store postgresql://ana@127.0.0.1:{url.rsplit(':', 1)[1]}: "
    )
    assert "s3cret" not in message
    assert "\n" not in message


def test_a_database_that_does_not_exist_is_named(postgres: pg_server.Server) -> None:
    url = postgres.url("no_such_desk").replace("askdesk@", "askdesk:s3cret@")
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert 'database "no_such_desk" does not exist' in str(info.value)
    assert "s3cret" not in str(info.value)


def wait_for(condition: object, seconds: float) -> bool:
    """Poll ``condition()`` until true: reconnecting with backoff is the thing under test."""
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_server_that_goes_away_mid_shift_is_said_and_the_desk_keeps_what_it_had() -> None:
    """The header's sentence, the rows kept, a refused write, then reconnect and reload."""
    try:
        server = pg_server.start(durable=True)  # its own server: this one will go down
    except pg_server.Unavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {error}")
        pytest.skip(f"no PostgreSQL here: {error}")
    try:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE desk")
        url = server.url("desk").replace("askdesk@", "askdesk:s3cret@")
        pg_schema.migrate_database(url, shown(url))
        store = PostgresStore(url)
        store.ingest([make_message("q1"), make_message("q2")], AT)
        shown_before = store.live()

        server.go_down()
        assert wait_for(lambda: store.problem() is not None, 5)
        problem = store.problem()
        assert problem is not None and shown(url) in problem and "s3cret" not in problem
        assert store.live() == shown_before  # what it had, still on screen
        with pytest.raises(StoreError) as info:
            store.update("demo:q1", lambda c: t.claim(c, "ana", AT))
        assert shown(url) in str(info.value) and "s3cret" not in str(info.value)
        assert "\n" not in str(info.value)

        server.come_up()
        colleague = PostgresStore(url)
        colleague.update("demo:q2", lambda c: t.claim(c, "bo", AT))
        assert wait_for(lambda: store.problem() is None, 20)
        assert {c.key: c.holder for c in store.live()} == {"demo:q1": None, "demo:q2": "bo"}
        # The action that failed was not done; done again now, it goes through.
        assert store.update("demo:q1", lambda c: t.claim(c, "ana", AT)).holder == "ana"
        colleague.close()
        store.close()
    finally:
        server.stop()


@pytest.fixture
def clerk(postgres: pg_server.Server) -> str:
    """A login that needs its password (``right``), as a library's server asks for one."""
    hba = postgres.data / "pg_hba.conf"
    rule = "host all clerk 127.0.0.1/32 scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())  # first match wins: before the trust rules
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'clerk'").fetchone():
            conn.execute("CREATE ROLE clerk LOGIN PASSWORD 'right' IN ROLE askdesk")
        conn.execute("SELECT pg_reload_conf()")
    return "clerk"


def test_a_refused_password_is_one_sentence_without_it_and_pgpassword_is_honoured(
    clerk: str, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres_url.replace("askdesk@", f"{clerk}:wr0ng-secret@")
    with pytest.raises(StoreError) as info:
        open_store(url)
    message = str(info.value)
    assert message.startswith(f"cannot reach the store {shown(url)}: ")
    assert f'password authentication failed for user "{clerk}"' in message
    assert "wr0ng-secret" not in message and "\n" not in message

    monkeypatch.setenv("PGPASSWORD", "right")  # libpq's conventions, as the docs say
    store = open_store(postgres_url.replace("askdesk@", f"{clerk}@"))
    store.ingest([make_message("q1")], AT)
    assert [c.key for c in store.live()] == ["demo:q1"]
    store.close()


FULL_DISK = """
CREATE FUNCTION askdesk_test_full_disk() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'could not extend file "base/16384/16390": No space left on device'
        USING ERRCODE = 'disk_full';
END $$;
CREATE TRIGGER full_disk BEFORE INSERT OR UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION askdesk_test_full_disk();
"""


def test_a_full_disk_is_said_and_nothing_staff_did_is_shown_as_done(postgres_url: str) -> None:
    """The server answers each write with its disk-full error (SQLSTATE 53100, raised by
    a trigger as PostgreSQL raises it when a table file cannot grow)."""
    from askdesk.clock import FixedClock
    from askdesk.desk import Desk

    store = PostgresStore(postgres_url)
    store.ingest([make_message("q1")], AT, cursor=("demo", "c1"))
    desk = Desk(store, "ana", FixedClock(AT))
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(FULL_DISK)

    with pytest.raises(StoreError) as info:
        desk.claim("demo:q1")
    assert str(info.value) == (
        f"the store {shown(postgres_url)} did not save it: the database server's disk is full "
        '(could not extend file "base/16384/16390": No space left on device; '
        "CONTEXT:  PL/pgSQL function askdesk_test_full_disk() line 3 at RAISE)"
    )
    with pytest.raises(StoreError, match="disk is full"):
        desk.ingest([make_message("q2")], cursor=("demo", "c2"))
    # Nothing half-done: the claim and the batch are not there, the cursor did not move
    # (the channel gives the batch again), and the desk still works for reading.
    assert store.problem() is None
    assert [(c.key, c.holder) for c in store.live()] == [("demo:q1", None)]
    assert store.get("demo:q2") is None and store.cursor("demo") == "c1"

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER full_disk ON conversations")
    assert desk.claim("demo:q1").holder == "ana"
    assert desk.ingest([make_message("q2")], cursor=("demo", "c2")).added == ["demo:q2"]
    store.close()


ODD_PASSWORD = "50%off two@words"
"""Typed into the URL as it is: a ``%`` libpq cannot decode, a space, an ``@``."""


@pytest.fixture
def odd_clerk(postgres: pg_server.Server) -> str:
    """A login whose password libpq could not read from a URL, and so quoted in its error."""
    hba = postgres.data / "pg_hba.conf"
    rule = "host all odd_clerk 127.0.0.1/32 scram-sha-256\n"
    if rule not in hba.read_text():
        hba.write_text(rule + hba.read_text())
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'odd_clerk'").fetchone():
            conn.execute(
                sql.SQL("CREATE ROLE odd_clerk LOGIN PASSWORD {} IN ROLE askdesk").format(
                    ODD_PASSWORD
                )
            )
        conn.execute("SELECT pg_reload_conf()")
    return "odd_clerk"


def test_a_password_libpq_cannot_read_is_never_quoted_and_works_as_typed(
    odd_clerk: str, postgres_url: str
) -> None:
    wrong = "wr%ng pass@word"
    for url in (
        postgres_url.replace("askdesk@", f"{odd_clerk}:{wrong}@"),
        postgres_url.replace("askdesk@", f"{odd_clerk}@") + f"?password={wrong}",
        f"postgresql://{odd_clerk}:{wrong}@[::1/desk",  # a bracket left open
        # libpq takes only a lower-case scheme for a URL, else reads (and quotes) it whole.
        postgres_url.replace("askdesk@", f"{odd_clerk}:{wrong}@").upper(),
    ):
        with pytest.raises(StoreError) as info:
            open_store(url)
        message = str(info.value)
        assert not any(part in message.lower() for part in ("wr%ng", "pass@word", "ng pass"))
        assert message.startswith(f"cannot reach the store {shown(url)}: ") or (
            message.startswith("the store postgresql://… is not a URL askdesk can read: ")
        )
    with pytest.raises(StoreError) as info:
        pg_schema.migrate_database(postgres_url.replace("askdesk@", f"{odd_clerk}:{wrong}@"), "x")
    assert "wr%ng" not in str(info.value) and 'for user "odd_clerk"' in str(info.value)

    store = open_store(postgres_url.replace("askdesk@", f"{odd_clerk}:{ODD_PASSWORD}@"))
    store.ingest([make_message("q1")], AT)
    assert [c.key for c in store.live()] == ["demo:q1"]
    store.close()


def test_a_password_parameter_spelled_with_an_escape_is_not_shown() -> None:
    assert shown("postgresql://db/desk?pass%77ord=s3cret&sslmode=require") == (
        "postgresql://db/desk?sslmode=require"
    )
