"""The small surface every channel adapter has, and what a channel module declares.

A channel is *polled* (``PolledChannel``: the desk asks for what is new since
a cursor the store keeps) and, where the platform allows, a ``Sender`` (it
delivers replies). Optional abilities are their own small protocols that the
desk checks with ``isinstance``: ``SentLookup`` (can tell whether an
interrupted send arrived), ``ReportsRateLimit`` (knows its quota) and
``ReportsLengthLimit`` (knows how long a reply may be).
A *live* channel (``LiveChannel``: chat) holds a connection open instead and
hands each message to a ``LiveSink`` the moment it arrives.

Each channel module ends with one ``Adapter``: its type name, its options
and the function that builds the channel from them. The registry is only a
table of these; ``docs/channel-adapters.md`` shows how to write one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from askdesk.channels.options import Option, Options
from askdesk.errors import ChannelError
from askdesk.model import Conversation, Message, Reply


@dataclass(frozen=True)
class Problem:
    """Something a fetch skipped, in words staff can act on (``where``: file:line, tweet id)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Notice:
    """Something that arrived but is no question: an out-of-office, a bounce.

    It never lands in New: the desk records it on the conversation it answers
    (``conversation``, that conversation's key, when the channel could tell)
    and counts it on the channel's health line. ``what`` is ``auto-reply`` or
    ``bounce``; ``remote_id`` makes recording it twice a no-op.
    """

    remote_id: str
    what: str
    received_at: datetime
    conversation: str | None = None


@dataclass(frozen=True)
class Fetched:
    """What one fetch brought: the messages, the cursor to save with them, what was skipped."""

    messages: list[Message]
    cursor: str | None
    problems: list[Problem] = field(default_factory=list)
    waiting: int = 0
    """Messages left at the source for the next polls: a flood is read a part at a time."""
    notices: list[Notice] = field(default_factory=list)
    """What arrived that is no question (auto-replies, bounces): recorded, never in New."""


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

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """The reply as the platform has it, or None when it is not there.

        Raises ``CannotTellIfSent`` when the platform was asked and what it
        keeps cannot say; any other ``ChannelError`` when it could not be asked.
        """
        ...


class CannotTellIfSent(ChannelError):
    """``find_sent`` looked, and what the platform keeps cannot say whether the reply arrived
    (an email's copy in Sent still a draft). Staff decide: sending it again is their call."""


@dataclass(frozen=True)
class Forgotten:
    """What a retention pass removed outside the store (or would, on a dry run), counted."""

    count: int
    what: str
    """Plural words after the count: "processed files of drop folder webform"."""


@runtime_checkable
class KeepsCopies(Protocol):
    """A channel that keeps patron details outside the store (a drop folder's files, the
    replies it wrote): retention has it forget what is older than the channel's window."""

    def forget_before(
        self, cutoff: datetime, cursor: str | None, *, dry_run: bool = False
    ) -> list[Forgotten]:
        """Remove what was handed over (``cursor``: the channel's own) and is older than
        ``cutoff``; what was removed, or would be with ``dry_run``."""
        ...


@runtime_checkable
class WakesEarly(Protocol):
    """A polled channel that hears of new messages as they arrive (IMAP IDLE).

    The poller polls it as soon as ``woken()`` says so, not only every
    ``poll_seconds``. ``stop_watching`` ends the listening when this process
    no longer polls the channel (its lease went to another, the desk quits).
    """

    def woken(self) -> bool: ...

    def stop_watching(self) -> None: ...


@runtime_checkable
class ReportsRateLimit(Protocol):
    """A channel that knows its quota, shown on its health line."""

    @property
    def rate_limit(self) -> tuple[int | None, datetime | None]:
        """``(remaining, reset_at)`` of the tightest endpoint of its last fetch."""
        ...


@runtime_checkable
class ReportsLengthLimit(Protocol):
    """A channel whose platform says how long a reply may be (a Mastodon instance's own)."""

    @property
    def length_limit(self) -> int | None:
        """The most characters a reply may have, once the platform has said; None before."""
        ...


