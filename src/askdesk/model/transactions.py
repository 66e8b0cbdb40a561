"""Transactions: what one conversation's events mean for the reference statistics.

A transaction is one question handled, counted once however many messages it
holds, dated and credited by its first resolve; ``docs/statistics.md`` gives
every definition. Pure and below the store, so a store can keep each
conversation's transactions beside it and read statistics without loading the
conversations.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from askdesk.model.conversation import Conversation
from askdesk.model.message import Kind, Outcome, QuestionType, Resolution
from askdesk.model.transitions import PATRON

TRANSACTION_RULES = 2
"""The version of the rules below; a store that keeps transactions recomputes them when it grows.

2: dated and credited by the first resolve, corrections in place, "thanks"
follow-ups closed ``no-reply-needed`` belong to the earlier transaction,
flagged only before the first resolve, and an ``id`` per transaction.
"""


@dataclass(frozen=True, slots=True)
class Transaction:
    """One question handled: what the statistics and the export count.

    No patron words, handles or ids: only what a statistics spreadsheet needs.
    Plain values only, so a store can keep it as a row or a JSON object.
    """

    channel: str
    kind: Kind
    started_at: datetime
    """The patron's first message of the transaction: when it was asked."""
    resolved_at: datetime
    """The first resolve: a later correction does not move it."""
    staff: str
    """Who resolved it first: a correction by a colleague does not change the credit."""
    outcome: Outcome
    question_type: QuestionType
    read_level: int
    """Outcome, question type and READ level as last corrected."""
    first_response_s: int
    """First staff reply (or the first resolve, if there was no reply) minus ``started_at``."""
    resolve_s: int
    """``resolved_at`` minus ``started_at``."""
    flagged: bool
    """Flagged for review between the patron's first message and the first resolve."""
    messages: int
    """Patron messages in the transaction, a "thanks" closed as no reply needed included."""
    id: str
    """Stable and anonymous: recorded at random with the first resolve, the same in every export."""
    time_spent_min: int | None = None
    """Minutes staff recorded with its resolves (a correction's and a "thanks"'s too);
    ``None``: none recorded."""
    fields: dict[str, str] = field(default_factory=dict)
    """The library's own ``[[stats.fields]]`` as last resolved: field name -> choice."""

    @property
    def reference(self) -> bool:
        """A reference transaction as the IMLS Public Libraries Survey counts them."""
        return self.question_type is not QuestionType.DIRECTIONAL and self.outcome in (
            Outcome.ANSWERED,
            Outcome.REFERRED,
        )


@dataclass
class _Episode:
    """From a patron's first message to the resolve that answers it, and its corrections.

    A patron's message after the first resolve starts the next episode, so a
    resolve after it is never a correction.
    """

    received: list[datetime] = field(default_factory=list)
    opened_at: datetime | None = None
    first_response_at: datetime | None = None
    first_resolve: Resolution | None = None
    """Dates and credits the transaction."""
    resolution: Resolution | None = None
    """The latest resolve: its outcome, type and READ level are the ones in force."""
    minutes: list[int] = field(default_factory=list)
    """The time spent recorded by each of its resolves."""
    transaction_id: str | None = None
    closed: bool = False
    flagged: bool = False

    @property
    def started_at(self) -> datetime | None:
        return min(self.received, default=self.opened_at)


def _episodes(conversation: Conversation, until: datetime | None = None) -> list[_Episode]:
    """The conversation's episodes, from its events up to ``until`` (all of them if ``None``).

    A patron writing after a resolve starts a new episode; a staff reopen does
    not (it corrects the last resolve, whose episode goes on).
    """
    received = {m.key: m.received_at for m in conversation.messages}
    resolutions = iter(conversation.resolutions)
    episodes = [_Episode()]
    flag_on = False
    for event in conversation.events:
        if until is not None and event.at > until:
            break
        episode = episodes[-1]
        if episode.opened_at is None:
            episode.opened_at = event.at
        match event.action:
            case "arrive" | "follow-up" | "reopen" if event.staff == PATRON:
                if episode.first_resolve is not None:
                    episode = _Episode(opened_at=event.at, flagged=flag_on)
                    episodes.append(episode)
                _add_message(episode, received, event.details, event.at)
            case "reopen":
                episode.closed = False
            case "reply":
                episode.first_response_at = episode.first_response_at or event.at
            case "resolve":
                resolution = next(resolutions, None)
                if resolution is not None:
                    _resolve(episode, resolution, event.details)
            case "flag":
                flag_on = True
                episode.flagged = episode.flagged or episode.first_resolve is None
            case "unflag":
                flag_on = False
    return [e for e in episodes if e.opened_at is not None]


