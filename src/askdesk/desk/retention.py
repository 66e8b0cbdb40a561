"""Retention: resolved conversations lose what identifies the patron after N days.

What goes: the patron's words, handle and name, links, the platform's thread
id (a DM thread id often holds the patron's account id), and the text of staff
notes and replies (they quote the patron). What stays: everything the
statistics read (channel, kind, message times and ids, resolutions, flags) and
the staff history. Statistics and exports are the same before and after.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from askdesk.model import Conversation, Event, Status
from askdesk.store import Store

ANONYMIZED = "(anonymized)"
"""What a message's author becomes."""
RETENTION_STAFF = "askdesk"
"""The ``staff`` of the ``anonymize`` event: nobody did it by hand."""
_STAFF_WORDS = ("text", "url")
BOOKMARK = "askdesk:retention"
"""The store bookmark of the last complete run (a name no channel can have: it holds ':')."""
"""Event details that hold staff's own words about the patron (notes, replies)."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How many days after resolving each channel keeps patron details."""

    default_days: float
    channels: Mapping[str, float] = field(default_factory=dict)

    def days_for(self, channel: str) -> float:
        return self.channels.get(channel, self.default_days)

    def due(self, conversation: Conversation, now: datetime) -> bool:
        """Resolved, and resolved long enough ago; a reopened conversation is live again."""
        resolution = conversation.resolution
        if resolution is None:
            return False
        return resolution.at + timedelta(days=self.days_for(conversation.channel)) <= now

    def earliest_cutoff(self, now: datetime) -> datetime:
        """Nothing resolved after this moment is due on any channel."""
        shortest = min([self.default_days, *self.channels.values()])
        return now - timedelta(days=shortest)

    @property
    def longest_days(self) -> float:
        return max([self.default_days, *self.channels.values()])

    def fingerprint(self) -> str:
        return json.dumps([self.default_days, sorted(self.channels.items())])


def scrub(conversation: Conversation) -> Conversation:
    """The conversation without the patron's details; idempotent."""
    messages = tuple(
        replace(m, author=ANONYMIZED, text="", url=None, conversation=None)
        for m in conversation.messages
    )
    events = tuple(replace(e, details=_scrub_details(e)) for e in conversation.events)
    message_keys = [m.key for m in messages]
    # A thread's key is the platform's thread id; the first message's key
    # identifies the conversation just as well and names no patron.
    key = conversation.key if conversation.key in message_keys else message_keys[0]
    changes: dict[str, Any] = {"key": key, "messages": messages, "events": events}
    # Replies (the outbox's) are written to the patron and may name them; an
    # error from the platform may quote their handle.
    replies = getattr(conversation, "replies", ())
    if replies:
        changes["replies"] = tuple(replace(r, text="", last_error=None) for r in replies)
    return replace(conversation, **changes)


def _sending(conversation: Conversation) -> bool:
    """A reply still on its way: its text is what the outbox will send."""
    return any(getattr(r, "open", False) for r in getattr(conversation, "replies", ()))


def _scrub_details(event: Event) -> dict[str, Any]:
    # A reply's details are all about the patron's conversation (its text, the
    # handle it went to, the post's address): every word of them goes.
    every_word = event.action == "reply"
    return {
        k: ("" if k in _STAFF_WORDS or (every_word and isinstance(v, str)) else v)
        for k, v in event.details.items()
    }


def anonymize(conversation: Conversation, at: datetime, after_days: float) -> Conversation | None:
    """The anonymized conversation with its event, or ``None`` if there is nothing to remove.

    Not while a reply is still on its way to the patron: the outbox needs its text.
    """
    if conversation.status is not Status.RESOLVED or _sending(conversation):
        return None
    scrubbed = scrub(conversation)
    if scrubbed == conversation:
        return None
    event = Event(
        at=at, staff=RETENTION_STAFF, action="anonymize", details={"after_days": after_days}
    )
    return replace(scrubbed, events=(*scrubbed.events, event))


def is_anonymized(conversation: Conversation) -> bool:
    return any(e.action == "anonymize" for e in conversation.events)


@dataclass(frozen=True)
class PurgeResult:
    keys: tuple[str, ...]
    """The conversations anonymized (their new keys), or due, on a dry run."""
    dry_run: bool

    def by_channel(self) -> dict[str, int]:
        # A key is "<channel>:<id>" and channel names never contain ':'.
        return dict(sorted(Counter(k.partition(":")[0] for k in self.keys).items()))

    def summary(self) -> str:
        n = len(self.keys)
        verb = "would anonymize" if self.dry_run else "anonymized"
        if not n:
            return f"{'nothing to anonymize' if self.dry_run else 'nothing was due'}"
        channels = ", ".join(f"{c} {count}" for c, count in self.by_channel().items())
        return f"{verb} {n} conversation{'s' if n != 1 else ''} ({channels})"


def purge(
    store: Store, policy: RetentionPolicy, now: datetime, *, dry_run: bool = False
) -> PurgeResult:
    """Anonymize every resolved conversation past its channel's retention time."""

    def change(conversation: Conversation) -> Conversation | None:
        if not policy.due(conversation, now):
            return None
        return anonymize(conversation, now, policy.days_for(conversation.channel))

    if dry_run:
        keys = tuple(c.key for c in store.history() if change(c) is not None)
        return PurgeResult(keys, dry_run=True)
    done_through = _done_through(store.cursor(BOOKMARK), policy)
    # What was due at the last complete run is done; what was resolved since,
    # reopened and resolved again, or came due with time lies after this. A
    # day's overlap covers resolves that were being written while it ran.
    after = done_through - timedelta(days=policy.longest_days + 1) if done_through else None
    changed = store.rewrite(change, resolved_by=policy.earliest_cutoff(now), resolved_after=after)
    _drop_due_drafts(store, policy, now)
    store.save_cursor(
        BOOKMARK, json.dumps({"through": now.isoformat(), "policy": policy.fingerprint()})
    )
    return PurgeResult(tuple(changed), dry_run=False)


def _drop_due_drafts(store: Store, policy: RetentionPolicy, now: datetime) -> None:
    """Staff's unsent words to a patron go when the patron's details do."""
    for (key, staff), _ in store.drafts().items():
        conversation = store.get(key)
        if conversation is None or is_anonymized(conversation) or policy.due(conversation, now):
            store.save_draft(key, staff, None)


def _done_through(bookmark: str | None, policy: RetentionPolicy) -> datetime | None:
    """When the last complete run under this same policy was; ``None``: look at everything."""
    if not bookmark:
        return None
    try:
        data = json.loads(bookmark)
        if data["policy"] != policy.fingerprint():
            return None  # the days changed: what was not due before may be now
        return datetime.fromisoformat(data["through"])
    except (ValueError, KeyError, TypeError):
        return None
