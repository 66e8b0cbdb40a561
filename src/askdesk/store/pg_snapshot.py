"""Read statements shared out between two connections that see the same moment.

The server runs a statement on one core; a tally's statements do not depend
on one another, so a second connection runs some of them while the first
runs the others, and the machine's second core is used. Both connections
read one snapshot (``pg_export_snapshot`` and ``SET TRANSACTION SNAPSHOT``,
under REPEATABLE READ): a colleague resolving a conversation meanwhile shows
in none of the figures, never in some of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

Connection = psycopg.Connection[Any]
Rows = list[tuple[Any, ...]]
Another = Callable[[], AbstractContextManager[Connection]]
"""Lends another connection for a while (a pool's), or raises if none comes soon."""


@dataclass(frozen=True)
class Statement:
    query: sql.Composed
    read: Callable[[Rows], None]
    """Takes the statement's rows; called in the thread that ran it, one statement at a time."""


def begin(conn: Connection) -> str:
    """Make the transaction just begun on ``conn`` read one moment; returns its snapshot's
    name for ``run``. Must come before any other statement of the transaction."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    row = conn.execute("SELECT pg_export_snapshot()").fetchone()
    assert row is not None
    return str(row[0])


def run(
    conn: Connection,
    snapshot: str,
    statements: Sequence[Statement],
    another: Another | None,
    settings: Sequence[str] = (),
) -> None:
    """Run ``statements`` on ``conn`` (inside the transaction ``begin`` started) and on
    another connection, each taking the next one not yet taken, then ``read`` their rows.

    The other connection joins once it is there and imports ``snapshot``; if it
    does not come, ``conn`` runs them all. ``settings`` (``SET LOCAL …``) are made
    on both. A statement that fails raises here, in the caller's thread.
    """
    work = _Work(statements)
    helper: threading.Thread | None = None
    if another is not None and len(statements) > 1:
        helper = threading.Thread(
            target=work.help, args=(another, snapshot, settings), name="askdesk-tally", daemon=True
        )
        helper.start()
    try:
        for setting in settings:
            conn.execute(setting)
        while (statement := work.next()) is not None:
            work.read(statement, conn.execute(statement.query).fetchall())
    finally:
        work.finish(helper)


class _Work:
    """The statements not yet taken, and whether the other connection is in."""

    def __init__(self, statements: Sequence[Statement]) -> None:
        self._left = list(reversed(statements))
        self._lock = threading.Lock()
        self._reading = threading.Lock()
        self._helping = False
        """The other connection has imported the snapshot or is about to: the first
        connection's transaction, which the snapshot belongs to, waits for it to end."""
        self._closed = False
        self._failure: Exception | None = None

    def next(self) -> Statement | None:
        with self._lock:
            if not self._left or self._closed:
                return None
            return self._left.pop()

    def read(self, statement: Statement, rows: Rows) -> None:
        with self._reading:  # one at a time: the readers fill the same figures
            statement.read(rows)

    def help(self, another: Another, snapshot: str, settings: Sequence[str]) -> None:
        try:
            with another() as conn:
                with self._lock:
                    if not self._left or self._closed:
                        return  # the first connection ran them all while this one came
                    self._helping = True
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                for setting in settings:
                    conn.execute(setting)
                while (statement := self.next()) is not None:
                    self.read(statement, conn.execute(statement.query).fetchall())
        except Exception as error:  # raised again in the caller's thread (finish)
            with self._lock:
                if self._helping:
                    self._failure = error
                    self._closed = True  # the first connection takes no more either
                # Otherwise no connection came (the pool busy, the server slow): the
                # first connection runs everything, as it does without a second one.

    def finish(self, helper: threading.Thread | None) -> None:
        """Wait for the other connection if it is in; raise what it raised."""
        with self._lock:
            self._closed = True  # after a failure here, the other stops after its statement
            waiting = self._helping
        if helper is not None and waiting:
            helper.join()
        if self._failure is not None:
            raise self._failure
