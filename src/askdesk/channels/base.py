"""The small surface every channel adapter has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from askdesk.model import Message


@dataclass(frozen=True)
class Problem:
    """Something a fetch skipped, in words staff can act on (``where``: file:line, tweet id)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Fetched:
    """What one fetch brought: the messages, the cursor to save with them, what was skipped."""

    messages: list[Message]
    cursor: str | None
    problems: list[Problem] = field(default_factory=list)


class Channel(Protocol):
    name: str
    """The configured name; the first part of every message key."""
    type: str
    poll_seconds: float

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        """Bring in what is new since ``cursor``.

        Raises ``ChannelError`` when nothing could be read at all.
        """
        ...
