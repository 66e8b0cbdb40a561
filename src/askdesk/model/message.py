"""Messages as they arrive from a channel, and the words staff use to close them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Kind(StrEnum):
    """How the patron reached us; public kinds need care with personal data."""

    MENTION = "mention"
    DIRECT = "direct"
    EMAIL = "email"
    CHAT = "chat"
    SMS = "sms"


class Role(StrEnum):
    """What a message is to its conversation: a patron's words, or a record beside them.

    Only a ``QUESTION`` asks for an answer (it opens or reopens a conversation);
    the others are kept on the conversation so staff see them, and change nothing else.
    """

    QUESTION = "question"
    SENT_ELSEWHERE = "sent-elsewhere"
    """The library's own message, sent outside askdesk (Meta Business Suite, a phone)."""
    OPT_OUT = "opt-out"
    """The patron asked for no more messages (an SMS ``STOP``): replies are refused."""
    OPT_IN = "opt-in"
    """The patron asked for messages again (an SMS ``START``)."""


class Outcome(StrEnum):
    ANSWERED = "answered"
    NO_REPLY_NEEDED = "no-reply-needed"
    REFERRED = "referred"
    DECLINED = "declined"


class QuestionType(StrEnum):
    DIRECTIONAL = "directional"
    READY_REFERENCE = "ready-reference"
    RESEARCH = "research"
    POLICY = "policy"
    TECHNICAL = "technical"
    READERS_ADVISORY = "readers-advisory"
    OTHER = "other"


READ_LEVELS: dict[int, str] = {
    1: "directional, under a minute, no resource",
    2: "quick answer from one known resource",
    3: "some searching, one or two resources",
    4: "several resources, some expertise",
    5: "substantial research, consultation",
    6: "in-depth research, several resources, expertise",
}

MAX_MINUTES_SPENT = 24 * 60
"""The most minutes one resolve may record as time spent: a day's work on one question."""


def key_for(channel: str, remote_id: str) -> str:
    """A message's key: ``<channel name>:<remote id>``."""
    return f"{channel}:{remote_id}"


@dataclass(frozen=True, slots=True)
class Message:
    """One thing a patron sent, exactly as the channel delivered it."""

    channel: str
    remote_id: str
    kind: Kind
    author: str
    text: str
    received_at: datetime
    conversation: str | None = None
    """The platform's conversation id, when it has one (a tweet thread, a DM thread)."""
    url: str | None = None
    label: str | None = None
    """A free label from the channel (the drop folder's ``channel`` field)."""
    role: Role = Role.QUESTION
    fold_at: int | None = None
    """Where quoted earlier mail and a signature begin in ``text`` (email): the desk's row
    shows what comes before; the conversation view shows it all."""

    @property
    def from_patron(self) -> bool:
        return self.role is not Role.SENT_ELSEWHERE

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError(f"message {self.remote_id}: received_at needs a timezone")

    @property
    def key(self) -> str:
        return key_for(self.channel, self.remote_id)

    @property
    def preview(self) -> str:
        """The text as far as the patron's own words go: what a row shows."""
        return self.text[: self.fold_at] if self.fold_at else self.text

    @property
    def conversation_key(self) -> str:
        """The key of the conversation this message belongs to.

        Platforms name a thread after its first message (a tweet's
        ``conversation_id`` is the root tweet's id), so a conversation's key
        looks like a message key and a standalone message is its own thread.
        """
        return key_for(self.channel, self.conversation) if self.conversation else self.key


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a conversation's history: who did what, when."""

    at: datetime
    staff: str
    action: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a conversation was closed: one reference transaction."""

    at: datetime
    staff: str
    outcome: Outcome
    question_type: QuestionType
    read_level: int
    time_spent_min: int | None = None
    """Minutes this staff member spent on it, as they recorded it; ``None``: not recorded."""
    fields: dict[str, str] = field(default_factory=dict)
    """The answers to the library's own ``[[stats.fields]]``: field name -> choice."""

    def __post_init__(self) -> None:
        if self.read_level not in READ_LEVELS:
            raise ValueError(f"READ level must be 1-6, not {self.read_level}")
        minutes = self.time_spent_min
        if minutes is not None and not 0 <= minutes <= MAX_MINUTES_SPENT:
            raise ValueError(f"time spent must be 0-{MAX_MINUTES_SPENT} minutes, not {minutes}")
