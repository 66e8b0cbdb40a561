"""The PostgreSQL store's ``outbox`` table: every reply, one row each, from queued to sent.

A change writes only the replies it touched (queued, taken for sending,
sent, failed …). The replies not yet settled, on every machine, are one
indexed query (``OPEN``) instead of a read of every conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.types.json import Json

from askdesk.model import Reply

Connection = psycopg.Connection[Any]

_ROWS = (
    "outbox o, LATERAL (SELECT o.reply_id AS id, o.text, o.staff, o.created_at, "
    "o.state AS status, o.private, o.templates, o.attempts, o.next_attempt_at, o.last_error, "
    "o.sending_since, o.sending_by, o.remote_id, o.sent_at, o.delivery) AS reply"
)
"""Each reply ``o`` as the object ``codec.from_dict`` reads: a row whose columns are
its keys, in order (``pg_events._ROWS`` says why)."""
_LIST = "json_agg(reply ORDER BY o.ordinal)"

AS_JSON = f"(SELECT {_LIST} FROM {_ROWS} WHERE o.conversation = c.id)"
"""The replies of conversation ``c`` (null: none), one index lookup: for a few conversations."""

BY_CONVERSATION = f"SELECT o.conversation, {_LIST} AS list FROM {_ROWS} GROUP BY o.conversation"
"""Every conversation's replies, one pass over the table: to join with all conversations."""

OPEN_STATES = ("pending", "sending", "failed", "uncertain")
"""The states of the replies not settled (``OPEN_REPLY_STATUSES``), as the
``outbox_open`` index (migration 0007) lists them."""
OPEN = f"SELECT conversation FROM outbox WHERE state IN {OPEN_STATES!r}"
"""The conversations with a reply not settled: one scan of the ``outbox_open`` index."""

_UPSERT = (
    "INSERT INTO outbox (conversation, reply_id, ordinal, state, attempts, next_attempt_at, "
    "private, text, staff, created_at, templates, last_error, sending_since, sending_by, "
    "remote_id, sent_at, delivery) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (conversation, reply_id) DO UPDATE SET ordinal = EXCLUDED.ordinal, "
    "state = EXCLUDED.state, attempts = EXCLUDED.attempts, "
    "next_attempt_at = EXCLUDED.next_attempt_at, private = EXCLUDED.private, "
    "text = EXCLUDED.text, staff = EXCLUDED.staff, created_at = EXCLUDED.created_at, "
    "templates = EXCLUDED.templates, last_error = EXCLUDED.last_error, "
    "sending_since = EXCLUDED.sending_since, sending_by = EXCLUDED.sending_by, "
    "remote_id = EXCLUDED.remote_id, sent_at = EXCLUDED.sent_at, delivery = EXCLUDED.delivery"
)

ReplyChange = tuple[int, Sequence[Reply], Sequence[Reply]]
"""A conversation's row id, its replies as stored, and as they are to be."""


def save(conn: Connection, changes: Sequence[ReplyChange]) -> None:
    """Write the replies that are new or changed, and drop those the conversation no longer has."""
    written: list[tuple[Any, ...]] = []
    dropped: list[tuple[int, list[str]]] = []
    for row_id, before, after in changes:
        stored = {reply.id: (ordinal, reply) for ordinal, reply in enumerate(before)}
        for ordinal, reply in enumerate(after):
            if stored.get(reply.id) != (ordinal, reply):
                written.append(_row(row_id, ordinal, reply))
        kept = {reply.id for reply in after}
        if any(reply_id not in kept for reply_id in stored):
            dropped.append((row_id, sorted(kept)))
    with conn.cursor() as cur:
        if dropped:
            cur.executemany(
                "DELETE FROM outbox WHERE conversation = %s AND reply_id <> ALL(%s)", dropped
            )
        if written:
            cur.executemany(_UPSERT, written)


def _row(row_id: int, ordinal: int, r: Reply) -> tuple[Any, ...]:
    """The reply's words and the platform's answers as JSON strings (migration 0008):
    PostgreSQL's text refuses the NUL that a paste or a platform may bring."""
    return (
        row_id,
        r.id,
        ordinal,
        r.status.value,
        r.attempts,
        r.next_attempt_at,
        r.private,
        Json(r.text),
        r.staff,
        r.created_at,
        Json(list(r.templates)),
        _json_or_null(r.last_error),
        r.sending_since,
        r.sending_by,
        _json_or_null(r.remote_id),
        r.sent_at,
        _json_or_null(r.delivery),
    )


def _json_or_null(value: str | None) -> Json | None:
    return None if value is None else Json(value)
