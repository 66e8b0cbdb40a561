"""Shift handover: decide in one pass what happens to everything you hold, then sum up the shift.

Each conversation you hold is kept, released to New (with a note for whoever
picks it up) or handed to a named colleague. The summary counts what you
resolved in the shift and lays out what the next shift must act on: what
waits in New (its age, LATE), what each person holds with the notes left on
it, the flags with their reasons, and the replies that failed or may not have
arrived. It never quotes a patron (staff's notes and reasons are staff's
words), so it can be saved or mailed without becoming a second copy of patron
records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from askdesk.config import Team
from askdesk.desk.text import one_line
from askdesk.desk.triage import Desk, Step, handing_to, noting, unchanged_since
from askdesk.desk.views import format_age, format_ago, row_for
from askdesk.errors import AskdeskError
from askdesk.model import Conversation, Outcome, ReplyStatus, Status, transitions
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


def held(
    conversations: Iterable[Conversation], staff: str, team: Team | None = None
) -> list[Conversation]:
    """What ``staff`` holds now, longest-waiting first.

    ``team``: the team list, by which a holder recorded before it (``Bo``) is
    the member as listed (``bo``).
    """
    credited = (team or Team()).credited
    mine = [
        c
        for c in conversations
        if c.status is Status.CLAIMED and c.holder is not None and credited(c.holder) == staff
    ]
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


NEEDS_STAFF = (ReplyStatus.FAILED, ReplyStatus.UNCERTAIN)
"""Reply states the outbox will not move on from by itself."""


@dataclass(frozen=True)
class OpenItem:
    """One conversation as the next shift needs it: where it is, how long it waited, what
    staff said about it; never the patron's words or handle."""

    key: str
    channel: str
    status: Status
    holder: str | None
    waited: timedelta
    """Since the patron's oldest message still waiting for an answer."""
    late: bool
    """Waited past the desk's target with no reply sent: LATE on the desk too."""
    flag: str | None
    notes: tuple[tuple[str, str], ...]
    """(staff, text) of every internal note on it, oldest first."""
    stuck_replies: tuple[tuple[str, str, timedelta], ...]
    """(status, staff, age) of each reply that failed or is uncertain."""


def open_item(conversation: Conversation, now: datetime, target: timedelta) -> OpenItem:
    row = row_for(conversation, now, target)  # LATE exactly as the desk marks it
    return OpenItem(
        key=conversation.key,
        channel=conversation.channel,
        status=conversation.status,
        holder=conversation.holder,
        waited=now - conversation.waiting_since,
        late=row.overdue,
        flag=conversation.flag,
        notes=tuple((e.staff, str(e.details.get("text", ""))) for e in conversation.notes),
        stuck_replies=tuple(
            (r.status.value, r.staff, now - r.created_at)
            for r in conversation.replies
            if r.status in NEEDS_STAFF
        ),
    )


@dataclass(frozen=True)
class ShiftSummary:
    staff: str
    since: datetime
    until: datetime
    answered: int
    """Transactions this person resolved in the shift with the outcome ``answered``."""
    resolved: int
    """Transactions this person resolved in the shift, whatever the outcome."""
    by_channel: dict[str, int]
    by_read: dict[str, int]
    by_outcome: dict[str, int]
    still_held: list[str]
    """What this person still holds after the handover."""
    desk_open: int
    """Everything open on the desk: new, and claimed by anyone."""
    result: HandoverResult | None = None
    waiting: list[OpenItem] = field(default_factory=list)
    """New, longest-waiting first."""
    held_by: dict[str, list[OpenItem]] = field(default_factory=dict)
    """What each person holds, by name, longest-waiting first."""
    flagged: list[OpenItem] = field(default_factory=list)
    """Open and flagged for review."""
    stuck: list[OpenItem] = field(default_factory=list)
    """On the desk (resolved too) with a reply that failed or is uncertain."""


