"""Persistence behind one protocol: TinyDB (embedded default) or PostgreSQL (a team's server)."""

from askdesk.store.base import Change, IngestResult, OnShift, Rewrite, Store
from askdesk.store.location import is_url, shown
from askdesk.store.opening import open_store
from askdesk.store.tinydb_store import TinyDBStore

__all__ = [
    "Change",
    "IngestResult",
    "OnShift",
    "Rewrite",
    "Store",
    "TinyDBStore",
    "is_url",
    "open_store",
    "shown",
]
