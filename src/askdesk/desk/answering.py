"""Send and resolve: a conversation is resolved as answered only once its reply has gone out.

The reply is in the outbox already; this waits (a few seconds at most) for
the outbox's word on it, sending it itself if nobody has taken it yet. A
reply that failed, waits for a retry, or is not out in time leaves the
conversation claimed, and the caller says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from askdesk.desk.outbox import Outbox
from askdesk.desk.triage import Step, unchanged_since
from askdesk.errors import NotFound, TransitionError
from askdesk.model import Conversation, Reply, ReplyStatus

SEND_WAIT_S = 8.0
"""How long send-and-resolve waits for the reply to go out before giving up on resolving."""


class ReplyNotSent(TransitionError):
    """The reply did not go out (yet), so the conversation was not resolved."""

    def __init__(self, key: str, reply: Reply, why: str) -> None:
        super().__init__(f"{key} was not resolved: the reply {why}; it stays yours")
        self.key = key
        self.reply = reply


def send_then_resolve(
    outbox: Outbox,
    key: str,
    reply_id: str,
    resolve: Step,
    version: int,
    *,
    wait_s: float = SEND_WAIT_S,
    poll_s: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
) -> Conversation:
    """Resolve ``key`` with ``resolve`` once reply ``reply_id`` is sent; else ``ReplyNotSent``.

    ``version`` is the conversation's version when the reply was queued: a
    follow-up or a colleague's action since then stops the resolve, as the
    resolve dialog's check does; the reply going out does not.
    """
    desk = outbox.desk
    deadline = time.monotonic() + wait_s
    conversation = desk.get(key)
    # A live channel (chat) held by another askdesk: that one sends it, so wait for it.
    elsewhere = conversation is not None and not outbox.can_send_here(conversation.channel)
    while True:
        reply = _reply(outbox, key, reply_id)
        if reply.status is ReplyStatus.PENDING and reply.due(desk.clock.now()):
            outbox.send(key, reply_id)  # a no-op if another worker took it meanwhile
            reply = _reply(outbox, key, reply_id)
        if reply.status is ReplyStatus.SENT:
            break
        on_its_way = reply.status is ReplyStatus.SENDING or (
            elsewhere and reply.status is ReplyStatus.PENDING and reply.attempts == 0
        )
        if not on_its_way:
            raise ReplyNotSent(key, reply, _why(reply))
        if time.monotonic() >= deadline:
            raise ReplyNotSent(key, reply, f"was not out after {wait_s:g} s; it is still sending")
        sleep(poll_s)
    return desk.apply(key, unchanged_since(version, resolve, "resolved"))


def _reply(outbox: Outbox, key: str, reply_id: str) -> Reply:
    conversation = outbox.desk.get(key)
    reply = conversation.reply(reply_id) if conversation is not None else None
    if reply is None:
        raise NotFound(f"{key} has no reply {reply_id[:8]}")
    return reply


def _why(reply: Reply) -> str:
    error = f" ({reply.last_error})" if reply.last_error else ""
    match reply.status:
        case ReplyStatus.PENDING:
            when = f" at {reply.next_attempt_at:%H:%M:%S}" if reply.next_attempt_at else ""
            return f"did not go out{error} and will be tried again{when}"
        case ReplyStatus.FAILED:
            return f"failed{error}"
        case ReplyStatus.UNCERTAIN:
            return f"may not have gone out{error}"
        case _:
            return f"is {reply.status}"
