"""The desk: staff actions, validated by the state machine and stored with their event.

Nothing else changes a conversation. The screen, the command line and the
poller all call these methods; the store applies each one as a
compare-and-set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from askdesk.channels import Notice
from askdesk.clock import Clock
from askdesk.config import Team
from askdesk.desk import staff
from askdesk.desk.retention import RETENTION_STAFF
from askdesk.desk.text import well_formed
from askdesk.errors import TransitionError
from askdesk.model import (
    Conversation,
    Event,
    Message,
    Outcome,
    QuestionType,
    Status,
    replying,
    transitions,
)
from askdesk.model.message import key_for
from askdesk.store import IngestResult, Store

Step = Callable[[Conversation, str, datetime], Conversation]
"""A transition of the model with its own arguments bound: (conversation, staff, now) -> new."""


def resolving(
    outcome: Outcome,
    question_type: QuestionType,
    read_level: int,
    *,
    time_spent_min: int | None = None,
    fields: Mapping[str, str] | None = None,
) -> Step:
    # Drawn once, so a retried store write records the same id.
    transaction_id = transitions.new_transaction_id()

    def step(c: Conversation, staff: str, at: datetime) -> Conversation:
        return transitions.resolve(
            c,
            staff,
            at,
            outcome,
            question_type,
            read_level,
            time_spent_min=time_spent_min,
            fields=fields,
            transaction_id=transaction_id,
        )

    return step


def unchanged_since(version: int, step: Step, stopped: str) -> Step:
    """``step``, refused with what changed if the conversation moved past ``version``.

    A dialog (resolve, hand-off) or a key takes the version staff were looking
    at; a follow-up or a colleague's action that lands before the store write
    stops the step instead of being swallowed by it. ``stopped`` names what is
    then not done ("resolved"). The staff member's own replies going out
    meanwhile are no surprise to them and do not stop it.
    """

    def step_if_unchanged(c: Conversation, staff: str, at: datetime) -> Conversation:
        replying.require_unchanged(c, version, stopped, own=staff)
        return step(c, staff, at)

    return step_if_unchanged


def _recording(notice: Notice) -> Callable[[Conversation], Conversation]:
    def record(c: Conversation) -> Conversation:
        return transitions.record_notice(c, notice.received_at, notice.what, notice.remote_id)

    return record


def handing_to(colleague: str) -> Step:
    return lambda c, staff, at: transitions.hand_off(c, staff, colleague, at)


def flagging(reason: str) -> Step:
    return lambda c, staff, at: transitions.flag(c, staff, at, reason)


def noting(text: str) -> Step:
    return lambda c, staff, at: transitions.note(c, staff, at, text)


class Desk:
    def __init__(
        self,
        store: Store,
        staff: str,
        clock: Clock,
        hot_days: float = 7.0,
        team: Team | None = None,
    ) -> None:
        self.store = store
        self.staff = staff
        self.clock = clock
        self.hot_days = hot_days
        self.team = team or Team()
        """``[team] members``: with a list, a hand-off goes only to a name on it."""
        self._remembered = False

    # -- what the desk shows -------------------------------------------------

    def live(self) -> list[Conversation]:
        return self.store.live()

    def get(self, key: str) -> Conversation | None:
        return self.store.get(key)

    def version(self) -> object:
        return self.store.version()

    def store_problem(self) -> str | None:
        """Why the store cannot be reached right now, or ``None``."""
        return self.store.problem()

    # -- what staff do -------------------------------------------------------

    def apply(self, key: str, step: Step) -> Conversation:
        """Make ``step`` so in the store, as this staff member, now (compare-and-set)."""
        now = self.clock.now()
        changed = self.store.update(key, lambda c: step(self.as_listed(c), self.staff, now))
        self.remember_me()  # after: a refused or failed change leaves the store as it was
        return changed

    def preview(self, conversation: Conversation, step: Step) -> Conversation:
        """What ``step`` would make of ``conversation``; nothing is written."""
        return step(self.as_listed(conversation), self.staff, self.clock.now())

    def is_me(self, name: str | None) -> bool:
        """Whether ``name``, as the store recorded it, is this staff member.

        With a team list, a name recorded before it under another spelling
        (``Bo``, now listed as ``bo``) is the member it is credited to, as in
        the statistics (``Team.credited``).
        """
        return name is not None and self.team.credited(name) == self.staff

    def colleague_moved(self, before: Conversation | None, after: Conversation) -> Event | None:
        """A colleague's hand-off that put ``after`` in this staff member's hands since
        ``before``, or their take-over that took it out of them; else ``None``.

        ``before``: the conversation as the desk last showed it (``None``: not
        shown, e.g. a new one assigned straight away).
        """
        last = after.events[-1] if after.events else None
        if last is None or self.is_me(last.staff):
            return None
        was_mine = before is not None and self.holds(before)
        if last.action == "hand-off" and self.holds(after) and not was_mine:
            return last
        if last.action == "take-over" and was_mine and not self.holds(after):
            return last
        return None

    def holds(self, conversation: Conversation) -> bool:
        """Whether ``conversation`` is claimed by this staff member (``is_me``)."""
        return conversation.status is Status.CLAIMED and self.is_me(conversation.holder)

    def as_listed(self, conversation: Conversation) -> Conversation:
        """``conversation`` with this staff member's holder spelling made the listed one.

        The state machine compares holders exactly, so ``bo`` could not release,
        resolve, reply to or hand off what ``Bo`` claimed before the team list.
        Given the conversation this way, a change ``bo`` makes is theirs and
        names them as listed; the history still says ``Bo`` claimed it.
        """
        holder = conversation.holder
        if holder is None or holder == self.staff or not self.is_me(holder):
            return conversation
        return replace(conversation, holder=self.staff)

    def claim(self, key: str) -> Conversation:
        return self.apply(key, transitions.claim)

    def take_over(self, key: str) -> Conversation:
        return self.apply(key, transitions.take_over)

    def release(self, key: str) -> Conversation:
        return self.apply(key, transitions.release)

    def hand_off(self, key: str, to: str) -> Conversation:
        return self.apply(key, handing_to(self.colleague(to)))

    def colleague(self, name: str) -> str:
        """``name`` as the team list spells it; refused when a list does not hold it.

        Without a list the name goes as typed (the screen and ``askdesk hand``
        question one nobody has used, ``desk.staff``).
        """
        if not self.team:
            return name.strip()
        listed = self.team.listed(name)
        if listed is None:
            raise TransitionError(self.team.refusal(name, "hand-off"))
        return listed

    def resolve(
        self,
        key: str,
        outcome: Outcome,
        question_type: QuestionType,
        read_level: int,
        *,
        time_spent_min: int | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> Conversation:
        """Resolve ``key``; ``fields`` are checked against the config by the caller
        (``desk.fields.check_answers``)."""
        step = resolving(
            outcome, question_type, read_level, time_spent_min=time_spent_min, fields=fields
        )
        return self.apply(key, step)

    def reopen(self, key: str) -> Conversation:
        return self.apply(key, transitions.reopen)

    def flag(self, key: str, reason: str) -> Conversation:
        return self.apply(key, flagging(reason))

    def unflag(self, key: str) -> Conversation:
        return self.apply(key, transitions.unflag)

    def note(self, key: str, text: str) -> Conversation:
        return self.apply(key, noting(text))

    # -- drafts: this staff member's unsent replies ---------------------------

    def drafts(self) -> dict[str, str]:
        """This staff member's kept drafts, by conversation key."""
        return {key: text for (key, _), text in self.store.drafts(self.staff).items()}

    def save_draft(self, key: str, text: str | None) -> None:
        """Keep ``text`` as this staff member's draft reply to ``key``; ``None`` discards it."""
        self.store.save_draft(key, self.staff, text)

    # -- what arrives --------------------------------------------------------

    def ingest(
        self, messages: Sequence[Message], cursor: tuple[str, str | None] | None = None
    ) -> IngestResult:
        # Every channel's messages pass here: one that cannot be stored must not fail
        # the write of all the others, poll after poll.
        storable = [_storable(m) for m in messages]
        return self.store.ingest(storable, self.clock.now(), cursor)

    def record_notices(self, channel: str, notices: Sequence[Notice]) -> list[Notice]:
        """Note each automatic answer in the history of the conversation it answers.

        None of them is a question: no status changes. Returns those whose
        conversation is not (yet) in the store: the caller tries them again
        once the messages of the same fetch are in, and counts them.
        """
        unplaced = []
        for notice in notices:
            key = key_for(channel, notice.conversation) if notice.conversation else None
            if key is None or self.store.get(key) is None:
                unplaced.append(notice)
                continue
            self.store.update(key, _recording(notice))
        return unplaced

    def archive_cutoff(self) -> datetime:
        """Conversations resolved before this leave the desk for the archive."""
        return self.clock.now() - timedelta(days=self.hot_days)

    def archive_old(self) -> int:
        """Move conversations resolved more than ``hot_days`` ago into the archive."""
        return self.store.archive_resolved(self.archive_cutoff())

    def known_staff(self, *, with_history: bool = False) -> set[str]:
        """Every name that has worked on this store (a hand-off to another is confirmed).

        ``with_history``: read the archive for names the first time (see ``desk.staff``).
        """
        return staff.known_staff(self.store, with_history=with_history)

    def colleagues(self) -> list[str]:
        """Whom a hand-off is offered to: the team list (as listed) or, without one,
        everybody else who has worked on this store."""
        if self.team:
            return [m for m in self.team.members if m != self.staff]
        return sorted(self.known_staff() - {self.staff, RETENTION_STAFF})

    def remember_me(self) -> None:
        """Make this staff member's name known to the store, with their first change.

        One bookmark read per desk, and a write only the first time the name
        works on this store: a colleague's hand-off to it is then not questioned.
        """
        if not self._remembered:
            staff.remember(self.store, self.staff)
            self._remembered = True


_MESSAGE_STRINGS = ("channel", "remote_id", "author", "text", "conversation", "url", "label")


def _storable(message: Message) -> Message:
    """``message`` with any lone surrogate in its strings replaced (``text.well_formed``)."""
    changed: dict[str, str] = {}
    for name in _MESSAGE_STRINGS:
        value = getattr(message, name)
        if isinstance(value, str) and (fixed := well_formed(value)) != value:
            changed[name] = fixed
    return replace(message, **changed) if changed else message  # type: ignore[arg-type]
