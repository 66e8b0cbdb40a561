"""A reply on its way to a patron, and the states the outbox moves it through.

A reply is stored as ``pending`` before any network call. The outbox takes
it (``sending``), then records ``sent`` with the platform's id, or puts it
back to ``pending`` with the error and a time to retry. A send that was
interrupted after it may have reached the platform becomes ``uncertain``
unless the channel can look it up: it is never sent again blindly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ReplyStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Gave up retrying by itself; staff may edit, retry or cancel."""
    UNCERTAIN = "uncertain"
    """May or may not have reached the patron; staff must check and decide."""
    CANCELLED = "cancelled"


SETTLED_DELIVERY = frozenset({"delivered", "undelivered", "failed"})
"""Delivery statuses that do not change any more."""

OPEN_REPLY_STATUSES = frozenset(
    {ReplyStatus.PENDING, ReplyStatus.SENDING, ReplyStatus.FAILED, ReplyStatus.UNCERTAIN}
)


@dataclass(frozen=True, slots=True)
class Reply:
    id: str
    text: str
    staff: str
    created_at: datetime
    status: ReplyStatus = ReplyStatus.PENDING
    private: bool = False
    """Sent by the channel's private route (a DM) rather than as a public reply."""
    templates: tuple[str, ...] = ()
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sending_since: datetime | None = None
    sending_by: str | None = None
    remote_id: str | None = None
    sent_at: datetime | None = None
    delivery: str | None = None
    """The platform's latest word on a sent reply's way to the patron (an SMS's queued,
    sent, delivered, undelivered or failed); ``None`` where the platform says nothing."""

    @property
    def delivery_settled(self) -> bool:
        """Whether the platform will say no more about it."""
        return self.delivery in SETTLED_DELIVERY

    @property
    def open(self) -> bool:
        return self.status in OPEN_REPLY_STATUSES

    def due(self, now: datetime) -> bool:
        return self.status is ReplyStatus.PENDING and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )
