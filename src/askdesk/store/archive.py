"""Resolved history, one file per month, out of the way of claims.

A claim rewrites only the live hot file; the archive is written when old resolved
conversations move in (a few times a day) or when a patron writes again to
one of them. ``index.json`` maps every archived message key and conversation
key to its month, so dedup and ``show KEY`` find old conversations without
opening every month. Callers hold the store's exclusive lock for writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from askdesk.errors import StoreError
from askdesk.store.codec import record_problem
from askdesk.store.files import Identity, Watched, atomic_write, dump, load

Doc = dict[str, Any]
MONTH_ADVICE = (
    "restore it from a backup, or move it aside (its conversations then leave statistics "
    "and exports)"
)
INDEX_ADVICE = (
    "restore it from a backup taken with the month files beside it; if there is none, "
    "move it aside together with the month files (their conversations then leave "
    "statistics and exports)"
)
"""An index moved aside alone would let dedup take archived messages for new ones."""


class Archive:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index_file = Watched(folder / "index.json")
        self._index: dict[str, str] | None = None
        self._index_identity: Identity | None = None

    def month_path(self, month: str) -> Path:
        return self.folder / f"{month}.json"

    def index(self) -> dict[str, str]:
        """Key → month; loaded on first use and kept while the file is unchanged."""
        identity = self._index_file.identity()
        if identity is None:
            return {}
        if self._index is None or identity != self._index_identity:
            self._index = _load_table(self._index_file.path, "archive index", INDEX_ADVICE)
            self._index_identity = identity
        return self._index

    def month_of(self, key: str) -> str | None:
        if not self._index_file.path.exists():
            return None  # no archive yet: don't even stat further
        return self.index().get(key)

    def read_month(self, month: str) -> dict[str, Doc]:
        path = self.month_path(month)
        if not path.exists():
            return {}
        data: dict[str, Doc] = _load_table(path, "archive file", MONTH_ADVICE)
        for doc in data.values():
            problem = record_problem(doc)
            if problem is not None:
                raise StoreError(
                    f"the archive file {path} holds a malformed record ({problem}); "
                    f"it was left untouched: {MONTH_ADVICE}"
                )
        return data

    def get(self, key: str) -> Doc | None:
        month = self.month_of(key)
        if month is None:
            return None
        return _find(self.read_month(month), key)

    def get_many(self, keys: Iterable[str]) -> dict[str, Doc]:
        """``get`` for several keys, reading each month file once."""
        found: dict[str, Doc] = {}
        for month, month_keys in self._by_month(keys).items():
            docs = self.read_month(month)
            for key in month_keys:
                doc = _find(docs, key)
                if doc is not None:
                    found[key] = doc
        return found

    def _by_month(self, keys: Iterable[str]) -> dict[str, list[str]]:
        if not self._index_file.path.exists():
            return {}
        index = self.index()
        by_month: dict[str, list[str]] = {}
        for key in keys:
            month = index.get(key)
            if month is not None:
                by_month.setdefault(month, []).append(key)
        return by_month

    def add(self, docs_by_month: dict[str, list[Doc]]) -> None:
        """Move conversations in; each month file and the index are replaced atomically."""
        if not docs_by_month:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        index = dict(self.index())
        for month, docs in docs_by_month.items():
            existing = self.read_month(month)
            for doc in docs:
                existing[doc["key"]] = doc
                for key in _keys(doc):
                    index[key] = month
            atomic_write(self.month_path(month), dump(existing))
        self._write_index(index)

    def remove(self, conversation_key: str) -> None:
        """Drop a conversation that has gone back to the hot file.

        Called only after the hot file holds it: a crash in between leaves it
        in both places, and the hot copy wins everywhere.
        """
        month = self.month_of(conversation_key)
        if month is None:
            return
        docs = self.read_month(month)
        doc = docs.pop(conversation_key, None)
        if doc is None:
            return
        atomic_write(self.month_path(month), dump(docs))
        index = dict(self.index())
        for k in _keys(doc):
            index.pop(k, None)
        self._write_index(index)

    def remove_many(self, conversation_keys: Iterable[str]) -> None:
        """``remove`` for several conversations: each month file and the index written once.

        A batch that brings a hundred old conversations back (patrons writing
        again) otherwise rewrites the whole index a hundred times.
        """
        index: dict[str, str] | None = None
        for month, keys in self._by_month(conversation_keys).items():
            docs = self.read_month(month)
            gone = [docs.pop(key) for key in keys if key in docs]
            if not gone:
                continue
            atomic_write(self.month_path(month), dump(docs))
            if index is None:
                index = dict(self.index())
            for doc in gone:
                for k in _keys(doc):
                    index.pop(k, None)
        if index is not None:
            self._write_index(index)

    def replace_month(self, month: str, docs: dict[str, Doc], dropped: Iterable[str]) -> None:
        """Write a month's conversations anew, then make the index agree with it.

        ``dropped``: keys the index may still send to this month (old keys of
        rewritten conversations, keys of copies that were dropped); those no
        doc in ``docs`` holds leave the index. A crash between the two writes
        leaves index entries that lead nowhere, which the next rewrite clears.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.month_path(month), dump(docs))
        index = dict(self.index())
        kept = {key for doc in docs.values() for key in _keys(doc)}
        for key in dropped:
            if key not in kept and index.get(key) == month:
                del index[key]
        for key in kept:
            index[key] = month
        self._write_index(index)

    def _write_index(self, index: dict[str, str]) -> None:
        self._index_file.write(index)
        self._index = index
        self._index_identity = self._index_file.identity()

    def months(self) -> list[str]:
        if not self.folder.exists():
            return []
        return sorted(p.stem for p in self.folder.glob("????-??.json"))

    def __iter__(self) -> Iterator[Doc]:
        for month in self.months():
            yield from self.read_month(month).values()


def _load_table(path: Path, what: str, advice: str) -> Any:
    data = load(path, what, advice)
    if not isinstance(data, dict):
        raise StoreError(
            f"the {what} {path} is damaged (not a table of records); it was left untouched: "
            f"{advice}"
        )
    return data


def _find(docs: dict[str, Doc], key: str) -> Doc | None:
    """The conversation with this conversation key, or holding this message key."""
    if key in docs:
        return docs[key]
    return next((d for d in docs.values() if key in _keys(d)), None)


def _keys(doc: Doc) -> Iterable[str]:
    yield doc["key"]
    for m in doc["messages"]:
        yield f"{m['channel']}:{m['remote_id']}"
