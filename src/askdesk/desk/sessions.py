"""One chat conversation per patron at a time, cut by the session gap.

A live channel names the patron in ``Message.conversation`` and knows
nothing of the store. Here the desk decides what that message joins: the
patron's current conversation while it is open, or resolved less than the
session gap before the message; otherwise a new conversation, keyed
``<patron>#<its first message's id>`` so that it never collides with an
earlier one, archived or not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from askdesk.model import Conversation, Message, Role

MARK = "#"
"""Between the patron and the session in a chat conversation's id; not part of any JID's domain."""


def patron_of(message: Message) -> str | None:
    """The patron a chat message came from, once the desk has placed it in a session."""
    if message.conversation is None or MARK not in message.conversation:
        return None
    return message.conversation.rpartition(MARK)[0]


@dataclass
class _Session:
    conversation: str
    """The session's ``Message.conversation`` value."""
    resolved_at: datetime | None
    """When it was resolved, if it is resolved now."""


def current_sessions(channel: str, live: Iterable[Conversation]) -> dict[str, Conversation]:
    """Each patron's latest conversation on ``channel`` among ``live``."""
    latest: dict[str, Conversation] = {}
    for conversation in live:
        if conversation.channel != channel:
            continue
        patron = patron_of(conversation.first)
        if patron is None:
            continue
        known = latest.get(patron)
        if known is None or conversation.first.received_at > known.first.received_at:
            latest[patron] = conversation
    return latest


def place(
    messages: Sequence[Message],
    live: Iterable[Conversation],
    gap: timedelta,
    *,
    former_names: Callable[[Message], tuple[str, ...]] | None = None,
) -> list[Message]:
    """``messages`` (``conversation``: the patron) with the conversation each one joins.

    ``live`` holds every conversation that can still be joined: one resolved
    long enough ago to be archived is past any sensible gap. ``former_names``
    gives the names a message's patron went by before (an SMS number's unkeyed
    pseudonym): a conversation begun under one is theirs too, and keeps its key.
    A record (an opt-out) from a patron with no conversation here is left out:
    it opens none, so it never lands in New.
    """
    if not messages:
        return []
    sessions = {
        patron: _Session(
            conversation.first.conversation or "",
            conversation.resolution.at if conversation.resolution else None,
        )
        for patron, conversation in current_sessions(messages[0].channel, live).items()
    }
    placed = []
    for message in sorted(messages, key=lambda m: m.received_at):
        patron = message.conversation or message.author
        session = sessions.get(patron)
        for former in former_names(message) if former_names and session is None else ():
            session = sessions.get(former)
            if session is not None:
                sessions[patron] = session
                break
        # A record (an opt-out) joins the patron's latest conversation however old:
        # it reopens nothing, and is where staff will look before they reply.
        question = message.role is Role.QUESTION
        if session is None and not question:
            # Nothing on the desk to keep it on (a STOP from a number that never asked):
            # the channel keeps the opt-out itself, and there is nothing to answer.
            continue
        if session is None or (
            question
            and session.resolved_at is not None
            and message.received_at - session.resolved_at > gap
        ):
            session = _Session(f"{patron}{MARK}{message.remote_id}", None)
            sessions[patron] = session
        if question:
            session.resolved_at = None  # joining a resolved conversation reopens it
        placed.append(replace(message, conversation=session.conversation))
    return placed
