"""Helpers the store tests share (and the race test's worker processes import)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from askdesk.model import Kind, Message
from askdesk.store import Store

T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)

OpenStore = Callable[[], Store]
"""Opens another store on the same data, as another askdesk process would."""


def make_message(
    remote_id: str,
    minutes: float = 0,
    conversation: str | None = None,
    channel: str = "demo",
    received_at: datetime | None = None,
) -> Message:
    return Message(
        channel=channel,
        remote_id=remote_id,
        kind=Kind.DIRECT,
        author="@patron",
        text=f"When does the branch open? ({remote_id})",
        received_at=received_at or T0 + timedelta(minutes=minutes),
        conversation=conversation,
    )