def _resolve(episode: _Episode, resolution: Resolution, details: dict[str, Any]) -> None:
    if episode.first_resolve is None:
        episode.first_resolve = resolution
        episode.first_response_at = episode.first_response_at or resolution.at
        recorded = details.get("transaction")
        episode.transaction_id = recorded if isinstance(recorded, str) and recorded else None
    episode.resolution = resolution
    episode.closed = True
    if resolution.time_spent_min is not None:
        episode.minutes.append(resolution.time_spent_min)


def _add_message(
    episode: _Episode, received: dict[str, datetime], details: dict[str, Any], at: datetime
) -> None:
    key = details.get("message")
    episode.received.append(received.get(key, at) if isinstance(key, str) else at)


def whole_seconds(delta: timedelta) -> int:
    """A duration in whole seconds, never negative (clocks of two machines may disagree)."""
    return max(0, round(delta.total_seconds()))


def _fallback_id(channel: str, started: datetime, first: Resolution) -> str:
    """The id of a transaction first resolved before ids were recorded.

    Made from what the export shows anyway (never a key or a platform id), so
    it is as anonymous as the row and the same in every export.
    """
    seed = f"{channel}|{started.isoformat()}|{first.at.isoformat()}|{first.staff}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def _with_thanks(earlier: Transaction, thanks: _Episode) -> Transaction:
    """The earlier transaction with a follow-up closed as no reply needed: its messages
    and the minutes recorded for it count, nothing else changes."""
    minutes = [m for m in (earlier.time_spent_min,) if m is not None] + thanks.minutes
    return replace(
        earlier,
        messages=earlier.messages + len(thanks.received),
        time_spent_min=sum(minutes) if minutes else None,
    )


def transactions_of(conversation: Conversation) -> list[Transaction]:
    """Every transaction in one conversation, oldest first.

    An episode after the first whose resolve in force says ``no-reply-needed``
    (the patron's "thanks!") is part of the transaction before it, which keeps
    everything but counts its messages.
    """
    out: list[Transaction] = []
    for episode in _episodes(conversation):
        first, latest, started = episode.first_resolve, episode.resolution, episode.started_at
        if first is None or latest is None or started is None:
            continue
        if out and latest.outcome is Outcome.NO_REPLY_NEEDED:
            out[-1] = _with_thanks(out[-1], episode)
            continue
        responded = episode.first_response_at or first.at
        out.append(
            Transaction(
                channel=conversation.channel,
                kind=conversation.kind,
                started_at=started,
                resolved_at=first.at,
                staff=first.staff,
                outcome=latest.outcome,
                question_type=latest.question_type,
                read_level=latest.read_level,
                first_response_s=whole_seconds(responded - started),
                resolve_s=whole_seconds(first.at - started),
                flagged=episode.flagged,
                messages=len(episode.received),
                id=episode.transaction_id or _fallback_id(conversation.channel, started, first),
                time_spent_min=sum(episode.minutes) if episode.minutes else None,
                fields=dict(latest.fields),
            )
        )
    return out


def open_since(conversation: Conversation, as_of: datetime) -> datetime | None:
    """When the episode that was open at ``as_of`` began; ``None`` if none was open."""
    resolution = conversation.resolution
    if resolution is not None and resolution.at <= as_of:
        return None  # resolved then and not reopened since: the common case, without a walk
    if conversation.events and conversation.events[0].at > as_of:
        return None
    episodes = _episodes(conversation, until=as_of)
    if not episodes or episodes[-1].closed:
        return None
    return episodes[-1].started_at
