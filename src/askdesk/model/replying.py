"""Pure transitions of replies, applied by the store as compare-and-sets like the others.

Only ``record_sent`` adds the ``reply`` event that statistics count as the
first response: a reply that never left does not answer anyone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from askdesk.errors import AlreadyClaimed, Collision, RepeatedReply, TransitionError
from askdesk.model.conversation import Conversation
from askdesk.model.message import Event, Role, Status
from askdesk.model.reply import Reply, ReplyStatus
from askdesk.model.transitions import PATRON


def _event(
    c: Conversation, at: datetime, staff: str, action: str, **details: Any
) -> tuple[Event, ...]:
    return (*c.events, Event(at=at, staff=staff, action=action, details=details))


def _swap(c: Conversation, reply: Reply) -> tuple[Reply, ...]:
    return tuple(reply if r.id == reply.id else r for r in c.replies)


def _find(c: Conversation, reply_id: str, *allowed: ReplyStatus) -> Reply:
    reply = c.reply(reply_id)
    if reply is None:
        raise TransitionError(f"{c.key} has no reply {reply_id}")
    if allowed and reply.status not in allowed:
        raise TransitionError(f"reply {reply_id} on {c.key} is {reply.status}")
    return reply


def changes_since(c: Conversation, version: int, own: str | None = None) -> list[str]:
    """What happened after the composer (or a dialog) opened, in words: ``bo claimed it``.

    ``own``: the staff member deciding; their own replies going out (the
    outbox's record of what they sent) are what they expect, not a change.
    """
    described: list[str] = []
    for e in c.events[version:]:
        if own is not None and e.action == "reply" and e.staff == own:
            continue
        if e.action == "delivery":
            continue  # news of a reply already sent changes nothing staff decide on
        who = "the patron" if e.staff == PATRON else e.staff
        match e.action:
            case "follow-up" | "reopen" if e.staff == PATRON:
                described.append("the patron wrote again")
            case "reply":
                described.append(f"{who} sent a reply")
            case "reply-queued":
                described.append(f"{who} wrote a reply")
            case "hand-off":
                described.append(f"{who} handed it to {e.details.get('to')}")
            case "take-over":
                described.append(f"{who} took it over from {e.details.get('from')}")
            case "resolve":
                described.append(f"{who} resolved it")
            case "sent-elsewhere":
                described.append(f"{who} sent a message outside askdesk")
            case "opt-out":
                described.append("the patron opted out of texts (STOP)")
            case "opt-in":
                described.append("the patron opted back in to texts (START)")
            case "claim" | "release" | "note" | "flag" | "unflag" | "reopen":
                described.append(f"{who} {_PAST[e.action]}")
            case _:
                described.append(f"{who}: {e.action}")
    return described


_PAST = {
    "claim": "claimed it",
    "release": "released it",
    "note": "added a note",
    "flag": "flagged it",
    "unflag": "cleared its flag",
    "reopen": "reopened it",
}


def require_unchanged(
    c: Conversation, version: int, stopped: str | None = None, own: str | None = None
) -> None:
    """Refuse a change staff decided on an older copy: raise ``Collision`` saying what changed.

    The composer's check, and the resolve, hand-off and release dialogs' too;
    ``stopped`` and ``own`` as for ``Collision`` and ``changes_since``.
    """
    if c.version == version:
        return
    changes = changes_since(c, version, own)
    if changes:
        raise Collision(c.key, changes, stopped)


def repeat_of(c: Conversation, reply: Reply, within: timedelta) -> Reply | None:
    """An earlier reply to ``c`` with ``reply``'s words (spacing aside), written less than
    ``within`` before it; a cancelled one never went, so it does not count."""
    words = " ".join(reply.text.split())
    return next(
        (
            earlier
            for earlier in reversed(c.replies)
            if earlier.status is not ReplyStatus.CANCELLED
            and timedelta(0) <= reply.created_at - earlier.created_at <= within
            and " ".join(earlier.text.split()) == words
        ),
        None,
    )


def queue_reply(
    c: Conversation,
    reply: Reply,
    at: datetime,
    expected_version: int | None = None,
    refuse_repeat_within: timedelta | None = None,
) -> Conversation:
    """Store a reply as pending; an unclaimed conversation becomes the replier's.

    With ``refuse_repeat_within``, the same words to the same conversation
    within that time are refused (``RepeatedReply``), in the same write.
    """
    if expected_version is not None:
        require_unchanged(c, expected_version)
    if refuse_repeat_within is not None:
        earlier = repeat_of(c, reply, refuse_repeat_within)
        if earlier is not None:
            minutes = int((reply.created_at - earlier.created_at).total_seconds() // 60)
            raise RepeatedReply(c.key, earlier.staff, minutes, earlier.id, earlier.status.value)
    if c.status is Status.RESOLVED:
        raise TransitionError(f"{c.key} is resolved; reopen it before replying")
    if c.status is Status.CLAIMED and c.holder != reply.staff:
        raise AlreadyClaimed(c.key, c.holder or "somebody")
    events = c.events
    if c.status is Status.NEW:
        events = _event(c, at, reply.staff, "claim")
    events = (
        *events,
        Event(
            at=at,
            staff=reply.staff,
            action="reply-queued",
            details={"reply": reply.id, "templates": list(reply.templates)},
        ),
    )
    return replace(
        c, status=Status.CLAIMED, holder=reply.staff, events=events, replies=(*c.replies, reply)
    )


def take_for_sending(c: Conversation, reply_id: str, at: datetime, worker: str) -> Conversation:
    """Compare-and-set: only one outbox worker, in any process, sends a reply."""
    reply = _find(c, reply_id, ReplyStatus.PENDING)
    if not reply.due(at):
        raise TransitionError(f"reply {reply_id} is not due until {reply.next_attempt_at}")
    taken = replace(
        reply,
        status=ReplyStatus.SENDING,
        sending_since=at,
        sending_by=worker,
        attempts=reply.attempts + 1,
    )
    return replace(c, replies=_swap(c, taken))


def take_for_checking(
    c: Conversation, reply_id: str, at: datetime, worker: str, seen: Reply
) -> Conversation:
    """Compare-and-set: of several processes that find the same send cut short, one
    looks it up on the platform. ``seen`` is the reply as the caller found it."""
    reply = _find(c, reply_id, ReplyStatus.SENDING)
    if (reply.sending_since, reply.sending_by) != (seen.sending_since, seen.sending_by):
        raise TransitionError(f"reply {reply_id} on {c.key} is being checked by {reply.sending_by}")
    checking = replace(reply, sending_since=at, sending_by=worker)
    return replace(c, replies=_swap(c, checking))


def record_sent(c: Conversation, reply_id: str, at: datetime, remote_id: str) -> Conversation:
    """The reply reached the platform as ``remote_id``.

    A poll that ran before a cut-short send was settled may have taken the
    platform's copy of it (a Page's thread lists its own messages) for a
    message sent outside askdesk: that copy is this reply, so it leaves the
    messages, and the ``reply`` event names it (``echo``).
    """
    reply = _find(c, reply_id, ReplyStatus.SENDING, ReplyStatus.UNCERTAIN)
    echoes = {
        m.key for m in c.messages if m.role is Role.SENT_ELSEWHERE and m.remote_id == remote_id
    }
    echo = {"echo": sorted(echoes)[0]} if echoes else {}
    sent = replace(
        reply,
        status=ReplyStatus.SENT,
        remote_id=remote_id,
        sent_at=at,
        last_error=None,
        sending_since=None,
        sending_by=None,
    )
    return replace(
        c,
        messages=tuple(m for m in c.messages if m.key not in echoes),
        replies=_swap(c, sent),
        events=_event(
            c,
            at,
            reply.staff,
            "reply",
            reply=reply.id,
            remote_id=remote_id,
            templates=list(reply.templates),
            private=reply.private,
            **echo,
        ),
    )


def record_delivery(c: Conversation, reply_id: str, at: datetime, delivery: str) -> Conversation:
    """The platform's new word on where a sent reply has got to (delivered, undelivered…)."""
    reply = _find(c, reply_id, ReplyStatus.SENT)
    if reply.delivery == delivery:
        return c
    return replace(
        c,
        replies=_swap(c, replace(reply, delivery=delivery)),
        events=_event(c, at, reply.staff, "delivery", reply=reply.id, delivery=delivery),
    )


