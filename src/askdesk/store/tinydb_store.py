"""The embedded store: TinyDB on two atomic, cached hot files plus monthly archives.

Several askdesk processes may share one store. Every write holds an
exclusive file lock, starts from the freshest copy of the files and replaces
each file it changes atomically, so each transition is a compare-and-set: of
two staff who claim the same message at once, one wins and the other is told
who did.

The hot files keep only what is live (new and claimed in one, recently
resolved in the other: see ``hot_storage``); a claim costs the same on the
first day and after five years.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from tinydb import TinyDB
from tinydb.table import Document, Table

from askdesk.errors import NotFound, StoreError
from askdesk.model import Conversation, Message, Status, transitions
from askdesk.model.transactions import Transaction, transactions_of
from askdesk.store.archive import MONTH_ADVICE, Archive
from askdesk.store.base import PRESENCE_KEPT, Change, IngestResult, OnShift, Rewrite
from askdesk.store.codec import MalformedRecord, from_dict, to_dict
from askdesk.store.files import Watched, load, sweep_stale_temps
from askdesk.store.hot_storage import HotStorage, Version
from askdesk.store.lock import StoreLock
from askdesk.store.tally import Credit, GroupKey, Tally, tally_of

LOCK_TIMEOUT_S = 30
LOCK_POLL_S = 0.001
"""How often a process waiting for the lock tries again. filelock's default,
50 ms, made a colleague's claim wait 50 ms whenever the store was busy, and
let one busy process keep the lock for seconds."""
DRAFTS = "drafts"
"""The live file's table of staff's unsent replies, one record per conversation and staff."""


class _Index:
    """Where each conversation sits in the hot table, and which holds each message."""

    def __init__(self, table: dict[str, dict[str, Any]]) -> None:
        self.doc_ids: dict[str, int] = {}
        self.conversation_of: dict[str, str] = {}
        for doc_id, doc in table.items():
            if not (doc_id.isascii() and doc_id.isdigit()):  # a file edited by hand
                raise MalformedRecord(str(doc.get("key", "?")), f"record number {doc_id!r}")
            self.doc_ids[doc["key"]] = int(doc_id)
            for m in doc["messages"]:
                self.conversation_of[f"{m['channel']}:{m['remote_id']}"] = doc["key"]
        self.next_id = max(self.doc_ids.values(), default=0) + 1

    def doc_id(self, key: str) -> int | None:
        conversation = self.conversation_of.get(key, key)
        return self.doc_ids.get(conversation)


P = ParamSpec("P")
R = TypeVar("R")


def _naming_the_file(
    method: Callable[Concatenate[TinyDBStore, P], R],
) -> Callable[Concatenate[TinyDBStore, P], R]:
    """A conversation that cannot be decoded is reported with the file that holds it."""

    @functools.wraps(method)
    def naming(store: TinyDBStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(store, *args, **kwargs)
        except MalformedRecord as error:
            raise store._malformed(error) from error

    return naming


class TinyDBStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        self.location = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"cannot create the folder for the store {self.path}: {error}"
            ) from error
        self._file_lock = StoreLock(
            self.path.with_name(self.path.name + ".lock"), self.path, LOCK_TIMEOUT_S, LOCK_POLL_S
        )
        self._mutex = threading.RLock()
        self._storage = HotStorage(self.path)
        # TinyDB takes a storage class; hand it the instance we keep for batching.
        self._db = TinyDB(storage=lambda: self._storage)
        self._conversations: Table = self._db.table("conversations", cache_size=0)
        self.archive = Archive(self.path.with_name(self.path.stem + ".archive"))
        # Beside the hot files, not in them: a heartbeat every few seconds from each
        # desk must not make every desk re-read the conversations.
        self._presence = Watched(
            self.path.with_name(f"{self.path.stem}.presence{self.path.suffix}")
        )
        self._index_of: tuple[int, Version | None] | None = None
        self._index = _Index({})
        self._index_kept = False
        """Set inside a transaction whose write leaves every key on its doc id."""
        self._live_of: Version | None = None
        self._live: list[Conversation] = []
        self._live_patch: Conversation | None = None
        """Set inside an ``update`` that started from the file ``_live`` was read from."""
        with self._mutex:
            self._raw()  # a damaged store is reported now, not at the first key press

    # -- reading -------------------------------------------------------------

    def _raw(self) -> dict[str, dict[str, Any]]:
        data = self._storage.read() or {}
        table: dict[str, dict[str, Any]] = data.get("conversations", {})
        return table

    def _fresh_index(self, table: dict[str, dict[str, Any]] | None = None) -> _Index:
        """The index of ``table`` (by default the freshest hot table)."""
        if table is None:
            table = self._raw()
        marker = (id(table), self._storage.identity)
        if marker != self._index_of:
            # Every record was checked for what the index reads when its file was read.
            self._index = _Index(table)
            self._index_of = marker
        return self._index

    def version(self) -> Version | None:
        return self._storage.identity

    def problem(self) -> str | None:
        """A file on this machine is never unreachable for a while: its errors are raised."""
        return None

    def with_open_replies(self) -> list[Conversation]:
        return [c for c in self.live() if c.open_replies]

    @_naming_the_file
    def live(self) -> list[Conversation]:
        with self._mutex:
            identity = self._storage.identity
            if identity is None:
                return []
            if identity != self._live_of:
                self._live = [from_dict(doc) for doc in self._raw().values()]
                self._live_of = identity
            return list(self._live)

    @_naming_the_file
    def get(self, key: str) -> Conversation | None:
        with self._mutex:
            # One read for both: another process may write in between two.
            table = self._raw()
            doc_id = self._fresh_index(table).doc_id(key)
            if doc_id is not None:
                return from_dict(table[str(doc_id)])
        doc = self.archive.get(key)
        return from_dict(doc) if doc is not None else None

    def history(self, resolved_since: datetime | None = None) -> Iterator[Conversation]:
        hot = self.live()
        hot_keys = {c.key for c in hot}
        yield from hot
        first = _month(resolved_since - timedelta(days=1)) if resolved_since else None
        for month in self.archive.months():
            if first is not None and month < first:
                continue  # archived by the month of the last resolve: all before resolved_since
            for doc in self.archive.read_month(month).values():
                if doc["key"] not in hot_keys:  # a crash mid-move leaves two copies; hot wins
                    try:
                        conversation = from_dict(doc)
                    except MalformedRecord as error:
                        raise self._malformed(error) from error
                    yield conversation

    def transactions(
        self, resolved_since: datetime | None = None, resolved_until: datetime | None = None
    ) -> Iterator[Transaction]:
        """Worked out from ``history``: a file store keeps no transactions of its own."""
        for conversation in self.history(resolved_since):
            resolutions = conversation.resolutions
            if not resolutions or (resolved_since and resolutions[-1].at < resolved_since):
                continue  # no transaction of it is resolved in the range
            for t in transactions_of(conversation):
                if (resolved_since is None or t.resolved_at >= resolved_since) and (
                    resolved_until is None or t.resolved_at < resolved_until
                ):
                    yield t

    def tally(
        self,
        resolved_since: datetime | None,
        resolved_until: datetime | None,
        tz: tzinfo,
        counted: Sequence[GroupKey],
        timed: Sequence[GroupKey] = (),
        credit: Credit | None = None,
    ) -> Tally:
        found = self.transactions(resolved_since, resolved_until)
        return tally_of(found, tz, counted, timed, credit)

    def open_at(self, as_of: datetime) -> Iterator[Conversation]:
        for conversation in self.history(resolved_since=as_of):
            resolutions = conversation.resolutions
            if (
                conversation.status is Status.RESOLVED
                and resolutions
                and resolutions[-1].at <= as_of
            ):
                continue  # resolved by then and not since: nothing of it waited
            yield conversation

    def stale_transactions(self) -> int:
        return 0

    def refresh_transactions(self) -> int:
        return 0

    def _malformed(self, error: MalformedRecord) -> StoreError:
        """The sentence for a conversation that cannot be decoded, naming the file that holds it."""
        month = self.archive.month_of(error.key)
        if any(doc["key"] == error.key for doc in self._raw().values()) or month is None:
            path = self._storage.file_of(error.key)
            what, advice = "askdesk store", self._storage.advice(path)
        else:
            path, what, advice = self.archive.month_path(month), "archive file", MONTH_ADVICE
        return StoreError(
            f"the {what} {path} holds a malformed conversation {error.key} ({error.detail}); "
            f"it was left untouched: {advice}"
        )

    def cursor(self, channel: str) -> str | None:
        with self._mutex:
            data = self._storage.read() or {}
        for doc in data.get("cursors", {}).values():
            if doc.get("channel") == channel:
                value = doc.get("value")
                return value if isinstance(value, str) else None
        return None

    # -- writing -------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[list[str]]:
        """Lock, write the hot files once, then drop from the archive what went back hot.

        Yields the list of conversation keys to drop; the archive is changed
        after the hot files hold them but before the lock is released, since
        its month files and index are read-modify-written too.
        """
        with self._mutex:
            self._file_lock.acquire()
            try:
                # A writer killed mid-write left its temporary file; we hold the lock,
                # so no live writer of ours is between its write and its rename.
                sweep_stale_temps(self.path.parent)
                sweep_stale_temps(self.archive.folder)
                back_from_archive: list[str] = []
                self._index_kept = False
                self._live_patch = None
                with self._storage.batch():
                    yield back_from_archive
                written = self._storage.written_identity
                if self._index_kept:
                    # Our write moved no key: the index still describes the new file,
                    # so the next transaction need not rebuild it (~2 ms at 600 docs).
                    self._index_of = (id(self._raw()), written)
                if self._live_patch is not None:
                    # The desk's copy was current before our write: patch in the one
                    # conversation we wrote instead of parsing every live one again,
                    # and hand out the same object the caller got from ``update``.
                    self._live = _with(self._live, self._live_patch)
                    self._live_of = written
                if back_from_archive:
                    self.archive.remove_many(back_from_archive)
            finally:
                self._file_lock.release()

    @_naming_the_file
    def ingest(
        self,
        messages: Sequence[Message],
        at: datetime,
        cursor: tuple[str, str | None] | None = None,
    ) -> IngestResult:
        result = IngestResult()
        with self._transaction() as back_from_archive:
            index = self._fresh_index()
            table = self._raw()
            archived = self.archive.index() if self.archive.months() else {}
            # Old conversations patrons wrote to again, each month file read once.
            wanted = {m.conversation_key for m in messages}.intersection(archived)
            from_archive = self.archive.get_many(wanted) if wanted else {}
            changed: dict[str, Conversation] = {}
            fresh: dict[str, Conversation] = {}
            seen: set[str] = set()
            for message in messages:
                key, conversation_key = message.key, message.conversation_key
                if key in index.conversation_of or key in archived or key in seen:
                    result.duplicates += 1
                    continue
                seen.add(key)
                if conversation_key in fresh:
                    fresh[conversation_key] = transitions.add_message(
                        fresh[conversation_key], message, at
                    )
                    continue
                current = changed.get(conversation_key)
                if current is None and conversation_key in index.doc_ids:
                    current = from_dict(table[str(index.doc_ids[conversation_key])])
                if current is None and conversation_key in archived:
                    doc = from_archive.get(conversation_key)
                    if doc is not None:
                        current = from_dict(doc)
                        back_from_archive.append(conversation_key)
                if current is None:
                    fresh[conversation_key] = transitions.start(message, at)
                    result.added.append(conversation_key)
                else:
                    changed[conversation_key] = transitions.add_message(current, message, at)
                    if conversation_key not in result.joined:
                        result.joined.append(conversation_key)
            # One record at a time, not ``Table.update``/``insert_multiple``: those
            # copy the table and make both hot files due, where most batches touch
            # only the live one.
            next_id = index.next_id
            for conversation in [*fresh.values(), *changed.values()]:
                doc_id = index.doc_ids.get(conversation.key)
                if doc_id is None:
                    doc_id, next_id = next_id, next_id + 1
                self._storage.put("conversations", str(doc_id), to_dict(conversation))
            if cursor is not None:
                self._save_cursor(*cursor)
        return result

    # -- per-channel state: cursor, poller lease, health ----------------------------

    def _channel_doc(self, channel: str) -> tuple[int, dict[str, Any]] | None:
        raw = (self._storage.read() or {}).get("cursors", {})
        for doc_id, doc in raw.items():
            if doc.get("channel") == channel:
                return int(doc_id), doc
        return None

    def _set_channel(self, channel: str, fields: dict[str, Any]) -> None:
        """Change a channel's record; writes nothing when nothing changes."""
        found = self._channel_doc(channel)
        if found is None:
            raw = (self._storage.read() or {}).get("cursors", {})
            # An explicit id from the fresh file: TinyDB's own next-id counter is
            # cached per process and collides with records other processes added.
            next_id = max((int(i) for i in raw), default=0) + 1
            self._storage.put("cursors", str(next_id), {"channel": channel, **fields})
        elif any(found[1].get(k) != v for k, v in fields.items()):
            # Not ``Table.update``: that rewrites the recent file too.
            self._storage.put("cursors", str(found[0]), {**found[1], **fields})

    def _save_cursor(self, channel: str, value: str | None) -> None:
        self._set_channel(channel, {"value": value})

    def save_cursor(self, channel: str, value: str | None) -> None:
        with self._transaction():
            self._save_cursor(channel, value)

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> str:
        """Take or renew the lease ``name``; returns whoever holds it afterwards."""
        with self._transaction():
            found = self._channel_doc(name)
            lease = (found[1].get("lease") if found else None) or {}
            current, expires = lease.get("holder"), lease.get("expires_at")
            expires_at = datetime.fromisoformat(expires) if isinstance(expires, str) else None
            if expires_at is not None and expires_at > now and current != holder:
                return str(current)
            # Renewed at half-life, so a lease costs a write every ttl/2, not every poll.
            if current != holder or expires_at is None or now >= expires_at - ttl / 2:
                self._set_channel(
                    name, {"lease": {"holder": holder, "expires_at": (now + ttl).isoformat()}}
                )
            return holder

    def release_lease(self, name: str, holder: str) -> None:
        with self._transaction():
            found = self._channel_doc(name)
            if found and (found[1].get("lease") or {}).get("holder") == holder:
                self._set_channel(name, {"lease": None})

    def save_health(self, channel: str, health: dict[str, Any]) -> None:
        with self._transaction():
            self._set_channel(channel, {"health": health})

    def channel_records(self) -> dict[str, dict[str, Any]]:
        """Each channel's stored health and lease, for ``askdesk channels`` and the dashboard."""
        with self._mutex:
            raw = (self._storage.read() or {}).get("cursors", {})
        return {
            doc["channel"]: {"health": doc.get("health") or {}, "lease": doc.get("lease")}
            for doc in raw.values()
            if "channel" in doc
        }

    # -- who has a desk open --------------------------------------------------------

    def _read_presence(self) -> dict[str, dict[str, str]]:
        if self._presence.identity() is None:
            return {}
        data = load(self._presence.path, "askdesk presence file")
        return data if isinstance(data, dict) else {}

    def _write_presence(self, change: Callable[[dict[str, dict[str, str]]], None]) -> None:
        with self._mutex:
            self._file_lock.acquire()
            try:
                try:
                    desks = self._read_presence()
                except StoreError:
                    desks = {}  # a damaged presence file only says who is on shift: start again
                change(desks)
                self._presence.write(desks)
            finally:
                self._file_lock.release()

    def heartbeat(self, staff: str, holder: str, now: datetime) -> None:
        def beat(desks: dict[str, dict[str, str]]) -> None:
            for other, desk in list(desks.items()):
                seen = _when(desk.get("seen_at"))
                if seen is None or now - seen > PRESENCE_KEPT:
                    del desks[other]
            desks[holder] = {"staff": staff, "seen_at": now.isoformat()}

        self._write_presence(beat)

    def end_shift(self, holder: str) -> None:
        def leave(desks: dict[str, dict[str, str]]) -> None:
            desks.pop(holder, None)

        self._write_presence(leave)

    def on_shift(self, now: datetime, within: timedelta) -> list[OnShift]:
        try:
            desks = self._read_presence()
        except StoreError:
            return []
        found = []
        for holder, desk in desks.items():
            seen = _when(desk.get("seen_at")) if isinstance(desk, dict) else None
            if seen is not None and now - seen <= within:
                found.append(OnShift(staff=str(desk.get("staff")), holder=holder, seen_at=seen))
        return sorted(found, key=lambda d: (d.staff, d.holder))

    # -- drafts: staff's unsent replies, in the live file's own table ------------------

    def _draft_doc(self, key: str, staff: str) -> str | None:
        raw = (self._storage.read() or {}).get(DRAFTS, {})
        return next(
            (i for i, d in raw.items() if d.get("key") == key and d.get("staff") == staff), None
        )

    def save_draft(self, key: str, staff: str, text: str | None) -> None:
        with self._transaction():
            doc_id = self._draft_doc(key, staff)
            if text is None or not text.strip():
                if doc_id is not None:
                    self._storage.drop(DRAFTS, doc_id)
                return
            if doc_id is None:
                raw = (self._storage.read() or {}).get(DRAFTS, {})
                # From the fresh file, as for channel records: other processes add drafts too.
                doc_id = str(max((int(i) for i in raw), default=0) + 1)
            self._storage.put(DRAFTS, doc_id, {"key": key, "staff": staff, "text": text})

    def drafts(self, staff: str | None = None) -> dict[tuple[str, str], str]:
        with self._mutex:
            raw = (self._storage.read() or {}).get(DRAFTS, {})
        return {
            (d["key"], d["staff"]): d["text"]
            for d in raw.values()
            if staff is None or d.get("staff") == staff
        }

    @_naming_the_file
    def update(self, key: str, change: Change) -> Conversation:
        with self._transaction() as back_from_archive:
            live_is_current = self._live_of is not None and self._live_of == self._storage.identity
            index = self._fresh_index()
            doc_id = index.doc_id(key)
            if doc_id is not None:
                current = from_dict(self._raw()[str(doc_id)])
            else:
                doc = self.archive.get(key)
                if doc is None:
                    raise NotFound(f"no conversation or message {key} in {self.location}")
                current = from_dict(doc)
            updated = change(current)
            if doc_id is not None:
                # Not ``Table.update``: it copies the whole table twice (~0.5 ms a claim).
                self._storage.put("conversations", str(doc_id), to_dict(updated))
                self._index_kept = (
                    updated.key == current.key and updated.message_keys() == current.message_keys()
                )
            else:
                self._conversations.insert(Document(to_dict(updated), doc_id=index.next_id))
                back_from_archive.append(updated.key)
            if live_is_current:
                self._live_patch = updated
        return updated

    def add_conversations(self, conversations: Sequence[Conversation]) -> None:
        with self._transaction():
            index = self._fresh_index()
            archived = self.archive.index() if self.archive.months() else {}
            next_id = index.next_id
            for conversation in conversations:
                for key in (conversation.key, *conversation.message_keys()):
                    if key in index.doc_ids or key in index.conversation_of or key in archived:
                        raise StoreError(
                            f"{key} is already in the store {self.location}: "
                            "conversations are copied only into an empty store"
                        )
                self._storage.put("conversations", str(next_id), to_dict(conversation))
                next_id += 1

    @_naming_the_file
    def archive_resolved(self, before: datetime) -> int:
        with self._transaction():
            table = self._raw()
            by_month: dict[str, list[dict[str, Any]]] = {}
            doc_ids: list[int] = []
            for doc_id, doc in table.items():
                if doc["status"] != Status.RESOLVED.value or not doc["resolutions"]:
                    continue
                resolved_at = datetime.fromisoformat(doc["resolutions"][-1]["at"])
                if resolved_at < before:
                    by_month.setdefault(resolved_at.strftime("%Y-%m"), []).append(doc)
                    doc_ids.append(int(doc_id))
            if not doc_ids:
                return 0
            # Archive first, then drop from the hot files: a crash in between
            # leaves two copies (the hot one wins), never none.
            self.archive.add(by_month)
            self._conversations.remove(doc_ids=doc_ids)
            return len(doc_ids)

    @_naming_the_file
    def rewrite(
        self,
        change: Rewrite,
        resolved_by: datetime | None = None,
        resolved_after: datetime | None = None,
    ) -> list[str]:
        window = (resolved_after, resolved_by)
        changed: list[str] = []
        with self._transaction():
            index = self._fresh_index()
            replacements: dict[str, dict[str, Any]] = {}
            for doc in self._raw().values():
                if not _resolved_in(doc, window):
                    continue
                updated = change(from_dict(doc))
                if updated is None:
                    continue
                if updated.key != doc["key"] and updated.key in index.doc_ids:
                    raise StoreError(
                        f"cannot rewrite {doc['key']} as {updated.key}: "
                        f"another conversation in {self.location} has that key"
                    )
                replacements[doc["key"]] = to_dict(updated)
                changed.append(updated.key)

            def replace_doc(doc: MutableMapping[str, Any]) -> None:
                new = replacements[doc["key"]]
                doc.clear()
                doc.update(new)

            if replacements:
                # One table update for all of them: TinyDB copies the table on each.
                self._conversations.update(
                    replace_doc, doc_ids=[index.doc_ids[key] for key in replacements]
                )
        # Archives one month per lock, so that colleagues' claims wait for one
        # month file at most, not for the whole history.
        # A day's margin: month files are named by the resolve's own offset.
        first = _month(resolved_after - timedelta(days=1)) if resolved_after else None
        last = _month(resolved_by + timedelta(days=1)) if resolved_by else None
        months = [
            m
            for m in self.archive.months()
            if (first is None or m >= first) and (last is None or m <= last)
        ]
        indexed: dict[str, set[str]] = {}
        if months:
            for key, month in self.archive.index().items():
                indexed.setdefault(month, set()).add(key)
        for month in months:
            with self._transaction():
                changed += self._rewrite_month(month, change, window, indexed.get(month, set()))
        return changed

    def _rewrite_month(
        self,
        month: str,
        change: Rewrite,
        window: tuple[datetime | None, datetime | None],
        indexed: set[str],
    ) -> list[str]:
        hot = self._fresh_index()
        docs = self.archive.read_month(month)
        out: dict[str, dict[str, Any]] = {}
        changed: list[str] = []
        dropped = set(indexed)
        dirty = False
        for key, doc in docs.items():
            dropped.update(_doc_keys(doc))
            updated = change(from_dict(doc)) if _resolved_in(doc, window) else None
            if updated is None:
                out[key] = doc
                continue
            dirty = True
            if (
                key in hot.doc_ids
                or updated.key in hot.doc_ids
                or any(m in hot.conversation_of for m in updated.message_keys())
            ):
                continue  # a copy left by a crash mid-move: the hot one is the one that counts
            if updated.key != key and updated.key in docs:
                raise StoreError(
                    f"cannot rewrite {key} as {updated.key}: another conversation "
                    f"in {self.archive.folder} has that key"
                )
            out[updated.key] = to_dict(updated)
            changed.append(updated.key)
        kept = {k for doc in out.values() for k in _doc_keys(doc)}
        if dirty or not indexed <= kept:
            self.archive.replace_month(month, out, dropped)
        return changed

    def close(self) -> None:
        self._db.close()


def _with(live: list[Conversation], changed: Conversation) -> list[Conversation]:
    """``live`` with ``changed`` in place of its old copy, or at the end, as the file has it."""
    out = [changed if c.key == changed.key else c for c in live]
    if not any(c is changed for c in out):
        out.append(changed)
    return out


def _resolved_in(doc: dict[str, Any], window: tuple[datetime | None, datetime | None]) -> bool:
    """Whether a stored conversation's last resolve lies in ``(after, by]``; no window: all."""
    after, by = window
    if after is None and by is None:
        return True
    if doc["status"] != Status.RESOLVED.value or not doc["resolutions"]:
        return False
    at = datetime.fromisoformat(doc["resolutions"][-1]["at"])
    return (after is None or at > after) and (by is None or at <= by)


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _month(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m")


def _doc_keys(doc: dict[str, Any]) -> list[str]:
    return [doc["key"], *(f"{m['channel']}:{m['remote_id']}" for m in doc["messages"])]
