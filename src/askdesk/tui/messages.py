"""What workers tell the app: small past-tense messages, never widget calls."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from askdesk.desk.outbox import SendResult
from askdesk.desk.retention import PurgeResult
from askdesk.desk.shift import Shift
from askdesk.desk.sync import PollResult
from askdesk.model import Conversation
from askdesk.tui.screens.composer import Draft


@dataclass
class DeskChanged(Message):
    """Somebody (perhaps another process) changed the store; here is the fresh desk."""

    conversations: list[Conversation]
    version: object
    store_problem: str | None = None
    """Why the store cannot be reached right now (the conversations are what the desk had)."""
    drafts: dict[str, str] | None = None
    """This staff member's kept drafts by conversation key, read with the conversations."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DeskChanged)


@dataclass
class ConversationChanged(Message):
    """One of our own actions went through."""

    conversation: Conversation
    done: str


@dataclass
class ActionRefused(Message):
    """The desk said no (e.g. already claimed by ana); ``reason`` is one sentence."""

    reason: str
    key: str | None = None
    """The conversation the refused action was on, where there was one."""


@dataclass
class ChannelsPolled(Message):
    results: list[PollResult]


@dataclass
class PatronDetailsRemoved(Message):
    """The retention pass at start-up anonymized some resolved conversations."""

    result: PurgeResult


@dataclass
class ReplyQueued(Message):
    """A reply is safely stored as pending; the outbox worker will send it."""

    conversation: Conversation
    draft: Draft
    reply_id: str


@dataclass
class SendAndResolveSettled(Message):
    """Send-and-resolve is over: ``conversation`` is resolved, or ``refusal`` says why not."""

    key: str
    conversation: Conversation | None
    done: str
    refusal: str | None = None
    reply_failed: bool = False
    """The reply did not go out: show it, with the keys to edit, retry or cancel it."""


@dataclass
class ReplyRefused(Message):
    """The store did not take the reply (it is away, or the question left); nothing was stored."""

    key: str
    draft: Draft
    reason: str


@dataclass
class ReplyCollided(Message):
    """The conversation changed while the reply was written; nothing was stored."""

    key: str
    draft: Draft
    changes: list[str]


@dataclass
class RepliesSent(Message):
    results: list[SendResult]


@dataclass
class ShiftChanged(Message):
    """Who else has a desk open on the store changed."""

    shift: Shift


@dataclass
class ChannelsChanged(Message):
    """A live channel's connection changed (connected, reconnecting...): redraw the status bar."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ChannelsChanged)


@dataclass
class ColleagueLooked(Message):
    """Whether ``name`` has worked on this store: for handing ``key`` on, seen at ``version``."""

    key: str
    name: str
    version: int
    known: bool
