"""The TinyDB ``Storage`` of the hot table: atomic, cached, batched, in two files.

TinyDB's stock ``JSONStorage`` re-parses the whole file on every read and
rewrites it in place on every write (3 s per claim at 100k messages, and a
torn file after a crash). This storage keeps the parsed data in memory while
the files are unchanged, replaces a file atomically, and inside ``batch()``
turns the several writes of one transaction into one per file.

TinyDB sees one ``conversations`` table; on disk it is split by status. The
live file (``askdesk.json``) holds new and claimed conversations and every
other table; the recent file (``askdesk.recent.json``) holds the recently
resolved ones, which wait there for ``hot_days`` before the archive takes
them. A claim, the write staff make most, rewrites only the live file: half
the bytes to encode, write and fsync, and colleagues re-read only that half.

Each file is replaced whole, so a crash leaves each one old or new. A
conversation that changes file is written to its new file first and dropped
from its old one after; a crash in between leaves two copies with the same
doc id, and the live file's copy wins. For a resolve that is the state before
it (still claimed), for a reopen the state after it: never a lost
conversation. The next write of the recent file drops the stale copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from askdesk.errors import StoreError
from askdesk.model import Status
from askdesk.store.codec import record_problem
from askdesk.store.files import Identity, Watched, load

CONVERSATIONS = "conversations"
RESOLVED = Status.RESOLVED.value
LOAD_TRIES = 5
"""Reads take no lock: if a file changes while the other one is being read,
read again, so that the two halves come from one moment."""

Tables = dict[str, dict[str, Any]]
Version = tuple[Identity | None, Identity | None]
"""The identities of the live and the recent file (``None``: no such file yet)."""


def recent_path(path: Path) -> Path:
    """Where the recently resolved conversations of the store at ``path`` live."""
    return path.with_name(f"{path.stem}.recent{path.suffix}")


class HotStorage(Storage):
    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.live_file = Watched(path)
        self.recent_file = Watched(recent_path(path))
        self._data: Tables | None = None
        """What TinyDB sees: both files merged."""
        self._live_docs: dict[str, Any] = {}
        self._recent_docs: dict[str, Any] = {}
        """``_data``'s conversations split by the file they belong in, kept up to
        date record by record, so that a claim need not sort 600 of them."""
        self._live_tables: Tables = {}
        """The live file as last read or written, for a reload of the recent file alone."""
        self._recent_on_disk: dict[str, Any] = {}
        """The recent file's conversations as last read or written."""
        self._identity: Version | None = None
        self._in_batch = False
        self._dirty_live = self._dirty_recent = False
        self._misplaced = False
        """A file holds a conversation of the other's kind (an older store, or a
        crash between the two writes of a move): the next write rewrites both."""
        self.loads = 0
        """How many times a file was parsed; tests use it to prove the cache works."""

    @property
    def identity(self) -> Version | None:
        if self._in_batch:
            # The caller holds the exclusive lock: only our own flush changes the
            # files, and it notes the new identities. Saves two stats and two token
            # reads each time a transaction asks.
            return self._identity
        return self._current_identity()

    @property
    def written_identity(self) -> Version | None:
        """The identity of the files as this storage last read or wrote them.

        Right after a batch, while the caller still holds the lock, that is the
        files' identity without asking the file system again.
        """
        return self._identity

    def _current_identity(self) -> Version | None:
        live, recent = self.live_file.identity(), self.recent_file.identity()
        return None if live is None and recent is None else (live, recent)

    # -- reading -------------------------------------------------------------

    def read(self) -> Tables | None:
        if self._in_batch and self._data is not None:
            return self._data
        for _ in range(LOAD_TRIES):
            identity = self._current_identity()
            if identity is None:
                self._data, self._identity = None, None
                self._live_tables, self._recent_on_disk = {}, {}
                self._live_docs, self._recent_docs = {}, {}
                return None
            if identity == self._identity and self._data is not None:
                return self._data
            self._load(identity)
            if self._current_identity() == identity:
                break
        return self._data

    def _load(self, identity: Version) -> None:
        """Parse whichever file changed since the last read, and merge the two."""
        previous = self._identity if self._data is not None else None
        live_id, recent_id = identity
        if previous is None or previous[0] != live_id:
            self._live_tables = self._parse(self.live_file) if live_id is not None else {}
        if previous is None or previous[1] != recent_id:
            recent = self._parse(self.recent_file) if recent_id is not None else {}
            self._recent_on_disk = recent.get(CONVERSATIONS, {})
        live = self._live_tables.get(CONVERSATIONS, {})
        self._misplaced = any(_resolved(doc) for doc in live.values()) or any(
            not _resolved(doc) or doc_id in live for doc_id, doc in self._recent_on_disk.items()
        )
        # By doc id, as one file kept them; on a duplicate the live copy wins.
        merged = {**self._recent_on_disk, **live}
        conversations = {doc_id: merged[doc_id] for doc_id in sorted(merged, key=_doc_order)}
        self._set_data({**self._live_tables, CONVERSATIONS: conversations})
        self._identity = identity

    def _parse(self, file: Watched) -> Tables:
        advice = self.advice(file.path)
        data = load(file.path, advice=advice)
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreError(
                f"the askdesk store {file.path} is damaged (not a table of records); "
                f"it was left untouched: {advice}"
            )
        for doc in data.get(CONVERSATIONS, {}).values():
            problem = record_problem(doc)
            if problem is not None:
                raise StoreError(
                    f"the askdesk store {file.path} holds a malformed record ({problem}); "
                    f"it was left untouched: {advice}"
                )
        self.loads += 1
        return data

    def advice(self, path: Path) -> str:
        """What to do with a damaged hot file, said after its path."""
        if path == self.recent_file.path:
            return (
                "restore it from a backup, or move it aside (the conversations resolved "
                "in the last days then leave the desk and the statistics)"
            )
        return "move it aside to start a new store, or restore it from a backup"

    def file_of(self, key: str) -> Path:
        """The hot file that holds the conversation ``key`` as last read."""
        recent = self._recent_on_disk.values()
        if any(doc.get("key") == key for doc in recent):
            live = self._live_tables.get(CONVERSATIONS, {}).values()
            if not any(doc.get("key") == key for doc in live):
                return self.recent_file.path
        return self.live_file.path

    def _set_data(self, data: Tables) -> None:
        self._data = data
        self._live_docs, self._recent_docs = {}, {}
        for doc_id, doc in data.get(CONVERSATIONS, {}).items():
            (self._recent_docs if _resolved(doc) else self._live_docs)[doc_id] = doc

    # -- writing -------------------------------------------------------------

    def write(self, data: Tables) -> None:
        """TinyDB's write: any table may have changed anywhere, so both files are due."""
        self._set_data(data)
        self._dirty_live = self._dirty_recent = True
        if not self._in_batch:
            self._flush()

    def put(self, table: str, doc_id: str, doc: dict[str, Any]) -> None:
        """Replace (or add) one record; only the file(s) it leaves or enters are due.

        What ``Table.update`` does, without its two copies of the whole table
        and without rewriting the file the record does not touch.
        """
        data = self.read()
        if data is None:
            data = {}
            self._set_data(data)
        data.setdefault(table, {})[doc_id] = doc
        if table != CONVERSATIONS:
            self._dirty_live = True
        else:
            if self._live_docs.pop(doc_id, None) is not None:
                self._dirty_live = True
            if self._recent_docs.pop(doc_id, None) is not None:
                self._dirty_recent = True
            if _resolved(doc):
                self._recent_docs[doc_id] = doc
                self._dirty_recent = True
            else:
                self._live_docs[doc_id] = doc
                self._dirty_live = True
        if not self._in_batch:
            self._flush()

    def drop(self, table: str, doc_id: str) -> None:
        """Remove one record of a table of the live file (not a conversation: those move)."""
        assert table != CONVERSATIONS
        data = self.read()
        if data is None or data.get(table, {}).pop(doc_id, None) is None:
            return
        self._dirty_live = True
        if not self._in_batch:
            self._flush()

    def _flush(self) -> None:
        assert self._data is not None
        dirty_live, dirty_recent = self._dirty_live, self._dirty_recent
        if self._misplaced:
            dirty_live = dirty_recent = True
        self._dirty_live = self._dirty_recent = False
        live_id, recent_id = self._identity or (None, None)
        try:
            if dirty_recent:
                # First the recent file, so that what comes in lands before the live
                # file lets go of it; what leaves for the live file stays until the
                # live file holds it.
                leaving = {i: d for i, d in self._recent_on_disk.items() if i in self._live_docs}
                recent_id = self._write_recent({**self._recent_docs, **leaving})
                if dirty_live:
                    live_id = self._write_live()
                if leaving:
                    recent_id = self._write_recent(dict(self._recent_docs))
            elif dirty_live:
                live_id = self._write_live()
        except StoreError:
            self._data = None  # memory may hold what the disk does not: reload next time
            raise
        self._misplaced = False
        self._identity = (live_id, recent_id)

    def _write_live(self) -> Identity:
        assert self._data is not None
        self._live_tables = {**self._data, CONVERSATIONS: self._live_docs}
        return self.live_file.write(self._live_tables)

    def _write_recent(self, recent: dict[str, Any]) -> Identity:
        identity = self.recent_file.write({CONVERSATIONS: recent})
        self._recent_on_disk = recent
        return identity

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group writes into one atomic replace per file; on error nothing is written.

        The caller holds the store's exclusive lock for the whole batch.
        """
        self.read()  # bring the cache up to date once, under the lock
        self._in_batch = True
        self._dirty_live = self._dirty_recent = False
        try:
            yield
            self._in_batch = False
            if self._dirty_live or self._dirty_recent:
                self._flush()
        except BaseException:
            # Memory may hold what the disk does not (a record that failed to
            # encode, a write cut short): forget it, so the next transaction
            # starts from the files and one bad record cannot fail every later write.
            self._data, self._identity = None, None
            raise
        finally:
            self._in_batch = False

    def close(self) -> None:
        self._data = None


def _resolved(doc: dict[str, Any]) -> bool:
    return bool(doc.get("status") == RESOLVED)


def _doc_order(doc_id: str) -> tuple[int, str]:
    numeric = doc_id.isascii() and doc_id.isdigit()  # "²" is a digit to isdigit, not to int
    return (int(doc_id), doc_id) if numeric else (0, doc_id)
