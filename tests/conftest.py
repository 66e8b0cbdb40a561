"""Every test runs with its own config, data and log folders and a frozen clock."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pg_server
import psycopg
import pytest

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Kind, Message
from askdesk.store import TinyDBStore

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))
    for var in ("ASKDESK_CONFIG", "ASKDESK_STORE", "ASKDESK_AS"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_server.Server]:
    """One real PostgreSQL 15 for the session, with a migrated template database.

    Without PostgreSQL the tests that need it skip, saying why; under CI they fail.
    """
    try:
        server = pg_server.start()
    except pg_server.Unavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {error}")
        pytest.skip(f"no PostgreSQL here: {error}")
    try:
        from askdesk.store.pg_schema import migrate_database

        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE askdesk_template")
        migrate_database(server.url("askdesk_template"), "template")
        yield server
    finally:
        server.stop()


_databases = itertools.count(1)


@pytest.fixture
def postgres_url(postgres: pg_server.Server) -> Iterator[str]:
    """A fresh database holding askdesk's current schema, as a ``postgresql://`` URL."""
    name = f"askdesk_test_{next(_databases)}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE askdesk_template")
    yield postgres.url(name)
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "desk.json"


@pytest.fixture
def store(store_path: Path) -> TinyDBStore:
    return TinyDBStore(store_path)


@pytest.fixture
def desk(store: TinyDBStore, clock: FixedClock) -> Desk:
    return Desk(store, "ana", clock)


MessageFactory = Callable[..., Message]


@pytest.fixture
def make_message() -> MessageFactory:
    """``make_message("7", text=…, minutes_ago=…)``: a message on the ``web`` channel."""

    def make(
        remote_id: str,
        text: str = "Are you open on Monday?",
        *,
        author: str = "@patron",
        minutes_ago: float = 5,
        kind: Kind = Kind.MENTION,
        conversation: str | None = None,
        channel: str = "web",
    ) -> Message:
        return Message(
            channel=channel,
            remote_id=remote_id,
            kind=kind,
            author=author,
            text=text,
            received_at=NOW - timedelta(minutes=minutes_ago),
            conversation=conversation,
        )

    return make
