"""The small surface every channel adapter has, and what a channel module declares.

A channel is *polled* (``PolledChannel``: the desk asks for what is new since
a cursor the store keeps) and, where the platform allows, a ``Sender`` (it
delivers replies). Optional abilities are their own small protocols that the
desk checks with ``isinstance``: ``SentLookup`` (can tell whether an
interrupted send arrived) and ``ReportsRateLimit`` (knows its quota).
A live side (a connection that pushes messages as they arrive) sits beside
``PolledChannel`` in the same way.

Each channel module ends with one ``Adapter``: its type name, its options
and the function that builds the channel from them. The registry is only a
table of these; ``docs/channel-adapters.md`` shows how to write one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from askdesk.channels.options import Option, Options
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
    waiting: int = 0
    """Messages left at the source for the next polls: a flood is read a part at a time."""


@dataclass(frozen=True)
class Receipt:
    """The platform's word that a reply went out: its id there."""

    remote_id: str


@runtime_checkable
class Channel(Protocol):
    """What every adapter is, whatever it can do."""

    name: str
    """The configured name; the first part of every message key."""
    type: str
    """The adapter's type name, as written in ``[[channels]] type``."""


@runtime_checkable
class PolledChannel(Channel, Protocol):
    """A channel the desk polls every ``poll_seconds``.

    ``fetch`` runs in a worker thread, never beside another fetch of the same
    channel (the ``Poller`` sees to that), so state only ``fetch`` touches
    needs no lock. ``send`` may run meanwhile in the outbox's thread: state
    both touch does.
    """

    poll_seconds: float

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        """Bring in what is new since ``cursor``.

        Raises ``ChannelError`` when nothing could be read at all.
        """
        ...


@runtime_checkable
class Sender(Channel, Protocol):
    """A channel that can answer. ``can_send_private``: it has a private route (a DM)."""

    can_send_private: bool

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """Deliver ``reply``; raise ``ChannelError`` (or ``RateLimited``) when it did not go."""
        ...


@runtime_checkable
class SentLookup(Protocol):
    """A channel that can tell whether an interrupted send reached the platform."""

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None: ...


@runtime_checkable
class ReportsRateLimit(Protocol):
    """A channel that knows its quota, shown on its health line."""

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """``(remaining, reset_at)`` of the tightest endpoint of its last fetch."""
        ...


@dataclass(frozen=True)
class Adapter:
    """What a channel module provides: ``type`` is the name written in ``[[channels]] type``.

    ``options`` are the keys its table takes besides ``type``, ``name`` and
    ``anonymize_after_days`` (which config.py reads for retention); ``build``
    makes the channel from its name and the checked options, reading any
    credentials then, so a missing token is reported when the desk starts.
    """

    type: str
    options: tuple[Option, ...]
    build: Callable[[str, Options], Channel]
