"""The outbox: every reply is stored before it is sent, and sent exactly once.

1. ``queue`` writes the reply as ``pending`` (claiming the conversation if
   nobody had it, refusing if a colleague does, stopping if the
   conversation changed since the composer opened).
2. ``send`` takes it with a compare-and-set (``sending``), so of several
   askdesk processes only one talks to the platform, then records ``sent``
   with the platform's id, or the error and when to retry.
3. ``recover`` finds sends cut short by a crash. Where the channel can look
   the reply up on the platform, the answer decides; otherwise the reply is
   marked ``uncertain`` and staff are asked. It is never re-sent blindly: of
   several processes that find the same send, one looks it up (a
   compare-and-set) and the others move on.
4. ``retry`` is what staff ask for (the desk's ``y``, ``askdesk outbox
   --retry``): whatever may have reached the platform is looked up first.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from askdesk.channels.base import CannotTellIfSent, LiveChannel, Sender, SentLookup
from askdesk.desk.sync import worker_id
from askdesk.desk.triage import Desk
from askdesk.errors import AskdeskError, ChannelError, NotFound, RateLimited, TransitionError
from askdesk.model import Conversation, Reply, ReplyStatus
from askdesk.model import replying as r

log = logging.getLogger(__name__)

BACKOFF_S: tuple[float, ...] = (15, 30, 60, 120, 300, 600, 1200)
"""Wait before retry n; after the last, the reply is ``failed`` and waits for staff."""
HELD_ELSEWHERE = "waits for the askdesk that holds the chat connection"
REPEAT_WINDOW = timedelta(minutes=10)
"""``askdesk reply`` refuses the same words to the same conversation within this, unless --again."""
STALE_AFTER = timedelta(seconds=120)
"""A send still ``sending`` after this long was cut short (sends time out well before)."""
FOUND = "found on the platform"
"""A send that may have been cut short turned out to have reached the patron."""
SENT_ELSEWHERE = "sent by the desk"
"""A reply another askdesk process (a desk's outbox worker) sent before this one could."""


@dataclass(frozen=True)
class SendResult:
    key: str
    reply_id: str
    status: ReplyStatus
    """``sending``: another process is sending it right now."""
    detail: str
    conversation: Conversation | None = field(default=None, compare=False, repr=False)
    """The conversation as this step left it, for the screen to show."""
    taken: bool = True
    """False when another process had the reply (sent it, or is sending it)."""

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
        refuse_repeat_within: timedelta | None = None,
    ) -> tuple[Conversation, Reply]:
        """Store the reply as pending (see the module's step 1).

        ``refuse_repeat_within``: refuse the same words to the same
        conversation within that time (``askdesk reply`` passes ``REPEAT_WINDOW``).
        """
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
            mine = self.desk.as_listed(c)  # held by "Bo" before the team list listed "bo"
            return r.queue_reply(mine, reply, now, expected_version, refuse_repeat_within)

        conversation = self.desk.store.update(key, queue)
        self.desk.remember_me()
        return conversation, reply

    def _check_route(self, c: Conversation, private: bool) -> None:
        """Refuse a private reply on a channel without a private route before it is stored."""
        sender = self.senders.get(c.channel)
        if private and not (sender is not None and sender.can_send_private):
            raise TransitionError(f"{c.channel} has no private route; send it as a reply instead")

    def retry(self, key: str, reply_id: str) -> SendResult:
        """Staff say: send it again. What may have reached the platform is looked up first.

        The one path behind the desk's ``y`` and ``askdesk outbox --retry``. A
        send cut short (``sending`` for longer than ``stale_after``) is settled
        as ``recover`` would: found on the platform, it is recorded as sent;
        not there, it is queued again; where the channel cannot tell, it
        becomes ``uncertain`` for staff to check. An uncertain reply is looked
        up where the channel can before it is queued again.
        """
        conversation = self.desk.get(key)
        reply = conversation.reply(reply_id) if conversation is not None else None
        if conversation is None or reply is None:
            raise NotFound(f"no reply {reply_id} on {key}")
        now = self.desk.clock.now()
        if reply.status is ReplyStatus.SENDING:
            if reply.sending_since is not None and now - reply.sending_since < self.stale_after:
                raise TransitionError(
                    f"reply {reply_id[:8]} is being sent right now by {reply.sending_by}; "
                    "wait for it to finish"
                )
            settled = self._settle(conversation, reply, self.desk.staff)
            if settled is None:
                raise TransitionError(
                    f"reply {reply_id[:8]} is being checked by another askdesk right now"
                )
            return settled
        channel = self.senders.get(conversation.channel)
        if reply.status is ReplyStatus.UNCERTAIN and isinstance(channel, SentLookup):
            try:
                receipt = channel.find_sent(conversation, reply)
            except CannotTellIfSent:
                receipt = None  # staff were told it cannot tell, and chose to send it again
            except AskdeskError as error:
                raise TransitionError(
                    f"could not check whether reply {reply_id[:8]} reached the patron ({error}); "
                    "try again, or record it as sent if you saw it there"
                ) from error
            if receipt is not None:
                found = self.desk.store.update(
                    key, lambda c: r.record_sent(c, reply_id, now, receipt.remote_id)
                )
                return SendResult(
                    key,
                    reply_id,
                    ReplyStatus.SENT,
                    FOUND,
                    found,
                )
        queued = self.desk.store.update(key, lambda c: r.requeue(c, reply_id, self.desk.staff, now))
        return SendResult(key, reply_id, ReplyStatus.PENDING, "will be sent again", queued)

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
        return [(c, reply) for c in self.desk.store.with_open_replies() for reply in c.open_replies]

    def send(self, key: str, reply_id: str) -> SendResult:
        """Send one due reply; another process that got there first makes this a no-op."""
        now = self.desk.clock.now()
        conversation = self.desk.store.get(key)
        if conversation is not None and not self.can_send_here(conversation.channel):
            return SendResult(
                key, reply_id, ReplyStatus.PENDING, HELD_ELSEWHERE, conversation, taken=False
            )
        try:
            conversation = self.desk.store.update(
                key, lambda c: r.take_for_sending(c, reply_id, now, self.worker)
            )
        except TransitionError as error:
            return self._not_taken(key, reply_id, error)
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

    def _not_taken(self, key: str, reply_id: str, error: TransitionError) -> SendResult:
        """Why this process did not send: often because another one did, or is doing it."""
        conversation = self.desk.get(key)
        reply = conversation.reply(reply_id) if conversation is not None else None
        status = reply.status if reply is not None else ReplyStatus.PENDING
        if status is ReplyStatus.SENT:
            detail = SENT_ELSEWHERE
        elif reply is not None and status is ReplyStatus.SENDING:
            detail = f"being sent by {reply.sending_by}"
        else:
            detail = f"not taken: {error}"
        return SendResult(key, reply_id, status, detail, conversation, taken=False)

    def outcome(self, key: str, reply_id: str, wait_s: float, every_s: float = 0.2) -> SendResult:
        """What became of a reply another process is sending, waiting up to ``wait_s``."""
        deadline = time.monotonic() + wait_s
        while True:
            conversation = self.desk.get(key)
            reply = conversation.reply(reply_id) if conversation is not None else None
            if reply is None:
                raise NotFound(f"no reply {reply_id} on {key}")
            if reply.status is ReplyStatus.SENT:
                return SendResult(key, reply_id, ReplyStatus.SENT, SENT_ELSEWHERE, conversation)
            if reply.status is not ReplyStatus.SENDING or time.monotonic() >= deadline:
                detail = reply.last_error or (
                    f"being sent by {reply.sending_by}" if reply.sending_by else ""
                )
                return SendResult(key, reply_id, reply.status, detail, conversation)
            time.sleep(every_s)

    def _retry_at(self, reply: Reply) -> datetime | None:
        # ``attempts`` already counts the attempt that just failed.
        if reply.attempts > len(self.backoff):
            return None
        return self.desk.clock.now() + timedelta(seconds=self.backoff[reply.attempts - 1])

    def _failed(self, key: str, reply: Reply, error: str, retry_at: datetime | None) -> SendResult:
        now = self.desk.clock.now()
        self.desk.store.update(key, lambda c: r.record_failure(c, reply.id, now, error, retry_at))
        # Ids and the channel's sentence only: the reply's words stay out of the log.
        log.warning("reply %s on %s not sent: %s", reply.id, key, error)
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
            settled = self._settle(conversation, reply, "askdesk")
            if settled is not None:
                results.append(settled)
        return results

    def _settle(self, conversation: Conversation, reply: Reply, staff: str) -> SendResult | None:
        """Look up a send cut short; None when another process took it first."""
        key, now = conversation.key, self.desk.clock.now()
        try:
            # Marked as ours (and fresh) first: the others now pass it by.
            self.desk.store.update(
                key, lambda c: r.take_for_checking(c, reply.id, now, self.worker, reply)
            )
        except TransitionError:
            return None
        sender = self.senders.get(conversation.channel)
        if isinstance(sender, SentLookup):
            try:
                receipt = sender.find_sent(conversation, reply)
            except AskdeskError as error:
                receipt, reason = None, f"could not check: {error}"
            else:
                reason = ""
            if receipt is not None:
                found = self.desk.store.update(
                    key, lambda c: r.record_sent(c, reply.id, now, receipt.remote_id)
                )
                return SendResult(key, reply.id, ReplyStatus.SENT, FOUND, found)
            if not reason:
                # The platform says it never arrived: sending it now is safe.
                queued = self.desk.store.update(key, lambda c: r.requeue(c, reply.id, staff, now))
                return SendResult(key, reply.id, ReplyStatus.PENDING, "not on the platform", queued)
        else:
            reason = f"{conversation.channel} cannot tell whether it arrived"
        uncertain = self.desk.store.update(
            key,
            lambda c: r.mark_uncertain(
                c, reply.id, now, f"the send was interrupted and {reason}; check and decide"
            ),
        )
        return SendResult(key, reply.id, ReplyStatus.UNCERTAIN, reason, uncertain)

    def run_due(self) -> list[SendResult]:
        """What the app's worker and ``askdesk reply`` call: settle, then send what is due."""
        results = self.recover()
        now = self.desk.clock.now()
        for conversation, reply in self.open_replies():
            if reply.due(now) and self.can_send_here(conversation.channel):
                result = self.send(conversation.key, reply.id)
                if result.taken:  # what another process did is its own to report
                    results.append(result)
        return results

    def can_send_here(self, channel_name: str) -> bool:
        """Whether this process may send on the channel now.

        A live channel's replies go out only where its connection is held;
        elsewhere they stay pending (no attempt counted) until it is.
        """
        sender = self.senders.get(channel_name)
        return not isinstance(sender, LiveChannel) or sender.connected
