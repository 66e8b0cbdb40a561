"""The outbox: every reply is stored before it is sent, and sent exactly once.

1. ``queue`` writes the reply as ``pending`` (claiming the conversation if
   nobody had it, refusing if a colleague does, stopping if the
   conversation changed since the composer opened).
2. ``send`` takes it with a compare-and-set (``sending``), so of several
   askdesk processes only one talks to the platform, then records ``sent``
   with the platform's id, or the error and when to retry.
3. ``recover`` finds sends cut short by a crash. Where the channel can look
   the reply up on the platform, the answer decides; otherwise the reply is
   marked ``uncertain`` and staff are asked. It is never re-sent blindly.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from askdesk.channels.base import Sender, SentLookup
from askdesk.desk.sync import worker_id
from askdesk.desk.triage import Desk
from askdesk.errors import AskdeskError, ChannelError, RateLimited, TransitionError
from askdesk.model import Conversation, Reply, ReplyStatus
from askdesk.model import replying as r

log = logging.getLogger(__name__)

BACKOFF_S: tuple[float, ...] = (15, 30, 60, 120, 300, 600, 1200)
"""Wait before retry n; after the last, the reply is ``failed`` and waits for staff."""
STALE_AFTER = timedelta(seconds=120)
"""A send still ``sending`` after this long was cut short (sends time out well before)."""


@dataclass(frozen=True)
class SendResult:
    key: str
    reply_id: str
    status: ReplyStatus
    detail: str

    def __str__(self) -> str:
        return f"{self.key}: reply {self.reply_id[:8]} {self.status}" + (
            f" ({self.detail})" if self.detail else ""
        )


class Outbox:
    def __init__(
        self,
        desk: Desk,
        senders: Mapping[str, Sender],
        *,
        backoff: Sequence[float] = BACKOFF_S,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.desk = desk
        self.senders = senders
        self.backoff = tuple(backoff)
        self.stale_after = stale_after
        self.worker = worker_id()

    # -- staff side ----------------------------------------------------------------

    def queue(
        self,
        key: str,
        text: str,
        *,
        templates: Sequence[str] = (),
        private: bool = False,
        expected_version: int | None = None,
    ) -> tuple[Conversation, Reply]:
        if not text.strip():
            raise TransitionError("a reply needs some text")
        now = self.desk.clock.now()
        reply = Reply(
            id=uuid.uuid4().hex,
            text=text,
            staff=self.desk.staff,
            created_at=now,
            private=private,
            templates=tuple(templates),
        )

        def queue(c: Conversation) -> Conversation:
            self._check_route(c, private)
            return r.queue_reply(c, reply, now, expected_version)

        conversation = self.desk.store.update(key, queue)
        return conversation, reply

    def _check_route(self, c: Conversation, private: bool) -> None:
        """Refuse a private reply on a channel without a private route before it is stored."""
        sender = self.senders.get(c.channel)
        if private and not (sender is not None and sender.can_send_private):
            raise TransitionError(f"{c.channel} has no private route; send it as a reply instead")

    def retry(self, key: str, reply_id: str) -> Conversation:
        now = self.desk.clock.now()
        return self.desk.store.update(key, lambda c: r.requeue(c, reply_id, self.desk.staff, now))

    def cancel(self, key: str, reply_id: str) -> Conversation:
        now = self.desk.clock.now()
        return self.desk.store.update(
            key, lambda c: r.cancel_reply(c, reply_id, self.desk.staff, now)
        )

    def confirm_sent(self, key: str, reply_id: str) -> Conversation:
        now = self.desk.clock.now()
        return self.desk.store.update(
            key, lambda c: r.confirm_sent(c, reply_id, self.desk.staff, now)
        )

    def edit(self, key: str, reply_id: str, text: str, private: bool | None = None) -> Conversation:
        """New words for a reply not yet gone out, and a new route when ``private`` is given."""
        now = self.desk.clock.now()

        def edit(c: Conversation) -> Conversation:
            if private:
                self._check_route(c, private)
            return r.edit_reply(c, reply_id, self.desk.staff, now, text, private)

        return self.desk.store.update(key, edit)

    # -- worker side ---------------------------------------------------------------

    def open_replies(self) -> list[tuple[Conversation, Reply]]:
        return [(c, reply) for c in self.desk.live() for reply in c.open_replies]

    def send(self, key: str, reply_id: str) -> SendResult:
        """Send one due reply; another process that got there first makes this a no-op."""
        now = self.desk.clock.now()
        try:
            conversation = self.desk.store.update(
                key, lambda c: r.take_for_sending(c, reply_id, now, self.worker)
            )
        except TransitionError as error:
            return SendResult(key, reply_id, ReplyStatus.PENDING, f"not taken: {error}")
        reply = conversation.reply(reply_id)
        assert reply is not None
        sender = self.senders.get(conversation.channel)
        if sender is None:
            return self._failed(key, reply, f"channel {conversation.channel} cannot send", None)
        if reply.private and not sender.can_send_private:
            return self._failed(
                key,
                reply,
                f"{conversation.channel} has no private route; edit and send publicly",
                None,
            )
        try:
            receipt = sender.send(conversation, reply, now)
        except RateLimited as error:
            return self._failed(key, reply, str(error), error.reset_at or self._retry_at(reply))
        except ChannelError as error:
            retry_at = None if error.permanent else self._retry_at(reply)
            return self._failed(key, reply, str(error), retry_at)
        except Exception as error:
            log.exception("sending reply %s on %s failed", reply_id, key)
            return self._failed(key, reply, f"unexpected error: {error!r}", self._retry_at(reply))
        sent_at = self.desk.clock.now()
        self.desk.store.update(
            key, lambda c: r.record_sent(c, reply_id, sent_at, receipt.remote_id)
        )
        return SendResult(key, reply_id, ReplyStatus.SENT, receipt.remote_id)

    def _retry_at(self, reply: Reply) -> datetime | None:
        # ``attempts`` already counts the attempt that just failed.
        if reply.attempts > len(self.backoff):
            return None
        return self.desk.clock.now() + timedelta(seconds=self.backoff[reply.attempts - 1])

    def _failed(self, key: str, reply: Reply, error: str, retry_at: datetime | None) -> SendResult:
        now = self.desk.clock.now()
        self.desk.store.update(key, lambda c: r.record_failure(c, reply.id, now, error, retry_at))
        status = ReplyStatus.PENDING if retry_at else ReplyStatus.FAILED
        when = f"; retry at {retry_at:%H:%M:%S}" if retry_at else "; waiting for staff"
        return SendResult(key, reply.id, status, error + when)

    def recover(self) -> list[SendResult]:
        """Settle sends that a crash cut short: look them up, or ask staff."""
        now = self.desk.clock.now()
        results = []
        for conversation, reply in self.open_replies():
            if reply.status is not ReplyStatus.SENDING or reply.sending_since is None:
                continue
            if now - reply.sending_since < self.stale_after:
                continue  # another process may still be on it
            results.append(self._settle(conversation, reply))
        return results

    def _settle(self, conversation: Conversation, reply: Reply) -> SendResult:
        key, now = conversation.key, self.desk.clock.now()
        sender = self.senders.get(conversation.channel)
        if isinstance(sender, SentLookup):
            try:
                receipt = sender.find_sent(conversation, reply)
            except AskdeskError as error:
                receipt, reason = None, f"could not check: {error}"
            else:
                reason = ""
            if receipt is not None:
                self.desk.store.update(
                    key, lambda c: r.record_sent(c, reply.id, now, receipt.remote_id)
                )
                return SendResult(key, reply.id, ReplyStatus.SENT, "found on the platform")
            if not reason:
                # The platform says it never arrived: sending it now is safe.
                self.desk.store.update(key, lambda c: r.requeue(c, reply.id, "askdesk", now))
                return SendResult(key, reply.id, ReplyStatus.PENDING, "not on the platform")
        else:
            reason = f"{conversation.channel} cannot tell whether it arrived"
        self.desk.store.update(
            key,
            lambda c: r.mark_uncertain(
                c, reply.id, now, f"the send was interrupted and {reason}; check and decide"
            ),
        )
        return SendResult(key, reply.id, ReplyStatus.UNCERTAIN, reason)

    def run_due(self) -> list[SendResult]:
        """What the app's worker and ``askdesk reply`` call: settle, then send what is due."""
        results = self.recover()
        now = self.desk.clock.now()
        for conversation, reply in self.open_replies():
            if reply.due(now):
                results.append(self.send(conversation.key, reply.id))
        return results