def record_failure(
    c: Conversation, reply_id: str, at: datetime, error: str, retry_at: datetime | None
) -> Conversation:
    """Back to pending with a time to retry, or failed when retrying cannot help."""
    reply = _find(c, reply_id, ReplyStatus.SENDING)
    failed = replace(
        reply,
        status=ReplyStatus.PENDING if retry_at is not None else ReplyStatus.FAILED,
        next_attempt_at=retry_at,
        last_error=error,
        sending_since=None,
        sending_by=None,
    )
    return replace(c, replies=_swap(c, failed))


def mark_uncertain(c: Conversation, reply_id: str, at: datetime, reason: str) -> Conversation:
    reply = _find(c, reply_id, ReplyStatus.SENDING)
    uncertain = replace(reply, status=ReplyStatus.UNCERTAIN, last_error=reason)
    return replace(c, replies=_swap(c, uncertain))


def requeue(c: Conversation, reply_id: str, staff: str, at: datetime) -> Conversation:
    """Staff say: send it (again). For failed, uncertain, or a stale send the platform denies."""
    reply = _find(c, reply_id, ReplyStatus.FAILED, ReplyStatus.UNCERTAIN, ReplyStatus.SENDING)
    again = replace(
        reply,
        status=ReplyStatus.PENDING,
        next_attempt_at=None,
        sending_since=None,
        sending_by=None,
        attempts=0,
    )
    return replace(
        c, replies=_swap(c, again), events=_event(c, at, staff, "reply-retry", reply=reply_id)
    )


def confirm_sent(c: Conversation, reply_id: str, staff: str, at: datetime) -> Conversation:
    """Staff checked the platform: the uncertain reply did go out."""
    _find(c, reply_id, ReplyStatus.UNCERTAIN)
    return record_sent(c, reply_id, at, remote_id="confirmed-by-staff")


def edit_reply(
    c: Conversation,
    reply_id: str,
    staff: str,
    at: datetime,
    text: str,
    private: bool | None = None,
) -> Conversation:
    """New words for a reply that has not gone out, and a new route when ``private`` is given."""
    reply = _find(c, reply_id, ReplyStatus.PENDING, ReplyStatus.FAILED)
    if not text.strip():
        raise TransitionError("a reply needs some text")
    edited = replace(
        reply,
        text=text,
        private=reply.private if private is None else private,
        status=ReplyStatus.PENDING,
        next_attempt_at=None,
        attempts=0,
    )
    return replace(
        c, replies=_swap(c, edited), events=_event(c, at, staff, "reply-edit", reply=reply_id)
    )


def cancel_reply(c: Conversation, reply_id: str, staff: str, at: datetime) -> Conversation:
    reply = _find(c, reply_id, ReplyStatus.PENDING, ReplyStatus.FAILED, ReplyStatus.UNCERTAIN)
    cancelled = replace(reply, status=ReplyStatus.CANCELLED)
    return replace(
        c, replies=_swap(c, cancelled), events=_event(c, at, staff, "reply-cancel", reply=reply_id)
    )
