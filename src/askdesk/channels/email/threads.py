"""Which conversation a mail belongs to, by ``References`` and ``In-Reply-To`` only (never subject).

A conversation's key is its first mail's Message-ID. A patron's answer names
the mail it answers (theirs, or our reply); the mailbox itself tells what
that mail answered in turn: the patron's mails are in the folder, ours are
in Sent. Walking up those links gives the first mail of the thread, so a
client that sends only ``In-Reply-To`` lands in the same conversation as one
that sends the whole ``References`` chain.

A Message-ID is no secret (it travels in every answer, forward and quote),
so naming one is not enough to join a conversation: ``patron`` gives the
addresses of whoever opened the thread, and only their mail joins it.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from email.utils import getaddresses

from askdesk.channels.email.connection import Imap
from askdesk.channels.email.parsing import message_ids
from askdesk.errors import RefusedByPlatform

MAX_HOPS = 20
"""Links followed up a thread before its top is taken as found (a loop, a very long thread)."""


class Threads:
    """Finds a thread's first mail by looking mails up in ``folders``; remembers what it saw."""

    def __init__(self, imap: Imap, folders: Sequence[str], own_address: str) -> None:
        self.imap = imap
        self.folders = [f for i, f in enumerate(folders) if f not in folders[:i]]
        self.own_address = own_address.casefold()
        self._parent: dict[str, str | None] = {}
        """Message-ID -> the first mail it names (None: it names none, or it is not here)."""
        self._patron: dict[str, frozenset[str]] = {}
        """Message-ID -> the patron's addresses on that mail, for each mail found here."""

    def root(self, remote_id: str, references: Sequence[str]) -> str:
        """The Message-ID of the first mail of the thread ``references`` (oldest first) name."""
        if not references:
            return remote_id
        current, seen = references[0], {remote_id}
        for _ in range(MAX_HOPS):
            seen.add(current)
            parent = self._parent_of(current)
            if parent is None or parent in seen:
                break
            current = parent
        return current

    def patron(self, root: str) -> frozenset[str]:
        """The addresses of the patron who opened the thread ``root`` (as ``root`` found it),
        casefolded: the first mail's ``From`` and ``Reply-To``, or, were it the library's
        own, its ``To``. Empty when that mail is not in the mailbox: nobody is known to join.
        """
        self._parent_of(root)
        return self._patron.get(root, frozenset())

    def _parent_of(self, message_id: str) -> str | None:
        if message_id not in self._parent:
            self._parent[message_id] = self._look_up(message_id)
        return self._parent[message_id]

    def _look_up(self, message_id: str) -> str | None:
        for folder in self.folders:
            try:
                self.imap.select(folder, readonly=True)
            except RefusedByPlatform:
                continue  # no Sent folder (yet): nothing of ours to find there
            for _, raw in self.imap.find(message_id):
                headers = email.message_from_bytes(raw, policy=email.policy.compat32)
                if message_ids(str(headers.get("Message-ID", ""))) != [message_id]:
                    continue  # IMAP SEARCH matches substrings
                self._patron[message_id] = self._patron_on(headers)
                named = message_ids(str(headers.get("References", "")))
                named += message_ids(str(headers.get("In-Reply-To", "")))[:1]
                return next((i for i in named if i != message_id), None)
        return None

    def _patron_on(self, headers: email.message.Message) -> frozenset[str]:
        def addresses(*names: str) -> frozenset[str]:
            values = [str(v) for name in names for v in headers.get_all(name, [])]
            return frozenset(a.casefold() for _, a in getaddresses(values) if "@" in a)

        senders = addresses("From", "Reply-To")
        return addresses("To") if self.own_address in senders else senders
