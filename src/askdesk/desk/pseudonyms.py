"""The store's own secret that keys patrons' pseudonyms (SMS keys name no phone number).

Made once per store, at random, the first time a channel that names patrons
by a pseudonym (``NamesPatrons``) is polled, and kept as a bookmark of the
store (``Store.save_cursor``): it is on TinyDB and PostgreSQL alike and
travels with ``askdesk store copy``, so a copied desk keeps joining a
number's texts to its conversation. It is never printed or logged: no command
shows a bookmark, and only its length appears in an error.

Two processes starting on a new store at once must not each make one (their
keys would split a patron's conversations), so the one that makes it holds
a lease of the same name while it looks and writes; the other waits and reads.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

from askdesk.errors import StoreError
from askdesk.store import Store

BOOKMARK = "askdesk:pseudonym-key"
"""The bookmark (and the lease while it is made): the key as hex, 32 random bytes."""
KEY_BYTES = 32
MAKING = timedelta(seconds=30)
"""How long the lease on making the key lasts, should its maker die meanwhile."""
WAIT_S = 10.0
"""How long a process waits for another that is making the key."""


def pseudonym_key(store: Store, holder: str, now: datetime) -> bytes:
    """The store's key, made (once, by one process) if it has none yet."""
    deadline = time.monotonic() + WAIT_S
    while True:
        kept = _kept(store)
        if kept is not None:
            return kept
        if store.acquire_lease(BOOKMARK, holder, now, MAKING) == holder:
            try:
                kept = _kept(store)  # another may have made it before our lease
                if kept is None:
                    kept = secrets.token_bytes(KEY_BYTES)
                    store.save_cursor(BOOKMARK, kept.hex())
                return kept
            finally:
                store.release_lease(BOOKMARK, holder)
        if time.monotonic() > deadline:
            raise StoreError(
                f"another askdesk has been making the store's pseudonym key for over "
                f"{WAIT_S:.0f} seconds; try again in a minute"
            )
        time.sleep(0.05)


def _kept(store: Store) -> bytes | None:
    raw = store.cursor(BOOKMARK)
    if raw is None:
        return None
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        # Never made anew over a damaged one: every key already given out would change.
        raise StoreError(
            f"the store's pseudonym key ({BOOKMARK}) is damaged ({len(raw)} characters); "
            "restore it from a backup of the store"
        )
    return key
