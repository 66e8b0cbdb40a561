"""Transactions: what one conversation's events mean for the reference statistics.

A transaction is one resolved episode of a conversation, counted once however
many messages it holds; ``docs/statistics.md`` gives every definition. Pure and
below the store, so a store can keep each conversation's transactions beside it
and read statistics without loading the conversations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from askdesk.model.conversation import Conversation
from askdesk.model.message import Kind, Outcome, QuestionType, Resolution
from askdesk.model.transitions import PATRON

TRANSACTION_RULES = 1
"""The version of the rules below; a store that keeps transactions recomputes them when it grows."""


@dataclass(frozen=True, slots=True)
class Transaction:
    """One resolved episode: what the statistics and the export count.

    No patron words, handles or ids: only what a statistics spreadsheet needs.
    """

    channel: str
    kind: Kind
    started_at: datetime
    """The patron's first message of the episode."""
    resolved_at: datetime
    staff: str
    """Who resolved it."""
    outcome: Outcome
    question_type: QuestionType
    read_level: int
    first_response_s: int
    """First staff reply (or the resolve, if there was no reply) minus ``started_at``."""
    resolve_s: int
    """``resolved_at`` minus ``started_at``."""
    flagged: bool
    """Flagged for review at any time during the episode."""
    messages: int
    """Patron messages in the episode."""
    time_spent_min: int | None = None
    """Minutes staff recorded with its resolves (a correction's too); ``None``: none recorded."""
    fields: dict[str, str] = field(default_factory=dict)
    """The library's own ``[[stats.fields]]`` as last resolved: field name -> choice."""


@dataclass
class _Episode:
    """From a patron's first message to the resolve that closes it (so far)."""

    received: list[datetime] = field(default_factory=list)
    opened_at: datetime | None = None
    first_response_at: datetime | None = None
    resolution: Resolution | None = None
    minutes: list[int] = field(default_factory=list)
    """The time spent recorded by each of its resolves."""
    closed: bool = False
    flagged: bool = False

    @property
    def started_at(self) -> datetime | None:
        return min(self.received, default=self.opened_at)


def _episodes(conversation: Conversation, until: datetime | None = None) -> list[_Episode]:
    """The conversation's episodes, from its events up to ``until`` (all of them if ``None``).

    A patron writing to a resolved conversation starts a new episode; a staff
    reopen does not (it corrects the last resolve, whose episode goes on).
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
            case "reopen" if event.staff == PATRON and episode.closed:
                episode = _Episode(opened_at=event.at, flagged=flag_on)
                episodes.append(episode)
                _add_message(episode, received, event.details, event.at)
            case "arrive" | "follow-up" | "reopen" if event.staff == PATRON:
                _add_message(episode, received, event.details, event.at)
            case "reopen":
                episode.closed = False
            case "reply":
                episode.first_response_at = episode.first_response_at or event.at
            case "resolve":
                resolution = next(resolutions, None)
                if resolution is not None:
                    episode.resolution = resolution
                    episode.closed = True
                    if resolution.time_spent_min is not None:
                        episode.minutes.append(resolution.time_spent_min)
                    episode.first_response_at = episode.first_response_at or event.at
            case "flag":
                flag_on = episode.flagged = True
            case "unflag":
                flag_on = False
    return [e for e in episodes if e.opened_at is not None]


def _add_message(
    episode: _Episode, received: dict[str, datetime], details: dict[str, Any], at: datetime
) -> None:
    key = details.get("message")
    episode.received.append(received.get(key, at) if isinstance(key, str) else at)


def whole_seconds(delta: timedelta) -> int:
    """A duration in whole seconds, never negative (clocks of two machines may disagree)."""
    return max(0, round(delta.total_seconds()))


def transactions_of(conversation: Conversation) -> list[Transaction]:
    """Every transaction in one conversation, oldest first."""
    out = []
    for episode in _episodes(conversation):
        resolution, started = episode.resolution, episode.started_at
        if not episode.closed or resolution is None or started is None:
            continue
        responded = episode.first_response_at or resolution.at
        out.append(
            Transaction(
                channel=conversation.channel,
                kind=conversation.kind,
                started_at=started,
                resolved_at=resolution.at,
                staff=resolution.staff,
                outcome=resolution.outcome,
                question_type=resolution.question_type,
                read_level=resolution.read_level,
                first_response_s=whole_seconds(responded - started),
                resolve_s=whole_seconds(resolution.at - started),
                flagged=episode.flagged,
                messages=len(episode.received),
                time_spent_min=sum(episode.minutes) if episode.minutes else None,
                fields=dict(resolution.fields),
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
