"""The small surface every channel adapter has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from askdesk.model import Conversation, Message, Reply


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


@dataclass(frozen=True)
class Receipt:
    """The platform's word that a reply went out: its id there."""

    remote_id: str


@runtime_checkable
class Sender(Protocol):
    """A channel that can answer. ``can_send_private``: it has a private route (a DM)."""

    name: str
    can_send_private: bool

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """Deliver ``reply``; raise ``ChannelError`` (or ``RateLimited``) when it did not go."""
        ...


@runtime_checkable
class SentLookup(Protocol):
    """A channel that can tell whether an interrupted send reached the platform."""

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None: ...
