"""The one protocol every store backend honours (TinyDB now, PostgreSQL later)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from askdesk.model import Conversation, Message

Change = Callable[[Conversation], Conversation]
"""A pure transition; the store applies it to the freshest copy, under its lock."""


@dataclass
class IngestResult:
    added: list[str] = field(default_factory=list)
    """Keys of conversations that the batch started."""
    joined: list[str] = field(default_factory=list)
    """Keys of existing conversations that got a follow-up."""
    duplicates: int = 0


class Store(Protocol):
    location: str
    """Where the data lives, for messages to people (a path, a database name)."""

    def ingest(
        self,
        messages: Sequence[Message],
        at: datetime,
        cursor: tuple[str, str | None] | None = None,
    ) -> IngestResult:
        """Add what is new, join follow-ups, skip what is known; save the cursor with it."""
        ...

    def update(self, key: str, change: Change) -> Conversation:
        """Apply ``change`` to the conversation holding ``key`` as one compare-and-set."""
        ...

    def get(self, key: str) -> Conversation | None:
        """The conversation with this conversation key or message key."""
        ...

    def live(self) -> list[Conversation]:
        """New, claimed and recently resolved conversations: what the desk shows."""
        ...

    def history(self) -> Iterator[Conversation]:
        """Every conversation, archives included, for statistics and exports."""
        ...

    def cursor(self, channel: str) -> str | None: ...

    def version(self) -> Hashable:
        """A token that changes whenever any process writes; cheap to call often."""
        ...

    def archive_resolved(self, before: datetime) -> int:
        """Move conversations resolved before ``before`` out of the hot set."""
        ...

    def close(self) -> None: ...
