"""The state machine of DESIGN.md as pure functions.

Each function takes a conversation and returns the changed one with its
event appended, or raises ``TransitionError`` with a sentence staff can read.
The store applies them under its lock, which makes every one of them a
compare-and-set.

        claim            resolve
  new ────────▶ claimed ────────▶ resolved
   ▲  ◀──────── release/hand-off    │
   └──────────── reopen ────────────┘

A claimed conversation also moves from holder to holder: the holder hands it
off, or a colleague takes it over (``take-over``, naming whom it was taken from).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from askdesk.errors import AlreadyClaimed, TransitionError
from askdesk.model.conversation import Conversation
from askdesk.model.message import (
    MAX_MINUTES_SPENT,
    Event,
    Message,
    Outcome,
    QuestionType,
    Resolution,
    Role,
    Status,
)

PATRON = "patron"
"""The ``staff`` of events that patrons cause (a follow-up that reopens)."""


def new_transaction_id() -> str:
    """A random id for a transaction: stable once recorded, and says nothing about anyone."""
    return secrets.token_hex(8)


def _with_event(
    conversation: Conversation, at: datetime, staff: str, action: str, **details: Any
) -> tuple[Event, ...]:
    return (*conversation.events, Event(at=at, staff=staff, action=action, details=details))


def _require_holder(conversation: Conversation, staff: str) -> None:
    if conversation.status is not Status.CLAIMED:
        raise TransitionError(f"{conversation.key} is {conversation.status}, not claimed")
    if conversation.holder != staff:
        raise AlreadyClaimed(conversation.key, conversation.holder or "nobody")


def claim(conversation: Conversation, staff: str, at: datetime) -> Conversation:
    if conversation.status is Status.CLAIMED:
        if conversation.holder == staff:
            raise TransitionError(f"{conversation.key} is already yours")
        raise AlreadyClaimed(conversation.key, conversation.holder or "somebody")
    if conversation.status is not Status.NEW:
        raise TransitionError(f"{conversation.key} is resolved; reopen it first")
    return replace(
        conversation,
        status=Status.CLAIMED,
        holder=staff,
        events=_with_event(conversation, at, staff, "claim"),
    )


def take_over(conversation: Conversation, staff: str, at: datetime) -> Conversation:
    """Take a colleague's conversation (they are away); its own event says from whom."""
    if conversation.status is not Status.CLAIMED:
        raise TransitionError(
            f"{conversation.key} is {conversation.status}, not a colleague's; claim it instead"
        )
    if conversation.holder == staff:
        raise TransitionError(f"{conversation.key} is already yours")
    return replace(
        conversation,
        holder=staff,
        events=_with_event(conversation, at, staff, "take-over", **{"from": conversation.holder}),
    )


def release(conversation: Conversation, staff: str, at: datetime) -> Conversation:
    _require_holder(conversation, staff)
    return replace(
        conversation,
        status=Status.NEW,
        holder=None,
        events=_with_event(conversation, at, staff, "release"),
    )


def hand_off(conversation: Conversation, staff: str, to: str, at: datetime) -> Conversation:
    """Give a conversation to a colleague; a new one may be assigned directly."""
    to = to.strip()
    if not to:
        raise TransitionError("hand-off needs the name of a colleague")
    if to == staff:
        raise TransitionError("hand-off needs a colleague's name, not yours")
    if conversation.status is Status.RESOLVED:
        raise TransitionError(f"{conversation.key} is resolved; reopen it first")
    if conversation.status is Status.CLAIMED:
        _require_holder(conversation, staff)
    return replace(
        conversation,
        status=Status.CLAIMED,
        holder=to,
        events=_with_event(conversation, at, staff, "hand-off", to=to),
    )


