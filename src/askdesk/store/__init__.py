"""Persistence behind one protocol: TinyDB (embedded default) or PostgreSQL (a team's server)."""

from typing import TYPE_CHECKING, Any

from askdesk.store.base import Change, IngestResult, OnShift, Rewrite, Store
from askdesk.store.location import is_url, shown
from askdesk.store.opening import open_store

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    """``TinyDBStore`` on first use: a command on a PostgreSQL store never loads TinyDB
    and its file locks (``open_store`` imports the store a location names)."""
    if name == "TinyDBStore":
        from askdesk.store.tinydb_store import TinyDBStore

        return TinyDBStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
