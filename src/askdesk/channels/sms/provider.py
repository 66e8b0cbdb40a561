"""What an SMS provider does for the sms channel: Twilio first, another by the same three calls.

The channel keeps the rules (opt-outs, sessions, segments, the cursor); a
provider only lists the texts that reached the library's number, sends one,
finds one it sent (a send cut short may have gone out), and says where one
it sent has got to.
"""

from __future__ import annotations

from collections.abc import Set
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

    def find_sent(
        self, to: str, sender: str, text: str, since: datetime, taken: Set[str], now: datetime
    ) -> str | None:
        """The id of a text with these words from ``sender`` to ``to``, made at or after
        ``since`` and not one of ``taken`` (ids already recorded for other replies); None
        when the provider has none such."""
        ...

    def delivery(self, remote_id: str, now: datetime) -> str | None:
        """Where a sent text is now (queued, sent, delivered, undelivered, failed)."""
        ...
