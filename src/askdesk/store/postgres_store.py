"""The PostgreSQL store: a team's desks on several machines share one database.

Every change is one transaction that locks the conversation's row
(``SELECT … FOR UPDATE``), applies the transition, writes the row with its
event and announces it with ``NOTIFY``; so of two staff claiming at once, on
any machines, one wins and the other is told who. Each desk keeps its live
conversations in memory and, when a notice arrives, reads back only the rows
that changed. A desk that loses its connection keeps what it has, says so
(``problem``), reconnects with backoff and reloads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta, tzinfo
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Json, set_json_dumps, set_json_loads
from psycopg_pool import ConnectionPool, PoolTimeout

from askdesk.errors import NotFound, StoreError
from askdesk.model import Conversation, Message, Status, transitions
from askdesk.model.transactions import TRANSACTION_RULES, Transaction, transactions_of
from askdesk.store import (
    pg_documents,
    pg_outbox,
    pg_schema,
    pg_snapshot,
    pg_tally,
    pg_transactions,
)
from askdesk.store.base import PRESENCE_KEPT, Change, IngestResult, OnShift, Rewrite
from askdesk.store.codec import MalformedRecord
from askdesk.store.location import connection_target, shown
from askdesk.store.pg_keys import DIGEST, indexed
from askdesk.store.tally import Credit, GroupKey, Tally, tally_of

log = logging.getLogger(__name__)

Connection = psycopg.Connection[Any]

NOTICES = pg_schema.NOTICES
"""The NOTIFY channel; a payload is the changed rows' ids, ``-`` (channel
records only), or anything else (too many rows to name, a new schema: reload
everything)."""
NOTICE_MAX_BYTES = 7000  # PostgreSQL's payload limit is 8000 bytes
INGEST_LOCK = 0x61736B65
"""Ingests take turns (one poller per channel does them): two batches holding
the same new message must not both start a conversation for it."""
DISK_FULL = "53100"
LOCK_NOT_AVAILABLE = "55P03"
READ_ONLY = "25006"
CONNECTION_LOST = ("08", "57P")
"""SQLSTATE classes of a connection that failed or a server that shut down."""
CONNECT_TIMEOUT_S = 5
UNREACHABLE_TIMEOUT_S = 0.5
REWRITE_BATCH = 500
"""Conversations rewritten per transaction: colleagues' claims wait for one batch at most."""
LOCK_WAIT_S = 5
"""How long a change waits for a row another desk is changing before it gives up and says so."""
INGEST_WAIT_S = 60
"""How long a poller's batch waits for another's to be stored."""
IDLE_IN_TRANSACTION_S = 60
"""How long the server lets a desk stopped in the middle of a change (a laptop closed, a
process suspended) hold what it locked before ending its session and undoing the change."""
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Waits between reconnect attempts: seconds at most, so a desk is back soon after its server."""

CONNECT_OPTIONS: dict[str, Any] = {
    "connect_timeout": CONNECT_TIMEOUT_S,
    # Times come back in UTC, as the TinyDB store writes them. A colleague's
    # transaction left open never makes a desk wait for ever (its worker, its
    # pooled connection and the staff member all stuck without a word).
    "options": (
        f"-c TimeZone=UTC -c lock_timeout={LOCK_WAIT_S}s "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_S}s"
    ),
    # A server that vanishes without closing the socket is noticed within seconds.
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "application_name": "askdesk",
}

_HOLDING = (
    "c.id = coalesce((SELECT conversation FROM message_keys WHERE key = %(key)s), "
    "(SELECT id FROM conversations WHERE key = %(key)s))"
)
"""The conversation ``c`` with this conversation key or message key."""
_FIND = f"SELECT {pg_documents.COLUMNS} FROM conversations c WHERE {_HOLDING}"
_LOCK = f"SELECT c.id, c.transaction_rules FROM conversations c WHERE {_HOLDING} FOR UPDATE"
_WRITE = (
    "UPDATE conversations SET key = %s, channel = %s, status = %s, holder = %s, "
    "resolved_at = %s, opened_at = %s, transaction_rules = %s, doc = %s, archived = %s, "
    "seq = nextval('conversation_changes') WHERE id = %s"
)
_INSERT = (
    "INSERT INTO conversations (key, channel, status, holder, resolved_at, opened_at, "
    "transaction_rules, seq, doc) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, nextval('conversation_changes'), %s) RETURNING id"
)


def reason(error: BaseException) -> str:
    """The server's or libpq's words, on one line (they never hold the password)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = "; ".join(lines) or type(error).__name__
    return text.removeprefix("connection failed: ")