def resolve(
    conversation: Conversation,
    staff: str,
    at: datetime,
    outcome: Outcome,
    question_type: QuestionType,
    read_level: int,
    *,
    time_spent_min: int | None = None,
    fields: Mapping[str, str] | None = None,
    transaction_id: str | None = None,
) -> Conversation:
    """Close a conversation; an unclaimed one is claimed and closed in one step.

    ``time_spent_min`` and ``fields`` (the library's own ``[[stats.fields]]``,
    checked by the desk against the config) are recorded with the resolution.
    ``transaction_id`` (from ``new_transaction_id``) is recorded with the
    resolve: the statistics take the first resolve's as the transaction's
    anonymous id. The desk always gives one; without it the event is as before.
    """
    if conversation.status is Status.RESOLVED:
        raise TransitionError(f"{conversation.key} is already resolved")
    if conversation.status is Status.CLAIMED:
        _require_holder(conversation, staff)
    if time_spent_min is not None and not 0 <= time_spent_min <= MAX_MINUTES_SPENT:
        raise TransitionError(
            f"{conversation.key} was not resolved: time spent must be "
            f"0-{MAX_MINUTES_SPENT} minutes, not {time_spent_min}"
        )
    resolution = Resolution(
        at=at,
        staff=staff,
        outcome=outcome,
        question_type=question_type,
        read_level=read_level,
        time_spent_min=time_spent_min,
        fields=dict(fields or {}),
    )
    recorded: dict[str, Any] = {}
    if time_spent_min is not None:
        recorded["minutes"] = time_spent_min
    if resolution.fields:
        recorded["fields"] = dict(resolution.fields)
    if transaction_id:
        recorded["transaction"] = transaction_id
    return replace(
        conversation,
        status=Status.RESOLVED,
        holder=staff,
        resolutions=(*conversation.resolutions, resolution),
        events=_with_event(
            conversation,
            at,
            staff,
            "resolve",
            outcome=outcome.value,
            type=question_type.value,
            read=read_level,
            **recorded,
        ),
    )


def reopen(conversation: Conversation, staff: str, at: datetime) -> Conversation:
    if conversation.status is not Status.RESOLVED:
        raise TransitionError(f"{conversation.key} is {conversation.status}, not resolved")
    return replace(
        conversation,
        status=Status.NEW,
        holder=None,
        events=_with_event(conversation, at, staff, "reopen"),
    )


def flag(conversation: Conversation, staff: str, at: datetime, reason: str) -> Conversation:
    reason = " ".join(reason.split())
    if not reason:
        raise TransitionError("a flag needs a reason, e.g. 'hostile' or 'check policy'")
    return replace(
        conversation,
        flag=reason,
        events=_with_event(conversation, at, staff, "flag", reason=reason),
    )


def unflag(conversation: Conversation, staff: str, at: datetime) -> Conversation:
    if conversation.flag is None:
        raise TransitionError(f"{conversation.key} is not flagged")
    return replace(conversation, flag=None, events=_with_event(conversation, at, staff, "unflag"))


def note(conversation: Conversation, staff: str, at: datetime, text: str) -> Conversation:
    text = text.strip()
    if not text:
        raise TransitionError("a note needs some text")
    return replace(conversation, events=_with_event(conversation, at, staff, "note", text=text))


def start(message: Message, at: datetime) -> Conversation:
    """The conversation a patron's first message opens.

    A record that is not a question (an opt-out with no conversation yet)
    still starts one, so it is kept where staff look; its event says what it is.
    """
    action = "arrive" if message.role is Role.QUESTION else message.role.value
    return Conversation(
        key=message.conversation_key,
        channel=message.channel,
        kind=message.kind,
        messages=(message,),
        events=(Event(at=at, staff=PATRON, action=action, details={"message": message.key}),),
    )


def add_message(conversation: Conversation, message: Message, at: datetime) -> Conversation:
    """A follow-up joins its conversation: it stays with the holder, or reopens it."""
    if message.key in conversation.message_keys():
        return conversation
    messages = tuple(sorted((*conversation.messages, message), key=lambda m: m.received_at))
    if message.role is not Role.QUESTION:
        # Kept beside the questions, asking nothing: no reopen, no follow-up.
        staff = PATRON if message.from_patron else message.author
        return replace(
            conversation,
            messages=messages,
            events=_with_event(conversation, at, staff, message.role.value, message=message.key),
        )
    if conversation.status is Status.RESOLVED:
        return replace(
            conversation,
            messages=messages,
            status=Status.NEW,
            holder=None,
            events=_with_event(conversation, at, PATRON, "reopen", message=message.key),
        )
    return replace(
        conversation,
        messages=messages,
        events=_with_event(conversation, at, PATRON, "follow-up", message=message.key),
    )


def record_notice(
    conversation: Conversation, at: datetime, what: str, remote_id: str
) -> Conversation:
    """An automatic answer (``what``: ``auto-reply``, ``bounce``) noted in the history only.

    It changes no status: an out-of-office is not the patron writing again.
    The same one recorded twice (a fetch repeated after a crash) is noted once.
    """
    if any(e.action == "notice" and e.details.get("id") == remote_id for e in conversation.events):
        return conversation
    return replace(
        conversation,
        events=_with_event(conversation, at, PATRON, "notice", what=what, id=remote_id),
    )


def patron_left(conversation: Conversation, at: datetime) -> Conversation:
    """The patron closed the chat. Staff can still answer: it waits for them on the server."""
    return replace(conversation, events=_with_event(conversation, at, PATRON, "patron-left"))
