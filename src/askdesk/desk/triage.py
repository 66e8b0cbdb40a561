"""The desk: staff actions, validated by the state machine and stored with their event.

Nothing else changes a conversation. The screen, the command line and the
poller all call these methods; the store applies each one as a
compare-and-set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from askdesk.clock import Clock
from askdesk.desk.retention import RETENTION_STAFF
from askdesk.model import Conversation, Message, Outcome, QuestionType, transitions
from askdesk.store import IngestResult, Store


class Desk:
    def __init__(self, store: Store, staff: str, clock: Clock, hot_days: float = 7.0) -> None:
        self.store = store
        self.staff = staff
        self.clock = clock
        self.hot_days = hot_days

    # -- what the desk shows -------------------------------------------------

    def live(self) -> list[Conversation]:
        return self.store.live()

    def get(self, key: str) -> Conversation | None:
        return self.store.get(key)

    def version(self) -> object:
        return self.store.version()

    # -- what staff do -------------------------------------------------------

    def claim(self, key: str) -> Conversation:
        now = self.clock.now()
        return self.store.update(key, lambda c: transitions.claim(c, self.staff, now))

    def release(self, key: str) -> Conversation:
        now = self.clock.now()
        return self.store.update(key, lambda c: transitions.release(c, self.staff, now))

    def hand_off(self, key: str, to: str) -> Conversation:
        now = self.clock.now()
        return self.store.update(key, lambda c: transitions.hand_off(c, self.staff, to, now))

    def resolve(
        self, key: str, outcome: Outcome, question_type: QuestionType, read_level: int
    ) -> Conversation:
        now = self.clock.now()
        return self.store.update(
            key,
            lambda c: transitions.resolve(c, self.staff, now, outcome, question_type, read_level),
        )

    def reopen(self, key: str) -> Conversation:
        now = self.clock.now()
        return self.store.update(key, lambda c: transitions.reopen(c, self.staff, now))

    def flag(self, key: str, reason: str) -> Conversation:
        now = self.clock.now()
        return self.store.update(key, lambda c: transitions.flag(c, self.staff, now, reason))

    def unflag(self, key: str) -> Conversation:
        now = self.clock.now()
        return self.store.update(key, lambda c: transitions.unflag(c, self.staff, now))

    def note(self, key: str, text: str) -> Conversation:
        now = self.clock.now()
        return self.store.update(key, lambda c: transitions.note(c, self.staff, now, text))

    # -- what arrives --------------------------------------------------------

    def ingest(
        self, messages: Sequence[Message], cursor: tuple[str, str | None] | None = None
    ) -> IngestResult:
        return self.store.ingest(messages, self.clock.now(), cursor)

    def archive_old(self) -> int:
        """Move conversations resolved more than ``hot_days`` ago into the archive."""
        return self.store.archive_resolved(self.clock.now() - timedelta(days=self.hot_days))

    def colleagues(self) -> list[str]:
        """Staff names seen on the desk, for hand-off suggestions."""
        names = {e.staff for c in self.live() for e in c.events if e.staff != transitions.PATRON}
        names.update(c.holder for c in self.live() if c.holder)
        names.discard(self.staff)
        names.discard(RETENTION_STAFF)  # askdesk itself, not a colleague
        return sorted(names)
