"""What an SMS provider does for the sms channel: Twilio first, another by the same three calls.

The channel keeps the rules (opt-outs, sessions, segments, the cursor); a
provider only lists the texts that reached the library's number, sends one,
and says where one it sent has got to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from askdesk.channels.base import Problem
from askdesk.model import Message


@dataclass(frozen=True)
class Sent:
    """The provider's id of a text it took, and its delivery status then."""

    remote_id: str
    status: str


class SmsProvider(Protocol):
    def received(
        self, number: str, since: datetime, now: datetime, channel: str, problems: list[Problem]
    ) -> list[Message]:
        """Texts to ``number`` sent at or after ``since``, as the channel's messages."""
        ...

    def send(self, to: str, sender: str, text: str, now: datetime) -> Sent:
        """Send ``text`` from ``sender`` to ``to``; our error when the provider refuses."""
        ...

    def delivery(self, remote_id: str, now: datetime) -> str | None:
        """Where a sent text is now (queued, sent, delivered, undelivered, failed)."""
        ...
