"""The one protocol every store backend honours: TinyDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from askdesk.model import Conversation, Message
from askdesk.model.transactions import Transaction
from askdesk.store.tally import Credit, GroupKey, Tally

Change = Callable[[Conversation], Conversation]
"""A pure transition; the store applies it to the freshest copy, under its lock."""

Rewrite = Callable[[Conversation], Conversation | None]
"""A pure change to stored history; ``None`` leaves the conversation as it is."""


@dataclass
class IngestResult:
    added: list[str] = field(default_factory=list)
    """Keys of conversations that the batch started."""
    joined: list[str] = field(default_factory=list)
    """Keys of existing conversations that got a follow-up."""
    duplicates: int = 0


PRESENCE_KEPT = timedelta(minutes=10)
"""A desk silent this long (it crashed) is dropped from the presence record altogether."""


@dataclass(frozen=True)
class OnShift:
    """A desk that is open: who sits at it, which process it is, when it last said so."""

    staff: str
    holder: str
    seen_at: datetime


class Store(Protocol):
    location: str
    """Where the data lives, for messages to people (a path, a database name)."""

    def ingest(
        self,
        messages: Sequence[Message],
        at: datetime,
        cursor: tuple[str, str | None] | None = None,
    ) -> IngestResult:
        """Add what is new, join follow-ups, skip what is known; save the cursor with it."""
        ...

    def update(self, key: str, change: Change) -> Conversation:
        """Apply ``change`` to the conversation holding ``key`` as one compare-and-set."""
        ...

    def get(self, key: str) -> Conversation | None:
        """The conversation with this conversation key or message key."""
        ...

    def live(self) -> list[Conversation]:
        """New, claimed and recently resolved conversations: what the desk shows."""
        ...

    def with_open_replies(self) -> list[Conversation]:
        """The live conversations with a reply not yet settled (pending, sending, failed,
        uncertain), as ``live`` orders them: what the outbox sends, settles and lists.

        A store that keeps replies in a table of their own (PostgreSQL) finds them
        with one indexed query; the others pick them out of ``live``.
        """
        ...

    def history(self, resolved_since: datetime | None = None) -> Iterator[Conversation]:
        """Every conversation, archives included, for statistics and exports.

        With ``resolved_since``, conversations last resolved before it may be
        left out (a backend skips what it can cheaply, e.g. old archive
        months); callers still filter what they are given.
        """
        ...

    def transactions(
        self, resolved_since: datetime | None = None, resolved_until: datetime | None = None
    ) -> Iterator[Transaction]:
        """The transactions (``askdesk.model.transactions``) resolved in
        ``[resolved_since, resolved_until)``, in no set order.

        A store may keep them beside their conversations (PostgreSQL) or work
        them out from ``history`` (TinyDB): the same transactions either way.
        """
        ...

    def tally(
        self,
        resolved_since: datetime | None,
        resolved_until: datetime | None,
        tz: tzinfo,
        counted: Sequence[GroupKey],
        timed: Sequence[GroupKey] = (),
        credit: Credit | None = None,
    ) -> Tally:
        """The tally (``askdesk.store.tally``) of the transactions ``transactions`` gives.

        Exactly ``tally_of(self.transactions(…), tz, counted, timed, credit)``; a store that
        keeps transactions in a database works it out there.
        """
        ...

    def open_at(self, as_of: datetime) -> Iterator[Conversation]:
        """Every conversation that may have had a question waiting at ``as_of``, and a few more:
        callers decide each with ``open_since``. For ``as_of`` now: those not resolved."""
        ...

    def stale_transactions(self) -> int:
        """Conversations whose kept transactions were worked out under older rules
        (``TRANSACTION_RULES``); 0 for a store that keeps none."""
        ...

    def refresh_transactions(self) -> int:
        """Work out again every stale conversation's transactions; returns how many."""
        ...

    def cursor(self, channel: str) -> str | None: ...

    def save_cursor(self, channel: str, value: str | None) -> None:
        """Keep a bookmark: a channel's cursor, or askdesk's own under a name with ':'."""
        ...

    def acquire_lease(self, name: str, holder: str, now: datetime, ttl: timedelta) -> str:
        """Take or renew a lease (one poller per channel); returns who holds it afterwards."""
        ...

    def release_lease(self, name: str, holder: str) -> None: ...

    def save_health(self, channel: str, health: dict[str, Any]) -> None:
        """Keep a channel's health where every process on the store can read it."""
        ...

    def channel_records(self) -> dict[str, dict[str, Any]]: ...

    def heartbeat(self, staff: str, holder: str, now: datetime) -> None:
        """Say that ``staff`` has a desk open in process ``holder``, as of ``now``.

        Desks call it every few seconds. It must not change ``version()``:
        a heartbeat is not a change to any conversation, and every desk
        re-reads the conversations when the version moves.
        """
        ...

    def end_shift(self, holder: str) -> None:
        """The desk in process ``holder`` closed: forget its heartbeat at once."""
        ...

    def on_shift(self, now: datetime, within: timedelta) -> list[OnShift]:
        """The desks whose last heartbeat is at most ``within`` before ``now``, by staff name."""
        ...

    def version(self) -> Hashable:
        """A token that changes whenever any process writes; cheap to call often."""
        ...

    def problem(self) -> str | None:
        """Why the store cannot be reached right now (the desk shows what it had), or ``None``."""
        ...

    def archive_resolved(self, before: datetime) -> int:
        """Move conversations resolved before ``before`` out of the hot set."""
        ...

    def rewrite(
        self,
        change: Rewrite,
        resolved_by: datetime | None = None,
        resolved_after: datetime | None = None,
    ) -> list[str]:
        """Apply ``change`` to every stored conversation, archives included; return changed keys.

        Each conversation is replaced with its changed copy everywhere it is
        stored, so nothing of the old copy is left on disk. ``change`` may give
        a conversation a new key (retention drops a thread id from it); the
        message keys stay, so dedup still knows every message. With
        ``resolved_by`` and ``resolved_after``, only resolved conversations
        whose last resolve lies in ``(resolved_after, resolved_by]`` are
        offered to ``change``, and archive months outside it are not read.
        """
        ...

    def add_conversations(self, conversations: Sequence[Conversation]) -> None:
        """Store whole conversations as they are, events and replies included.

        For ``askdesk store copy``: a conversation whose key or any message key
        is already stored is refused with a ``StoreError``, and nothing of the
        batch is written.
        """
        ...

    def save_draft(self, key: str, staff: str, text: str | None) -> None:
        """Keep ``staff``'s unsent reply to conversation ``key``, replacing their earlier one.

        ``None`` (or only whitespace) discards it. Drafts are per conversation
        and staff member: two colleagues' drafts on one conversation are two.
        Like a cursor, a draft is not part of the conversation: saving one
        appends no event and does not change the conversation's version.
        """
        ...

    def drafts(self, staff: str | None = None) -> dict[tuple[str, str], str]:
        """The kept drafts as ``{(conversation key, staff): text}``; with ``staff``, only theirs."""
        ...

    def close(self) -> None: ...
