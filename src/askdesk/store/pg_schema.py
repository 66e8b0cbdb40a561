"""The PostgreSQL store's schema: which version a database holds, and bringing it up to date.

Migrations are the numbered ``migrations/NNNN_*.sql`` files in this package,
applied in order, each in its own transaction together with the row in
``askdesk_schema`` that records it; so running ``migrate`` twice is a no-op and
a migration cut short leaves the previous version.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg

from askdesk.errors import StoreError

VERSION_TABLE = "askdesk_schema"
MIGRATE_LOCK = 0x61736B64  # "askd": two `askdesk migrate` at once take turns
NOTICES = "askdesk"
"""The channel the store announces changes on (``postgres_store``); a migrate
announces a new schema there, so open desks look at it again."""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration the package holds, oldest first."""
    found = []
    for entry in resources.files("askdesk.store.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append(Migration(number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.number)


def latest() -> int:
    return migrations()[-1].number


def applied(conn: psycopg.Connection[Any]) -> int:
    """The schema version the database holds (0: no askdesk tables yet)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (VERSION_TABLE,)).fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection[Any], location: str) -> list[str]:
    """Apply what is missing; returns the names of the migrations applied (none: up to date)."""
    done: list[str] = []
    with conn.transaction():
        # The other migrate may take minutes: wait for it, beyond the usual lock_timeout.
        conn.execute("SET LOCAL lock_timeout = 0")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
        conn.execute("SET LOCAL lock_timeout TO DEFAULT")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
            "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = applied(conn)
        if current > latest():
            raise newer_schema(location, current)
        for migration in migrations():
            if migration.number <= current:
                continue
            with conn.transaction():
                conn.execute(migration.sql.encode("utf-8"))
                conn.execute(
                    f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (migration.number,)
                )
            done.append(migration.name)
        if done:
            conn.execute("SELECT pg_notify(%s, %s)", (NOTICES, f"schema:{latest()}"))
    return done


def check(conn: psycopg.Connection[Any], location: str) -> None:
    """Refuse a database whose schema this askdesk cannot work with, saying what to do."""
    current, wanted = applied(conn), latest()
    if current == 0:
        raise StoreError(
            f"the store {location} has no askdesk tables yet: "
            f"run `askdesk migrate --store {location}` to create them"
        )
    if current < wanted:
        raise StoreError(
            f"the store {location} has schema version {current} and this askdesk needs "
            f"{wanted}: run `askdesk migrate --store {location}` to upgrade it"
        )
    if current > wanted:
        raise newer_schema(location, current)


def newer_schema(location: str, current: int) -> StoreError:
    return StoreError(
        f"the store {location} was upgraded by a newer askdesk (schema version {current}, "
        f"this askdesk knows up to {latest()}): upgrade askdesk on this machine"
    )


def migrate_database(url: str, location: str) -> list[str]:
    """``askdesk migrate``: connect to ``url`` and apply what is missing."""
    from askdesk.store.location import connection_target
    from askdesk.store.postgres_store import CONNECT_OPTIONS, reason

    target, password = connection_target(url)
    try:
        with psycopg.connect(target, autocommit=True, **CONNECT_OPTIONS, **password) as conn:
            return migrate(conn, location)
    except psycopg.Error as error:
        raise StoreError(f"cannot migrate the store {location}: {reason(error)}") from error