def shift_summary(
    history: Iterable[Conversation],
    live: Iterable[Conversation],
    *,
    staff: str,
    since: datetime,
    now: datetime,
    result: HandoverResult | None = None,
    target: timedelta = timedelta(minutes=60),
    team: Team | None = None,
) -> ShiftSummary:
    """What ``staff`` resolved in ``[since, now]``, and the desk as the next shift finds it.

    ``target``: the desk's ``target_minutes``, past which a waiting patron is LATE.
    ``team``: the team list, which credits a name recorded before it under
    another spelling (``Bo``) to the member as listed (``bo``).
    """
    team = team or Team()
    resolved = [
        t
        for c in history
        for t in transactions_of(c)
        if team.credited(t.staff) == staff and since <= t.resolved_at <= now
    ]
    live = list(live)
    open_now = [c for c in live if c.status is not Status.RESOLVED]
    items = {c.key: open_item(c, now, target) for c in sorted(live, key=lambda c: c.waiting_since)}
    held_by: dict[str, list[OpenItem]] = {}
    for item in items.values():
        if item.status is Status.CLAIMED and item.holder is not None:
            held_by.setdefault(team.credited(item.holder), []).append(item)
    read = Counter(str(t.read_level) for t in resolved)
    return ShiftSummary(
        staff=staff,
        since=since,
        until=now,
        answered=sum(t.outcome is Outcome.ANSWERED for t in resolved),
        resolved=len(resolved),
        by_channel=dict(sorted(Counter(t.channel for t in resolved).items())),
        by_read={str(n): read.get(str(n), 0) for n in READ_LEVELS if read.get(str(n))},
        by_outcome=dict(sorted(Counter(t.outcome.value for t in resolved).items())),
        still_held=[c.key for c in held(open_now, staff, team)],
        desk_open=len(open_now),
        result=result,
        waiting=[i for i in items.values() if i.status is Status.NEW],
        held_by=dict(sorted(held_by.items())),
        flagged=[
            i for i in items.values() if i.flag is not None and i.status is not Status.RESOLVED
        ],
        stuck=[i for i in items.values() if i.stuck_replies],
    )


def summary_text(summary: ShiftSummary, tz: tzinfo) -> str:
    """The summary as plain text for the terminal, a file or an e-mail; no patron words.

    Lines stay within 80 columns except where a key or a note is long; callers
    show it through ``inert`` (keys, notes and reasons come from outside).
    """
    since = summary.since.astimezone(tz)
    until = summary.until.astimezone(tz)
    span = f"{since:%Y-%m-%d %H:%M}-{until:%H:%M}"
    if since.date() != until.date():
        span = f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M}"
    lines = [f"Shift summary for {summary.staff}, {span} ({tz})", ""]
    others = {o: n for o, n in summary.by_outcome.items() if o != Outcome.ANSWERED.value}
    lines.append(
        f"Answered: {summary.answered}"
        + (f" (of {summary.resolved} resolved; also {_named(others)})" if others else "")
    )
    if summary.resolved:
        lines.append("  by channel: " + _counts(summary.by_channel))
        lines.append("  by READ level: " + _counts(summary.by_read))
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
    lines.extend(_next_shift(summary))
    lines.append("")
    held_now = summary.still_held
    lines.append(
        f"Still open: you hold {len(held_now)}"
        + (f" ({', '.join(held_now)})" if held_now else "")
        + f"; {summary.desk_open} open on the desk in all"
    )
    return "\n".join(lines) + "\n"


def _next_shift(summary: ShiftSummary) -> list[str]:
    """What waits, who holds what, flags and replies in trouble: what the next shift acts on."""
    late = sum(i.late for i in summary.waiting)
    lines = ["", f"Waiting in New: {len(summary.waiting)}" + (f" ({late} LATE)" if late else "")]
    for item in summary.waiting:
        lines.extend(_item_lines(item))
    held_count = sum(len(items) for items in summary.held_by.values())
    lines += ["", f"Held: {held_count}" + ("" if held_count else " (nobody holds anything)")]
    for holder, items in summary.held_by.items():
        lines.append(f"  {one_line(holder, 40)} ({len(items)}):")
        lines.extend(line for item in items for line in _item_lines(item, indent=4))
    if summary.flagged:
        lines += ["", f"Flagged for review: {len(summary.flagged)}"]
        for item in summary.flagged:
            where = f"held by {item.holder}" if item.holder else "in New"
            lines.append(f"  {one_line(item.key, 60)} ({where}): {one_line(item.flag or '', 200)}")
    if summary.stuck:
        lines += ["", f"Replies that need staff: {len(summary.stuck)}"]
        for item in summary.stuck:
            for status, staff, age in item.stuck_replies:
                reply = f"{one_line(staff, 40)}'s reply, {format_ago(age)}"
                lines.append(f"  {one_line(item.key, 60)}: {status} ({reply})")
    return lines


def _item_lines(item: OpenItem, indent: int = 2) -> list[str]:
    pad = " " * indent
    marks = " LATE" if item.late else ""
    if item.flag is not None:
        marks += " FLAGGED"
    lines = [
        f"{pad}{one_line(item.key, 60)}  {one_line(item.channel, 20)}  "
        f"waiting {format_age(item.waited)}{marks}"
    ]
    lines.extend(
        f"{pad}  note ({one_line(staff, 40)}): {one_line(text, 200)}" for staff, text in item.notes
    )
    return lines


def _named(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} ({n})" for name, n in counts.items()) or "none"
