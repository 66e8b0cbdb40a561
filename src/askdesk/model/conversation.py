"""A conversation: the unit staff claim, answer and resolve.

A patron's follow-up joins the conversation it belongs to, so one question
asked over three messages is one row on the desk and one transaction in the
statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from askdesk.model.message import Event, Kind, Message, Resolution, Role, Status
from askdesk.model.reply import Reply


@dataclass(frozen=True, slots=True)
class Conversation:
    key: str
    channel: str
    kind: Kind
    messages: tuple[Message, ...]
    status: Status = Status.NEW
    holder: str | None = None
    flag: str | None = None
    """Why this needs review (hostile, doubtful, off-limits); ``None`` when not flagged."""
    resolutions: tuple[Resolution, ...] = ()
    """Every time it was resolved; a reopened conversation keeps its earlier ones."""
    events: tuple[Event, ...] = ()
    replies: tuple[Reply, ...] = ()

    @property
    def version(self) -> int:
        """Grows with every change (each one appends an event): what the composer compares."""
        return len(self.events)

    def reply(self, reply_id: str) -> Reply | None:
        return next((r for r in self.replies if r.id == reply_id), None)

    @property
    def open_replies(self) -> tuple[Reply, ...]:
        return tuple(r for r in self.replies if r.open)

    @property
    def first(self) -> Message:
        return self.messages[0]

    @property
    def latest(self) -> Message:
        """The patron's latest question: what a reply answers and a list previews.

        Not the library's own message sent elsewhere, nor an opt-out: those are
        records beside the questions (``opted_out_at`` reads the opt-outs).
        """
        for message in reversed(self.messages):
            if message.role is Role.QUESTION:
                return message
        return self.messages[-1]

    @property
    def opted_out_at(self) -> datetime | None:
        """When the patron asked for no more messages (SMS ``STOP``), unless they asked again."""
        for message in reversed(self.messages):
            if message.role is Role.OPT_OUT:
                return message.received_at
            if message.role is Role.OPT_IN:
                return None
        return None

    @property
    def author(self) -> str:
        return self.latest.author

    @property
    def flagged(self) -> bool:
        return self.flag is not None

    @property
    def resolution(self) -> Resolution | None:
        """The resolution in force, if the conversation is resolved now."""
        if self.status is Status.RESOLVED and self.resolutions:
            return self.resolutions[-1]
        return None

    @property
    def waiting_since(self) -> datetime:
        """When the patron's oldest message still waiting for us arrived.

        That is the first message after the last resolve or staff reply, so a
        reopened conversation's age counts from the follow-up.
        """
        last_closed = max(
            (e.at for e in self.events if e.action in ("resolve", "reply")), default=None
        )
        for message in self.messages:
            if last_closed is None or message.received_at > last_closed:
                return message.received_at
        return self.latest.received_at

    @property
    def patron_left_at(self) -> datetime | None:
        """When the patron closed the chat, if they have not written since."""
        for event in reversed(self.events):
            if event.action == "patron-left":
                return event.at
            if event.action in ("arrive", "follow-up") or "message" in event.details:
                return None
        return None

    @property
    def notes(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.action == "note")

    def message_keys(self) -> tuple[str, ...]:
        return tuple(m.key for m in self.messages)
