"""Move a desk between stores (``askdesk store copy``): TinyDB to PostgreSQL and back.

Everything a desk keeps is copied into an empty store — conversations with
their messages, events, resolutions and replies (the outbox), each channel's
cursor and health, askdesk's own bookmarks, staff's drafts — then counted
again in the new store. Poller leases are not copied: they belong to the processes running on
the old store. What had left the desk for the archive leaves it again in the
new store by the same rule (``hot_days``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from askdesk.errors import StoreError
from askdesk.model import Conversation
from askdesk.store import Store

Drafts = dict[tuple[str, str], str]

BATCH = 2000
"""Conversations written per transaction: memory stays flat over 100,000."""


@dataclass
class Counts:
    conversations: int = 0
    messages: int = 0
    events: int = 0
    replies: int = 0
    channel_records: int = 0

    def add(self, conversation: Conversation) -> None:
        self.conversations += 1
        self.messages += len(conversation.messages)
        self.events += len(conversation.events)
        self.replies += len(conversation.replies)

    def summary(self) -> str:
        return (
            f"{_many(self.conversations, 'conversation')} ({_many(self.messages, 'message')}, "
            f"{_many(self.events, 'event')}, {_many(self.replies, 'reply', 'replies')}) and "
            f"{_many(self.channel_records, 'channel record')}"
        )


def _many(n: int, one: str, more: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else more or one + 's'}"


def count(store: Store) -> Counts:
    """What ``store`` holds, read the way statistics read it."""
    counts = Counts()
    for conversation in store.history():
        counts.add(conversation)
    counts.channel_records = len(store.channel_records())
    return counts


def _batches(conversations: Iterable[Conversation]) -> Iterable[list[Conversation]]:
    batch: list[Conversation] = []
    for conversation in conversations:
        batch.append(conversation)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _is_empty(store: Store) -> bool:
    if store.live() or store.channel_records():
        return False
    return all(False for _ in store.history())


def _copy(source: Store, target: Store, archive_before: datetime, copied: Counts) -> Drafts:
    """Write everything into ``target``, counting in ``copied`` as it is committed;
    returns the drafts copied."""
    for batch in _batches(source.history()):
        target.add_conversations(batch)
        for conversation in batch:
            copied.add(conversation)
        # Old resolved history goes straight out of the way, as on the old desk.
        target.archive_resolved(archive_before)
    for name, record in source.channel_records().items():
        cursor, health = source.cursor(name), record.get("health")
        if cursor is None and not health:
            continue  # only a lease: it belongs to a process on the old store
        if cursor is not None:
            target.save_cursor(name, cursor)
        if health:
            target.save_health(name, health)
        copied.channel_records += 1

    drafts = source.drafts()
    for (key, staff), text in drafts.items():
        target.save_draft(key, staff, text)
    return drafts


def copy_store(source: Store, target: Store, archive_before: datetime) -> Counts:
    """Copy everything from ``source`` into the empty ``target``; returns the verified counts.

    Raises ``StoreError`` if ``target`` is not empty, or if the counts read
    back from it differ from what was copied.
    """
    if not _is_empty(target):
        raise StoreError(
            f"the store {target.location} is not empty: copy only into a new store "
            "(a new file, or a database just made with `askdesk migrate`)"
        )
    copied = Counts()
    try:
        drafts = _copy(source, target, archive_before, copied)
    except (StoreError, KeyboardInterrupt) as error:
        if not copied.conversations and not copied.channel_records:
            raise  # nothing was written: the target is as empty as before
        # Each batch is committed as it goes: say so, or the next try is told only
        # that the target "is not empty", with no word of why.
        why = str(error) if isinstance(error, StoreError) else "interrupted"
        raise StoreError(
            f"the copy stopped after {copied.summary()} ({why}): {target.location} holds "
            "part of the desk; empty it (a new file, or drop the database, create it "
            "again and run `askdesk migrate`) before copying again"
        ) from error

    found = count(target)
    if target.drafts() != drafts:
        raise StoreError(
            f"the copy in {target.location} does not hold the {len(drafts)} drafts "
            f"of {source.location}"
        )
    if found != copied:
        raise StoreError(
            f"the copy in {target.location} does not match {source.location}: "
            f"copied {copied.summary()}, found {found.summary()}"
        )
    return found
