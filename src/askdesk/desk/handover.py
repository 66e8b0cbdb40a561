"""Shift handover: decide in one pass what happens to everything you hold, then sum up the shift.

Each conversation you hold is kept, released to New (with a note for whoever
picks it up) or handed to a named colleague. The summary counts what you
resolved in the shift and what is still open; it never quotes a patron, so it
can be saved or mailed without becoming a second copy of patron records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum

from askdesk.desk.triage import Desk, Step, handing_to, noting, unchanged_since
from askdesk.errors import AskdeskError
from askdesk.model import Conversation, Status, transitions
from askdesk.model.message import READ_LEVELS
from askdesk.model.transactions import transactions_of


class Choice(StrEnum):
    KEEP = "keep"
    RELEASE = "release"
    HAND = "hand"


@dataclass(frozen=True, slots=True)
class Decision:
    choice: Choice = Choice.KEEP
    to: str | None = None
    """The colleague, for ``HAND``."""
    note: str | None = None
    """An internal note left on the conversation before it goes."""

    def __post_init__(self) -> None:
        if self.choice is Choice.HAND and not (self.to or "").strip():
            raise ValueError("handing a conversation on needs a colleague's name")

    def describe(self) -> str:
        match self.choice:
            case Choice.KEEP:
                return "keep"
            case Choice.RELEASE:
                return "release to New"
            case Choice.HAND:
                return f"hand to {self.to}"


KEEP = Decision()


def held(conversations: Iterable[Conversation], staff: str) -> list[Conversation]:
    """What ``staff`` holds now, longest-waiting first."""
    mine = [c for c in conversations if c.status is Status.CLAIMED and c.holder == staff]
    return sorted(mine, key=lambda c: c.waiting_since)


@dataclass
class HandoverResult:
    kept: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    handed: list[tuple[str, str]] = field(default_factory=list)
    """(key, colleague)."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(key, why): e.g. a colleague took it over in the meantime."""


def apply(
    desk: Desk, decisions: Mapping[str, Decision], seen: Mapping[str, int] | None = None
) -> HandoverResult:
    """Carry out every decision; one that fails is reported and the others still happen.

    ``seen``: the version of each conversation that the decisions were made
    on (the handover screen's); one that changed since is left as it is and
    reported with what changed, as the resolve dialog does.
    """
    result = HandoverResult()
    for key, decision in decisions.items():
        if decision.choice is Choice.KEEP:
            result.kept.append(key)
            continue
        stopped = "released" if decision.choice is Choice.RELEASE else "handed on"
        version = (seen or {}).get(key)
        try:
            if decision.note and decision.note.strip():
                noted = desk.apply(key, _checked(noting(decision.note), version, stopped))
                version = None if version is None else noted.version
            if decision.choice is Choice.RELEASE:
                release = _checked(transitions.release, version, stopped)
                result.released.append(desk.apply(key, release).key)
            else:
                assert decision.to is not None
                to = desk.colleague(decision.to)
                hand = _checked(handing_to(to), version, stopped)
                result.handed.append((desk.apply(key, hand).key, to))
        except AskdeskError as error:
            result.failed.append((key, str(error)))
    return result


def _checked(step: Step, version: int | None, stopped: str) -> Step:
    return step if version is None else unchanged_since(version, step, stopped)


@dataclass(frozen=True)
class ShiftSummary:
    staff: str
    since: datetime
    until: datetime
    answered: int
    """Transactions this person resolved in the shift, whatever the outcome."""
    by_channel: dict[str, int]
    by_read: dict[str, int]
    by_outcome: dict[str, int]
    still_held: list[str]
    """What this person still holds after the handover."""
    desk_open: int
    """Everything open on the desk: new, and claimed by anyone."""
    result: HandoverResult | None = None


def shift_summary(
    history: Iterable[Conversation],
    live: Iterable[Conversation],
    *,
    staff: str,
    since: datetime,
    now: datetime,
    result: HandoverResult | None = None,
) -> ShiftSummary:
    """What ``staff`` resolved in ``[since, now]`` and what is still open now."""
    answered = [
        t
        for c in history
        for t in transactions_of(c)
        if t.staff == staff and since <= t.resolved_at <= now
    ]
    open_now = [c for c in live if c.status is not Status.RESOLVED]
    read = Counter(str(t.read_level) for t in answered)
    return ShiftSummary(
        staff=staff,
        since=since,
        until=now,
        answered=len(answered),
        by_channel=dict(sorted(Counter(t.channel for t in answered).items())),
        by_read={str(n): read.get(str(n), 0) for n in READ_LEVELS if read.get(str(n))},
        by_outcome=dict(sorted(Counter(t.outcome.value for t in answered).items())),
        still_held=[c.key for c in held(open_now, staff)],
        desk_open=len(open_now),
        result=result,
    )


def summary_text(summary: ShiftSummary, tz: tzinfo) -> str:
    """The summary as plain text for the terminal, a file or an e-mail; no patron words."""
    since = summary.since.astimezone(tz)
    until = summary.until.astimezone(tz)
    span = f"{since:%Y-%m-%d %H:%M}-{until:%H:%M}"
    if since.date() != until.date():
        span = f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}"
    lines = [f"Shift summary for {summary.staff}, {span} ({tz})", ""]
    lines.append(f"Answered: {summary.answered}")
    if summary.answered:
        lines.append("  by channel: " + _counts(summary.by_channel))
        lines.append("  by READ level: " + _counts(summary.by_read))
        lines.append("  by outcome: " + _counts(summary.by_outcome))
    result = summary.result
    if result is not None:
        lines.append("")
        lines.append("Handover:")
        lines.extend(f"  {key}: released to New" for key in result.released)
        lines.extend(f"  {key}: handed to {to}" for key, to in result.handed)
        lines.extend(f"  {key}: kept" for key in result.kept)
        lines.extend(f"  {key}: NOT changed ({why})" for key, why in result.failed)
        if not (result.released or result.handed or result.kept or result.failed):
            lines.append("  you held nothing")
    lines.append("")
    held_now = summary.still_held
    lines.append(
        f"Still open: you hold {len(held_now)}"
        + (f" ({', '.join(held_now)})" if held_now else "")
        + f"; {summary.desk_open} open on the desk in all"
    )
    return "\n".join(lines) + "\n"


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} ({n})" for name, n in counts.items()) or "none"