def _configure(conn: Connection) -> None:
    set_json_loads(orjson.loads, conn)
    set_json_dumps(orjson.dumps, conn)


def _columns(c: Conversation) -> tuple[Any, ...]:
    """The columns the database indexes, then the conversation as JSON without
    its events and replies, which are rows of their own (``pg_documents``).

    ``json``, not ``jsonb``: it keeps the order of keys, so a conversation
    reads back exactly as it was written (migration 0002). Every write of a
    conversation writes its transactions too (``pg_transactions.save``), under
    the rules recorded here.
    """
    resolved_at = c.resolutions[-1].at if c.status is Status.RESOLVED and c.resolutions else None
    return (
        indexed(c.key),
        c.channel,
        c.status.value,
        c.holder,
        resolved_at,
        pg_transactions.opened_at(c),
        TRANSACTION_RULES,
        pg_documents.document(c),
    )


class PostgresStore:
    def __init__(self, url: str, *, pool_size: int = 4) -> None:
        self.url = url
        self.location = shown(url)
        self._target, self._password = connection_target(url)
        self._mutex = threading.RLock()
        self._live: dict[int, Conversation] | None = None
        self._live_list: list[Conversation] = []
        self._seen = 0
        """The highest change (``seq``) this desk has read."""
        self._notes = threading.Lock()
        self._dirty: set[int] = set()
        self._reload = False
        self._notices = 0
        self._problem: str | None = None
        self._outdated: str | None = None
        """Why this askdesk may only read: a newer one upgraded the schema meanwhile."""
        self._closed = threading.Event()
        listener = self._connect()
        try:
            pg_schema.check(listener, self.location)
            listener.execute(f"LISTEN {NOTICES}")
        except psycopg.Error as error:
            listener.close()
            raise self._unreachable(error) from error
        except StoreError:
            listener.close()
            raise
        self._listener: Connection | None = listener
        self._pool = ConnectionPool(
            self._target,
            min_size=1,
            max_size=pool_size,
            kwargs={**CONNECT_OPTIONS, **self._password},
            configure=_configure,
            timeout=CONNECT_TIMEOUT_S,
            name="askdesk",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except PoolTimeout as error:
            listener.close()
            self._pool.close()
            raise StoreError(f"cannot reach the store {self.location}: {error}") from error
        self._thread = threading.Thread(
            target=self._listen, name="askdesk-store-notices", daemon=True
        )
        self._thread.start()

    # -- connections ----------------------------------------------------------------

    def _connect(self) -> Connection:
        try:
            conn = psycopg.connect(
                self._target, autocommit=True, **CONNECT_OPTIONS, **self._password
            )
        except psycopg.Error as error:
            raise self._unreachable(error) from error
        _configure(conn)
        return conn

    def _unreachable(self, error: BaseException) -> StoreError:
        return StoreError(f"cannot reach the store {self.location}: {reason(error)}")

    def _failed(self, error: psycopg.Error) -> StoreError:
        """The sentence for a statement that failed: the server away, its disk full, or a refusal.

        psycopg raises ``OperationalError`` both for a lost connection and for
        a server that answered but could not do it (a full disk); only the
        SQLSTATE tells them apart, and staff need to know which.
        """
        state = error.sqlstate
        if state == DISK_FULL:
            return StoreError(
                f"the store {self.location} did not save it: the database server's disk is full "
                f"({reason(error)})"
            )
        if state == READ_ONLY and self._outdated is not None:
            return StoreError(f"{self._outdated}; this was not saved")
        if state == READ_ONLY:
            return StoreError(
                f"the store {self.location} did not save it: the database is read-only "
                f"(a standby server, or set read-only by its administrator) ({reason(error)})"
            )
        if state == LOCK_NOT_AVAILABLE:
            return StoreError(
                f"the store {self.location} did not save it: another desk held what it "
                f"needed for more than {LOCK_WAIT_S} s; try again ({reason(error)})"
            )
        if isinstance(error, psycopg.OperationalError) and (
            state is None or state.startswith(CONNECTION_LOST)
        ):
            return self._unreachable(error)
        return StoreError(f"the store {self.location} refused the change: {reason(error)}")

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A pooled connection inside one transaction: committed on exit, rolled back on error."""
        # While the server is known to be away, an action is refused at once
        # rather than after the whole connect timeout.
        timeout = CONNECT_TIMEOUT_S if self.problem() is None else UNREACHABLE_TIMEOUT_S
        try:
            with self._pool.connection(timeout=timeout) as conn:
                if self._outdated is not None:
                    # Written the old way, a change would be lost to the newer desks.
                    conn.read_only = True
                yield conn
        except PoolTimeout as error:
            raise StoreError(
                f"cannot reach the store {self.location}: no connection within {timeout:g} s"
            ) from error
        except psycopg.Error as error:
            raise self._failed(error) from error
        except orjson.JSONEncodeError as error:
            # What the TinyDB store says of the same record (a lone surrogate in it).
            raise StoreError(
                f"could not encode a record for the store {self.location}: {error}"
            ) from error

    def _another(self) -> AbstractContextManager[Connection]:
        """A second pooled connection for a read shared out between two (``pg_snapshot``);
        while it comes (or if it does not), the first connection reads on alone."""
        return self._pool.connection(timeout=CONNECT_TIMEOUT_S)

    def _listen(self) -> None:
        """Collect change notices; on a lost connection, say so and reconnect with backoff.

        This thread owns the listening connection and closes it when the store
        is closed (within one wait for notices, half a second).
        """
        try:
            self._listen_until_closed()
        finally:
            if self._listener is not None:
                self._listener.close()

    def _listen_until_closed(self) -> None:
        attempt = 0
        while not self._closed.is_set():
            conn = self._listener
            if conn is None:
                try:
                    conn = self._connect()
                    conn.execute(f"LISTEN {NOTICES}")
                except (StoreError, psycopg.Error) as error:
                    log.warning("store %s still unreachable: %s", self.location, reason(error))
                    self._set_problem(self._unreachable_now())
                    self._closed.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                    attempt += 1
                    continue
                attempt = 0
                self._listener = conn
                self._pool.check()  # drop pooled connections that died with the server
                with self._notes:
                    self._reload = True  # what changed meanwhile was never announced
                    self._problem = None
                    self._notices += 1
            try:
                for notice in conn.notifies(timeout=0.5):
                    self._note(notice.payload)
            except psycopg.Error as error:
                if self._closed.is_set():
                    return
                log.warning("store notices stopped: %s", reason(error))
                self._listener = None
                conn.close()
                self._set_problem(self._unreachable_now())

    def _note(self, payload: str) -> None:
        with self._notes:
            self._notices += 1
            if payload == "-":
                return
            try:
                ids = [int(i) for i in payload.split(",")] if payload else None
            except ValueError:
                # Not one of ours (a newer askdesk's, a NOTIFY typed by hand): read
                # everything again rather than let it end this desk's live updates.
                ids = None
            if ids is None:
                self._reload = True
            else:
                self._dirty.update(ids)

    def _unreachable_now(self) -> str:
        return f"no connection to the store {self.location}; reconnecting"

    def _clear_problem(self) -> None:
        with self._notes:
            if self._problem is not None:
                self._problem = None
                self._notices += 1

    def _set_problem(self, problem: str) -> None:
        with self._notes:
            if self._problem != problem:
                self._problem = problem
                self._notices += 1

    def _notify(self, conn: Connection, ids: Sequence[int] | None) -> None:
        """Announce changed rows to every desk; sent when the transaction commits."""
        if ids is None:
            payload = "-"
        else:
            payload = ",".join(map(str, ids))
            if len(payload) > NOTICE_MAX_BYTES:
                payload = ""
        conn.execute("SELECT pg_notify(%s, %s)", (NOTICES, payload))

    # -- reading ----------------------------------------------------------------------

    def version(self) -> Hashable:
        with self._notes:
            return (self._notices, self._problem, self._outdated)

    def problem(self) -> str | None:
        with self._notes:
            return self._outdated or self._problem

    def live(self) -> list[Conversation]:
        with self._mutex:
            try:
                self._catch_up()
            except StoreError as error:
                if self._live is None:
                    raise
                # Keep showing what we had; the header says why it may be stale.
                log.warning("%s", error)
                malformed = isinstance(error, MalformedRecord)
                self._set_problem(str(error) if malformed else self._unreachable_now())
            else:
                if self._listener is not None:  # the notices never stopped: all is well again
                    self._clear_problem()
            return list(self._live_list)

    def _catch_up(self) -> None:
        with self._notes:
            dirty, self._dirty = self._dirty, set()
            reload, self._reload = self._reload, False
        try:
            if self._live is None or reload:
                self._load_all()
            else:
                self._load_changes(dirty)
        except BaseException:
            with self._notes:
                self._dirty |= dirty
                self._reload |= reload
            raise

    def _load_all(self) -> None:
        with self._transaction() as conn:
            # One snapshot for both reads, in this transaction only: set on the
            # connection, it stayed with the pooled connection, and a claim that
            # waited there for a colleague's row lock failed to serialize instead
            # of seeing who won (writes lock, then read the newest rows).
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            seen = conn.execute("SELECT coalesce(max(seq), 0) FROM conversations").fetchone()
            # Each reload (on reconnecting, on migrate's notice) looks at the schema again.
            schema = pg_schema.applied(conn)
            rows = conn.execute(
                f"SELECT c.id, {pg_documents.COLUMNS} FROM conversations c "
                "WHERE NOT c.archived ORDER BY c.id"
            ).fetchall()
        self._live = {row[0]: pg_documents.assemble(*row[1:]) for row in rows}
        self._seen = int(seen[0]) if seen else 0
        if schema > pg_schema.latest():
            self._outdated = str(pg_schema.newer_schema(self.location, schema))
        self._live_list = list(self._live.values())

    def _load_changes(self, dirty: set[int]) -> None:
        """Read the rows written since the last look, and those a notice named.

        Changes are numbered when written but become visible when committed,
        which may be in another order: a notice names the rows it committed,
        so one that a higher number overtook is still read.
        """
        assert self._live is not None
        with self._transaction() as conn:
            rows = conn.execute(
                f"SELECT c.id, c.seq, c.archived, {pg_documents.COLUMNS} FROM conversations c "
                "WHERE c.seq > %s UNION ALL "
                f"SELECT c.id, c.seq, c.archived, {pg_documents.COLUMNS} FROM conversations c "
                "WHERE c.id = ANY(%s) AND c.seq <= %s",
                (self._seen, list(dirty), self._seen),
            ).fetchall()
        if not rows:
            return
        for row_id, seq, archived, doc, events, replies in rows:
            self._seen = max(self._seen, seq)
            if archived:
                self._live.pop(row_id, None)
            else:
                self._live[row_id] = pg_documents.assemble(doc, events, replies)
        self._live = dict(sorted(self._live.items()))
        self._live_list = list(self._live.values())

    def _patch(self, row_id: int, conversation: Conversation) -> None:
        """Our own write, in our copy at once (the notice re-reads it a moment later)."""
        with self._mutex:
            if self._live is not None:
                self._live[row_id] = conversation
                self._live = dict(sorted(self._live.items()))
                self._live_list = list(self._live.values())

    def get(self, key: str) -> Conversation | None:
        with self._transaction() as conn:
            row = conn.execute(_FIND, {"key": indexed(key)}).fetchone()
        return pg_documents.assemble(*row) if row else None

    def with_open_replies(self) -> list[Conversation]:
        """Found through the small ``outbox_open`` index (``pg_outbox.OPEN``): neither
        the desk's copy nor every conversation is read. Fresh from the server, so a
        reply a colleague's desk queued a moment ago is here before its notice."""
        with self._transaction() as conn:
            rows = conn.execute(
                f"SELECT {pg_documents.COLUMNS} FROM conversations c "
                f"WHERE NOT c.archived AND c.id IN ({pg_outbox.OPEN}) ORDER BY c.id"
            ).fetchall()
        return [pg_documents.assemble(*row) for row in rows]

    def history(self, resolved_since: datetime | None = None) -> Iterator[Conversation]:
        """Every conversation, streamed from a server-side cursor (never all in memory)."""
        params: tuple[Any, ...]
        query, params = f"{pg_documents.EVERY} ORDER BY c.id", ()
        if resolved_since is not None:
            # Few rows of many: each one's events and replies looked up by its id.
            query = (
                f"SELECT {pg_documents.COLUMNS} FROM conversations c "
                "WHERE c.resolved_at IS NULL OR c.resolved_at >= %s ORDER BY c.id"
            )
            params = (resolved_since,)
        with self._transaction() as conn, conn.cursor(name="askdesk_history") as cursor:
            cursor.itersize = 2000
            cursor.execute(query, params)
            for doc, events, replies in cursor:
                yield pg_documents.assemble(doc, events, replies)

    def transactions(
        self, resolved_since: datetime | None = None, resolved_until: datetime | None = None
    ) -> Iterator[Transaction]:
        """Read from the ``transactions`` table by resolve time, after recomputing any
        rows an older askdesk computed (``askdesk migrate`` normally has)."""
        self.refresh_transactions()
        with self._transaction() as conn:
            yield from pg_transactions.read(conn, resolved_since, resolved_until)

    def tally(
        self,
        resolved_since: datetime | None,
        resolved_until: datetime | None,
        tz: tzinfo,
        counted: Sequence[GroupKey],
        timed: Sequence[GroupKey] = (),
        credit: Credit | None = None,
    ) -> Tally:
        """Worked out by the server (``pg_tally``), after recomputing any rows an older
        askdesk computed; in Python from ``transactions`` for a zone the server cannot
        name or a key its SQL does not group by."""
        self.refresh_transactions()
        zone = pg_tally.zone_name(tz)
        if zone is not None:
            with self._transaction() as conn:
                snapshot = pg_snapshot.begin(conn)
                if pg_tally.can_tally(conn, zone, [*counted, *timed]):
                    return pg_tally.tally(
                        conn,
                        snapshot,
                        resolved_since,
                        resolved_until,
                        zone,
                        list(counted),
                        list(timed),
                        credit,
                        another=self._another,
                    )
        found = self.transactions(resolved_since, resolved_until)
        return tally_of(found, tz, counted, timed, credit)

    def stale_transactions(self) -> int:
        with self._transaction() as conn:
            return pg_transactions.stale(conn)

    def refresh_transactions(self) -> int:
        """Recompute the transactions of every conversation whose rows are from older rules,
        a batch per SQL transaction; returns how many conversations were recomputed."""
        done, after = 0, 0
        while True:
            with self._transaction() as conn:
                ids = pg_transactions.refresh_batch(conn, after)
            if not ids:
                return done
            done, after = done + len(ids), ids[-1]

    def open_at(self, as_of: datetime) -> Iterator[Conversation]:
        """Those not resolved now, and those resolved since ``as_of`` that began by then."""
        with self._transaction() as conn, conn.cursor(name="askdesk_open_at") as cursor:
            cursor.itersize = 2000
            cursor.execute(
                f"SELECT {pg_documents.COLUMNS} FROM conversations c "
                "WHERE NOT c.archived AND c.status <> %(resolved)s "
                f"UNION ALL SELECT {pg_documents.COLUMNS} FROM conversations c "
                "WHERE c.status = %(resolved)s AND c.resolved_at > %(as_of)s "
                "AND (c.opened_at IS NULL OR c.opened_at <= %(as_of)s)",
                {"resolved": Status.RESOLVED.value, "as_of": as_of},
            )
            for doc, events, replies in cursor:
                yield pg_documents.assemble(doc, events, replies)

    def cursor(self, channel: str) -> str | None:
        with self._transaction() as conn:
            row = conn.execute("SELECT cursor FROM channels WHERE name = %s", (channel,)).fetchone()
        return row[0] if row else None

    def channel_records(self) -> dict[str, dict[str, Any]]:
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT name, health, lease_holder, lease_expires_at FROM channels ORDER BY name"
            ).fetchall()
        return {
            name: {
                "health": health or {},
                "lease": (
                    {"holder": holder, "expires_at": expires.isoformat()}
                    if holder is not None and expires is not None
                    else None
                ),
            }
            for name, health, holder, expires in rows
        }

    # -- writing ----------------------------------------------------------------------

    def update(self, key: str, change: Change) -> Conversation:
        with self._transaction() as conn:
            row = conn.execute(_LOCK, {"key": indexed(key)}).fetchone()
            if row is None:
                raise NotFound(f"no conversation or message {key} in {self.location}")
            row_id, rules = row
            current = pg_documents.read(conn, [row_id])[row_id]
            updated = change(current)
            # Any change brings an archived conversation back to the desk.
            conn.execute(_WRITE, (*_columns(updated), False, row_id))
            pg_documents.save_parts(conn, [(row_id, current, updated)])
            if updated.message_keys() != current.message_keys():
                self._save_message_keys(conn, row_id, updated)
            # Most changes (a claim, a note) leave the transactions as they were.
            if rules != TRANSACTION_RULES or transactions_of(updated) != transactions_of(current):
                pg_transactions.save(conn, [(row_id, updated)], new=False)
            self._notify(conn, [row_id])
        self._patch(row_id, updated)
        return updated

    def _save_message_keys(self, conn: Connection, row_id: int, c: Conversation) -> None:
        keys = [indexed(k) for k in c.message_keys()]
        conn.execute(
            "DELETE FROM message_keys WHERE conversation = %s AND key <> ALL(%s)", (row_id, keys)
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO message_keys (key, conversation) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET conversation = EXCLUDED.conversation",
                [(k, row_id) for k in keys],
            )

    def ingest(
        self,
        messages: Sequence[Message],
        at: datetime,
        cursor: tuple[str, str | None] | None = None,
    ) -> IngestResult:
        result = IngestResult()
        with self._transaction() as conn:
            # A poller, not staff, waits here: longer than an action would, for another
            # channel's big first fetch.
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{INGEST_WAIT_S}s",))
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK,))
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{LOCK_WAIT_S}s",))
            keys = {indexed(m.key): m.key for m in messages}
            known = {
                keys[r[0]]
                for r in conn.execute(
                    "SELECT key FROM message_keys WHERE key = ANY(%s)", (list(keys),)
                ).fetchall()
            }
            wanted = {
                indexed(m.conversation_key): m.conversation_key
                for m in messages
                if m.key not in known
            }
            locked = conn.execute(
                "SELECT id FROM conversations WHERE key = ANY(%s) FOR UPDATE", (list(wanted),)
            ).fetchall()
            existing: dict[str, tuple[int, Conversation]] = {
                c.key: (row_id, c)
                for row_id, c in pg_documents.read(conn, [r[0] for r in locked]).items()
            }
            changed: dict[str, Conversation] = {}
            fresh: dict[str, Conversation] = {}
            seen: set[str] = set()
            for message in messages:
                key, conversation_key = message.key, message.conversation_key
                if key in known or key in seen:
                    result.duplicates += 1
                    continue
                seen.add(key)
                if conversation_key in fresh:
                    fresh[conversation_key] = transitions.add_message(
                        fresh[conversation_key], message, at
                    )
                    continue
                current = changed.get(conversation_key)
                if current is None and conversation_key in existing:
                    current = existing[conversation_key][1]
                if current is None:
                    fresh[conversation_key] = transitions.start(message, at)
                    result.added.append(conversation_key)
                else:
                    changed[conversation_key] = transitions.add_message(current, message, at)
                    if conversation_key not in result.joined:
                        result.joined.append(conversation_key)
            ids: list[int] = []
            with conn.cursor() as cur:
                if fresh:
                    cur.executemany(_INSERT, [_columns(c) for c in fresh.values()], returning=True)
                    while True:
                        inserted = cur.fetchone()
                        assert inserted is not None
                        ids.append(int(inserted[0]))
                        if not cur.nextset():
                            break
                if changed:
                    cur.executemany(
                        _WRITE,
                        [(*_columns(c), False, existing[k][0]) for k, c in changed.items()],
                    )
                    ids += [existing[k][0] for k in changed]
                new_keys = [
                    (indexed(m.key), row_id)
                    for row_id, c in zip(ids, [*fresh.values(), *changed.values()], strict=True)
                    for m in c.messages
                    if m.key in seen
                ]
                if new_keys:
                    cur.executemany(
                        "INSERT INTO message_keys (key, conversation) VALUES (%s, %s)", new_keys
                    )
            pg_documents.save_parts(
                conn,
                [
                    *((i, None, c) for i, c in zip(ids[: len(fresh)], fresh.values(), strict=True)),
                    *((existing[k][0], existing[k][1], c) for k, c in changed.items()),
                ],
            )
            pg_transactions.save(
                conn, list(zip(ids[: len(fresh)], fresh.values(), strict=True)), new=True
            )
            pg_transactions.save(conn, [(existing[k][0], c) for k, c in changed.items()], new=False)
            if cursor is not None:
                self._save_channel(conn, cursor[0], "cursor", cursor[1])
            if ids:
                self._notify(conn, ids)
        return result

    def _save_channel(self, conn: Connection, name: str, column: str, value: Any) -> None:
        """Set one column of a channel's record; writes nothing when nothing changes."""
        conn.execute(
            f"INSERT INTO channels (name, {column}) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
            f"SET {column} = EXCLUDED.{column} "
            f"WHERE channels.{column}::text IS DISTINCT FROM EXCLUDED.{column}::text",
            (name, value),
        )

    def save_cursor(self, channel: str, value: str | None) -> None:
        with self._transaction() as conn:
            self._save_channel(conn, channel, "cursor", value)

    def save_draft(self, key: str, staff: str, text: str | None) -> None:
        with self._transaction() as conn:
            if text is None or not text.strip():
                conn.execute(
                    "DELETE FROM drafts WHERE key = %s AND staff = %s", (indexed(key), staff)
                )
            else:
                conn.execute(
                    "INSERT INTO drafts (key, staff, text) VALUES (%s, %s, %s) "
                    "ON CONFLICT (key, staff) DO UPDATE SET text = EXCLUDED.text",
                    (indexed(key), staff, text),
                )
            self._notify(conn, None)  # the same person's other desk shows the draft mark

    def drafts(self, staff: str | None = None) -> dict[tuple[str, str], str]:
        with self._transaction() as conn:
            # A key indexed by its digest is read from its conversation.
            rows = conn.execute(
                "SELECT d.key, d.staff, d.text, CASE WHEN strpos(d.key, %s) > 0 THEN c.doc END "
                "FROM drafts d LEFT JOIN conversations c ON c.key = d.key "
                "WHERE %s::text IS NULL OR d.staff = %s",
                (DIGEST, staff, staff),
            ).fetchall()
        return {(doc["key"] if doc else key, who): text for key, who, text, doc in rows}

    def save_health(self, channel: str, health: dict[str, Any]) -> None:
        with self._transaction() as conn:
            self._save_channel(conn, channel, "health", Json(health))
            self._notify(conn, None)

    # -- who has a desk open --------------------------------------------------------

    def heartbeat(self, staff: str, holder: str, now: datetime) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO presence (holder, staff, seen_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (holder) DO UPDATE SET staff = EXCLUDED.staff, "
                "seen_at = EXCLUDED.seen_at",
                (holder, staff, now),
            )
            # Desks that went away without a word (a crash) are forgotten in time.
            conn.execute("DELETE FROM presence WHERE seen_at < %s", (now - PRESENCE_KEPT,))

    def end_shift(self, holder: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM presence WHERE holder = %s", (holder,))

    def on_shift(self, now: datetime, within: timedelta) -> list[OnShift]:
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT staff, holder, seen_at FROM presence WHERE seen_at >= %s "
                "ORDER BY staff, holder",
                (now - within,),
            ).fetchall()
        return [OnShift(staff=staff, holder=holder, seen_at=seen) for staff, holder, seen in rows]

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> str:
        with self._transaction() as conn:
            conn.execute("INSERT INTO channels (name) VALUES (%s) ON CONFLICT DO NOTHING", (name,))
            row = conn.execute(
                "SELECT lease_holder, lease_expires_at FROM channels WHERE name = %s FOR UPDATE",
                (name,),
            ).fetchone()
            current, expires_at = row if row else (None, None)
            if expires_at is not None and expires_at > now and current != holder:
                return str(current)
            # Renewed at half-life, so a lease costs a write every ttl/2, not every poll.
            if current != holder or expires_at is None or now >= expires_at - ttl / 2:
                conn.execute(
                    "UPDATE channels SET lease_holder = %s, lease_expires_at = %s WHERE name = %s",
                    (holder, now + ttl, name),
                )
                self._notify(conn, None)
            return holder

    def release_lease(self, name: str, holder: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE channels SET lease_holder = NULL, lease_expires_at = NULL "
                "WHERE name = %s AND lease_holder = %s",
                (name, holder),
            )

    def add_conversations(self, conversations: Sequence[Conversation]) -> None:
        if not conversations:
            return
        with self._transaction() as conn, conn.cursor() as cur:
            cur.executemany(_INSERT, [_columns(c) for c in conversations], returning=True)
            ids: list[int] = []
            while True:
                inserted = cur.fetchone()
                assert inserted is not None
                ids.append(int(inserted[0]))
                if not cur.nextset():
                    break
            cur.executemany(
                "INSERT INTO message_keys (key, conversation) VALUES (%s, %s)",
                [
                    (indexed(key), row_id)
                    for row_id, c in zip(ids, conversations, strict=True)
                    for key in c.message_keys()
                ],
            )
            pg_documents.save_parts(
                conn, [(row_id, None, c) for row_id, c in zip(ids, conversations, strict=True)]
            )
            pg_transactions.save(conn, list(zip(ids, conversations, strict=True)), new=True)
            self._notify(conn, ids)

    def archive_resolved(self, before: datetime) -> int:
        with self._transaction() as conn:
            rows = conn.execute(
                "UPDATE conversations SET archived = true, seq = nextval('conversation_changes') "
                "WHERE NOT archived AND status = %s AND resolved_at < %s RETURNING id",
                (Status.RESOLVED.value, before),
            ).fetchall()
            if rows:
                self._notify(conn, [r[0] for r in rows])
        if rows:
            with self._mutex:
                if self._live is not None:
                    for (row_id,) in rows:
                        self._live.pop(row_id, None)
                    self._live_list = list(self._live.values())
        return len(rows)

    def rewrite(
        self,
        change: Rewrite,
        resolved_by: datetime | None = None,
        resolved_after: datetime | None = None,
    ) -> list[str]:
        """Rewrite in batches by row, each one transaction; the old row versions are dead
        tuples until VACUUM reclaims them (docs/postgresql.md)."""
        conditions: list[str] = ["c.id > %s"]
        params: list[Any] = []
        if resolved_by is not None or resolved_after is not None:
            conditions.append("c.status = %s")
            params.append(Status.RESOLVED.value)
        if resolved_by is not None:
            conditions.append("c.resolved_at <= %s")
            params.append(resolved_by)
        if resolved_after is not None:
            conditions.append("c.resolved_at > %s")
            params.append(resolved_after)
        query = (
            f"SELECT c.id, c.archived FROM conversations c "
            f"WHERE {' AND '.join(conditions)} ORDER BY c.id LIMIT {REWRITE_BATCH} FOR UPDATE"
        )
        changed: list[str] = []
        last = 0
        while True:
            with self._transaction() as conn:
                rows = conn.execute(query, (last, *params)).fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                stored = pg_documents.read(conn, [row_id for row_id, _ in rows])
                written: list[tuple[int, Conversation, Conversation]] = []
                for row_id, archived in rows:
                    current = stored[row_id]
                    updated = change(current)
                    if updated is None:
                        continue
                    if updated.key != current.key:
                        taken = conn.execute(
                            "SELECT 1 FROM conversations WHERE key = %s", (indexed(updated.key),)
                        ).fetchone()
                        if taken:
                            raise StoreError(
                                f"cannot rewrite {current.key} as {updated.key}: "
                                f"another conversation in {self.location} has that key"
                            )
                    # Rewriting history does not bring it back to the desk.
                    conn.execute(_WRITE, (*_columns(updated), archived, row_id))
                    if updated.message_keys() != current.message_keys():
                        self._save_message_keys(conn, row_id, updated)
                    written.append((row_id, current, updated))
                    changed.append(updated.key)
                if written:
                    pg_documents.save_parts(conn, written)
                    pg_transactions.save(conn, [(i, c) for i, _, c in written], new=False)
                    self._notify(conn, [row_id for row_id, _, _ in written])
        return changed

    def close(self) -> None:
        """Stop listening and close the pool; not waiting for the listener's last
        wait to end keeps a command's exit quick."""
        self._closed.set()
        self._pool.close()
