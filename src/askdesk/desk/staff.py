"""Who has worked on this store: the names a hand-off can go to without a second look.

A hand-off to a name nobody has used strands the conversation (only someone
running askdesk as that name sees it as theirs), so the desk asks first. The
names are every staff member, holder and hand-off target in the store's
events. The live conversations give them cheaply; the archive's would mean
reading years of history on each hand-off, so the names are also kept in a
bookmark of the store, filled from the history once and added to as staff act.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from askdesk.model import Conversation, transitions
from askdesk.store import Store

BOOKMARK = "askdesk:staff"
"""The store bookmark (``Store.save_cursor``) that keeps the names: JSON
``{"names": [...], "history": true}``, ``history`` once the archive was read."""
NOT_STAFF = frozenset({transitions.PATRON, "askdesk"})
"""Event authors that are not people on the desk: patrons, and askdesk itself
(retention, the outbox's recovery)."""


def names_in(conversations: Iterable[Conversation]) -> set[str]:
    """Every staff member who acted on, held or was handed one of ``conversations``."""
    names: set[str] = set()
    for c in conversations:
        if c.holder:
            names.add(c.holder)
        for e in c.events:
            names.add(e.staff)
            if e.action == "hand-off" and isinstance(e.details.get("to"), str):
                names.add(e.details["to"])
    return names - NOT_STAFF


def _kept(store: Store) -> tuple[set[str], bool]:
    raw = store.cursor(BOOKMARK)
    if raw is None:
        return set(), False
    data = json.loads(raw)
    return set(data.get("names", [])), bool(data.get("history"))


def _keep(store: Store, names: set[str], history: bool) -> None:
    store.save_cursor(BOOKMARK, json.dumps({"names": sorted(names), "history": history}))


def known_staff(store: Store, *, with_history: bool = False) -> set[str]:
    """Every name that has worked on ``store`` (the live conversations and the kept names).

    ``with_history``: on a store whose archive has never been read for names,
    read it once (seconds on years of history) and keep what it holds.
    """
    kept, history_read = _kept(store)
    names = kept | names_in(store.live())
    if with_history and not history_read:
        names |= names_in(store.history())
        history_read = True
    if names != kept or history_read != _kept(store)[1]:
        # Live names are kept before the archive takes their conversations away.
        _keep(store, names, history_read)
    return names


def remember(store: Store, name: str) -> None:
    """Add ``name`` to the store's names (a write only the first time it is seen)."""
    kept, history_read = _kept(store)
    if name not in kept and name not in NOT_STAFF:
        _keep(store, kept | {name}, history_read)
