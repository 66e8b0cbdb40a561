"""Bringing messages in: poll each channel when it is due and keep its health.

A failing channel never stops the others: its error is kept, in plain words,
on its ``ChannelHealth`` for the dashboard and ``askdesk channels``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from askdesk.channels import Channel, Problem
from askdesk.desk.triage import Desk
from askdesk.errors import AskdeskError, RateLimited

log = logging.getLogger(__name__)


@dataclass
class ChannelHealth:
    name: str
    type: str
    last_ok: datetime | None = None
    next_poll: datetime | None = None
    last_error: str | None = None
    arrived: int = 0


@dataclass(frozen=True)
class PollResult:
    channel: str
    added: int = 0
    joined: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"{self.channel}: {self.error}"
        text = f"{self.channel}: {self.added} new, {self.joined} follow-ups"
        if self.problems:
            text += f", {len(self.problems)} skipped"
        return text


class Poller:
    def __init__(self, desk: Desk, channels: list[Channel]) -> None:
        self.desk = desk
        self.channels = channels
        self.health = {c.name: ChannelHealth(name=c.name, type=c.type) for c in channels}

    def due(self, now: datetime) -> list[Channel]:
        return [
            c
            for c in self.channels
            if (next_poll := self.health[c.name].next_poll) is None or next_poll <= now
        ]

    def poll(self, channel: Channel) -> PollResult:
        """Fetch once and ingest what came, saving the cursor in the same write."""
        health = self.health[channel.name]
        now = self.desk.clock.now()
        health.next_poll = now + timedelta(seconds=channel.poll_seconds)
        try:
            fetched = channel.fetch(self.desk.store.cursor(channel.name), now)
            result = self.desk.ingest(fetched.messages, cursor=(channel.name, fetched.cursor))
        except RateLimited as error:
            if error.reset_at is not None:
                health.next_poll = max(health.next_poll, error.reset_at)
            health.last_error = str(error)
            return PollResult(channel.name, error=str(error))
        except AskdeskError as error:
            health.last_error = str(error)
            return PollResult(channel.name, error=str(error))
        except Exception as error:
            # An SDK failed in a way its adapter did not foresee: keep the other
            # channels going, keep the traceback in the log, tell staff plainly.
            log.exception("channel %s failed", channel.name)
            health.last_error = f"unexpected error: {error!r}"
            return PollResult(channel.name, error=health.last_error)
        health.last_ok = now
        health.last_error = "; ".join(map(str, fetched.problems[:3])) or None
        health.arrived += len(result.added) + len(result.joined)
        return PollResult(
            channel.name,
            added=len(result.added),
            joined=len(result.joined),
            duplicates=result.duplicates,
            problems=fetched.problems,
        )

    def poll_due(self) -> list[PollResult]:
        return [self.poll(c) for c in self.due(self.desk.clock.now())]

    def poll_all(self) -> list[PollResult]:
        return [self.poll(c) for c in self.channels]
