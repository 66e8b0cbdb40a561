"""Persistence behind one protocol; the TinyDB store is the embedded default."""

from askdesk.store.base import Change, IngestResult, Rewrite, Store
from askdesk.store.tinydb_store import TinyDBStore

__all__ = ["Change", "IngestResult", "Rewrite", "Store", "TinyDBStore"]
