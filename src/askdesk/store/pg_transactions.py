"""The PostgreSQL store's ``transactions`` table: each conversation's transactions beside it.

Rows are written in the same SQL transaction as their conversation, so they
never disagree with it; statistics and exports read them by resolve time.
Each conversation row says under which ``TRANSACTION_RULES`` its rows were
computed: rows from older rules are recomputed by ``askdesk migrate`` or, at
the latest, by the first read of transactions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Json, Jsonb

from askdesk.model import Conversation
from askdesk.model.transactions import TRANSACTION_RULES, Transaction, transactions_of
from askdesk.store import pg_documents
from askdesk.store.transaction_record import from_record, to_record

Connection = psycopg.Connection[Any]

REFRESH_BATCH = 500
"""Conversations recomputed per SQL transaction: a colleague's claim waits for one batch at most."""

_INSERT = (
    "INSERT INTO transactions (conversation, ordinal, resolved_at, fields, channel, kind, "
    "question_type, outcome, read_level, staff, started_at, first_response_s, resolve_s, "
    "flagged, reference, time_spent_min, answers) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def _row(conversation_id: int, ordinal: int, t: Transaction) -> tuple[Any, ...]:
    """The whole transaction as JSON (for exports), and the values statistics
    count and group by as columns (``pg_tally``)."""
    return (
        conversation_id,
        ordinal,
        t.resolved_at,
        Json(to_record(t)),
        t.channel,
        t.kind.value,
        t.question_type.value,
        t.outcome.value,
        t.read_level,
        t.staff,
        t.started_at,
        t.first_response_s,
        t.resolve_s,
        t.flagged,
        t.reference,
        t.time_spent_min,
        Jsonb(t.fields),
    )


def opened_at(conversation: Conversation) -> datetime | None:
    """The conversation's first event: it waited at no moment before."""
    return conversation.events[0].at if conversation.events else None


def save(conn: Connection, written: Sequence[tuple[int, Conversation]], *, new: bool) -> None:
    """Replace the transactions of the conversations ``written`` (row id, conversation).

    ``new``: the rows were inserted in this SQL transaction, so nothing is there to delete.
    """
    if not written:
        return
    if not new:
        conn.execute(
            "DELETE FROM transactions WHERE conversation = ANY(%s)",
            ([row_id for row_id, _ in written],),
        )
    rows = [
        _row(row_id, ordinal, t)
        for row_id, conversation in written
        for ordinal, t in enumerate(transactions_of(conversation))
    ]
    if rows:
        with conn.cursor() as cur:
            cur.executemany(_INSERT, rows)


def stale(conn: Connection) -> int:
    """Conversations whose rows were computed under older rules (or not yet)."""
    row = conn.execute(
        "SELECT count(*) FROM conversations WHERE transaction_rules < %s", (TRANSACTION_RULES,)
    ).fetchone()
    return int(row[0]) if row else 0


def refresh_batch(conn: Connection, after: int) -> list[int]:
    """Recompute the next batch of stale conversations past row id ``after``, rows locked;
    returns their row ids, in order (none: nothing is left).

    The conversations themselves do not change: no change number, no notice.
    A newer askdesk's rows (higher rules) are left as they are.
    """
    stale = "FROM conversations WHERE transaction_rules < %s AND id > %s ORDER BY id LIMIT %s"
    params = (TRANSACTION_RULES, after, REFRESH_BATCH)
    # Looked for unlocked first: with nothing to do, a read-only standby serves `stats` too.
    if not conn.execute(f"SELECT 1 {stale}", params).fetchone():
        return []
    rows = conn.execute(f"SELECT id {stale} FOR UPDATE", params).fetchall()
    if not rows:
        return []
    stored = pg_documents.read(conn, [row_id for (row_id,) in rows])
    written = [(int(row_id), stored[row_id]) for (row_id,) in rows]
    save(conn, written, new=False)
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE conversations SET transaction_rules = %s, opened_at = %s WHERE id = %s",
            [(TRANSACTION_RULES, opened_at(c), row_id) for row_id, c in written],
        )
    return [row_id for row_id, _ in written]


def read(
    conn: Connection, resolved_since: datetime | None, resolved_until: datetime | None
) -> Iterator[Transaction]:
    """The transactions resolved in ``[resolved_since, resolved_until)``, in no set order
    (the statistics sort them), streamed from a server-side cursor.

    Unordered, a long range is one sequential scan of the table: in resolve
    order it was an index scan touching a table page per row, three times the
    server's time for 100,000 transactions.
    """
    with conn.cursor(name="askdesk_transactions") as cursor:
        cursor.itersize = 5000
        cursor.execute(
            "SELECT fields FROM transactions "
            "WHERE resolved_at >= coalesce(%s, '-infinity'::timestamptz) "
            "AND resolved_at < coalesce(%s, 'infinity'::timestamptz)",
            (resolved_since, resolved_until),
        )
        for (fields,) in cursor:
            yield from_record(fields)
