"""Open the store a location names: a ``postgresql://`` URL or a TinyDB file path."""

from __future__ import annotations

from pathlib import Path

from askdesk.errors import StoreError
from askdesk.store.base import Store
from askdesk.store.location import is_url, shown


def open_store(location: str | Path) -> Store:
    """The store at ``location``; PostgreSQL's client is imported only when a URL asks for it."""
    if is_url(location):
        from askdesk.store.postgres_store import PostgresStore

        return PostgresStore(str(location))
    if isinstance(location, str) and "://" in location:
        raise StoreError(
            f"the store {shown(location).split('://', 1)[0]}://… is neither a file path "
            "nor a postgresql:// URL"
        )
    from askdesk.store.tinydb_store import TinyDBStore

    return TinyDBStore(location)