@dataclass(frozen=True)
class ReplyWindow:
    """Whether the platform takes a reply to a conversation now, in words staff read.

    ``note`` is what the composer shows while staff write ("21 h 14 min left
    of Messenger's 24-hour window"); ``refusal``, when set, is why a reply
    cannot go: the composer, ``askdesk reply`` and the send all say it.
    """

    note: str | None = None
    refusal: str | None = None


@runtime_checkable
class GuardsReplies(Protocol):
    """A channel whose platform takes replies only at times (a reply window, an opt-out)."""

    def reply_window(self, conversation: Conversation, now: datetime) -> ReplyWindow: ...


@runtime_checkable
class CountsSegments(Protocol):
    """A channel whose replies are paid by the segment (SMS): the most one reply may take."""

    max_segments: int


@runtime_checkable
class TracksDelivery(Protocol):
    """A channel whose platform says whether a sent reply reached the patron (SMS)."""

    def delivery(self, remote_id: str, now: datetime) -> str | None:
        """Where the reply sent as ``remote_id`` has got to, in the platform's word."""
        ...


@runtime_checkable
class PlacesSessions(Protocol):
    """A polled channel with one conversation per patron at a time, cut by ``session_gap``.

    As on a live channel, ``Message.conversation`` names the patron and the
    desk decides which of their conversations a message joins.
    """

    session_gap: timedelta


@runtime_checkable
class NamesPatrons(Protocol):
    """A channel whose keys name a patron by a pseudonym keyed with the store's own secret.

    A phone number is one of about 10^10, so an unkeyed hash of it in a key is
    undone by trying them all. The desk hands the channel the store's secret
    (``use_pseudonym_key``) before its first fetch; the secret stays in the
    store (it travels with ``askdesk store copy``) and is never shown or logged.
    ``former_names`` gives the names the message's patron went by before the
    pseudonym was keyed, so a conversation begun then is still joined.
    """

    def use_pseudonym_key(self, key: bytes) -> None: ...

    def former_names(self, message: Message) -> tuple[str, ...]: ...


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


# -- the live side: a connection held open, messages handed over as they arrive ------------


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Link:
    """A live channel's connection as staff should hear of it.

    ``error`` is the last failure in one plain sentence (kept while
    reconnecting and after, until a connection works); ``retry_at`` says when
    the next attempt is due; ``note`` is a standing remark about the server
    (it keeps no archive), said once per connection, not per message.
    """

    state: LinkState
    error: str | None = None
    retry_at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True)
class PatronLeft:
    """A patron closed the chat (XEP-0085 ``gone``, or went offline).

    ``patron`` is what the channel puts in ``Message.conversation`` for them.
    """

    channel: str
    patron: str
    at: datetime


class LiveSink(Protocol):
    """Where a live channel hands what happens; called from the channel's own thread."""

    def arrived(self, messages: Sequence[Message], cursor: str | None) -> None:
        """Messages, the moment they arrive; ``cursor``: where a later catch-up resumes
        (``None``: leave the saved one as it is). Store both in one write."""
        ...

    def left(self, departure: PatronLeft) -> None: ...

    def link_changed(self, link: Link) -> None: ...


@runtime_checkable
class LiveChannel(Channel, Protocol):
    """A channel that holds a connection open (chat) instead of being polled.

    One process per store holds it, under the same lease as a poller; the
    others see its messages through the store. ``connected`` says whether a
    reply can go out from this process now: the outbox leaves replies on a
    live channel pending in every process where it is not.
    """

    session_gap: timedelta
    """After a resolve, a patron who writes within this long reopens the
    conversation; later, the message starts a new one (the desk decides)."""

    @property
    def connected(self) -> bool: ...

    def start(self, sink: LiveSink, cursor: str | None) -> None:
        """Connect in a thread of the channel's own and return at once.

        The channel reconnects by itself, with backoff, until ``stop``; on each
        (re)connect it catches up from ``cursor`` or the last cursor it handed over.
        """
        ...

    def set_available(self, available: bool) -> None:
        """Show the account as available (someone is at a desk) or away."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and wait (up to ``timeout`` s) for the thread to end."""
        ...
