"""Retention: resolved conversations lose what identifies the patron after N days.

What goes: the patron's words, handle and name, links, the platform's thread
id (a DM thread id often holds the patron's account id), and the text of staff
notes and replies (they quote the patron). What stays: everything the
statistics read (channel, kind, message times and ids, resolutions, flags) and
the staff history. Statistics and exports are the same before and after.

Outside the store, the places that keep copies (a drop folder's processed
files and the replies it wrote, the log lines naming a key) are told what the
store's pass found and forget the same (``Forget``). What a pass reports
counts conversations and gives their ages, never keys or handles: a key can
hold a phone number or a platform id.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from askdesk.channels.base import Channel, Forgotten, KeepsCopies
from askdesk.errors import AskdeskError
from askdesk.model import Conversation, Event, Status
from askdesk.store import Store

ANONYMIZED = "(anonymized)"
"""What a message's author becomes."""
RETENTION_STAFF = "askdesk"
"""The ``staff`` of the ``anonymize`` event: nobody did it by hand."""
_STAFF_WORDS = ("text", "url")
"""Event details that hold staff's own words about the patron (notes, replies)."""
BOOKMARK = "askdesk:retention"
"""The store bookmark of the last complete run (a name no channel can have: it holds ':')."""


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


def patron_marks(conversation: Conversation) -> set[str]:
    """What would name this conversation's patron in a log line: its key and message keys
    (a key can hold a phone number or a platform id), thread ids, handles and links."""
    marks = {conversation.key, *conversation.message_keys()}
    for message in conversation.messages:
        marks.update((message.author, message.conversation or "", message.url or ""))
    return {mark for mark in marks if mark.strip() and mark != ANONYMIZED}


@dataclass(frozen=True)
class PurgeResult:
    keys: tuple[str, ...]
    """The conversations anonymized (their new keys), or due, on a dry run."""
    dry_run: bool
    now: datetime | None = None
    resolved_at: tuple[datetime, ...] = ()
    """When each of them was resolved: their ages are reported, not their keys."""
    marks: frozenset[str] = frozenset()
    """What would name their patrons outside the store (``patron_marks``)."""
    forgotten: tuple[Forgotten, ...] = ()
    """What the places outside the store removed (or would)."""
    problems: tuple[str, ...] = ()
    """Places outside the store that could not be cleaned, one sentence each."""

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

    def ages(self) -> str | None:
        """How long ago they were resolved, in days ("resolved 91 to 412 days ago")."""
        if not self.resolved_at or self.now is None:
            return None
        days = sorted(int((self.now - at).total_seconds() // 86400) for at in self.resolved_at)
        span = f"{days[0]}" if days[0] == days[-1] else f"{days[0]} to {days[-1]}"
        return f"resolved {span} day{'s' if days[-1] != 1 else ''} ago"

    def elsewhere(self, *, every_count: bool = False) -> list[str]:
        """A line for each kind of thing removed outside the store (``every_count``: also
        those with none), then one for each place that could not be cleaned."""
        verb = "would remove" if self.dry_run else "removed"
        lines = [f"{verb} {f.count} {f.what}" for f in self.forgotten if f.count or every_count]
        return lines + [f"could not clean up: {problem}" for problem in self.problems]


Forget = Callable[[PurgeResult], list[Forgotten]]
"""A place outside the store that keeps patron details (a drop folder, the log files),
told what the store's pass found: when, whether it is a dry run, the patrons' marks."""


def channel_copies(
    channels: Iterable[Channel], store: Store, policy: RetentionPolicy
) -> list[Forget]:
    """The channels that keep copies outside the store, each with its own window."""

    def forget(channel: KeepsCopies, name: str, result: PurgeResult) -> list[Forgotten]:
        now = result.now
        assert now is not None
        cutoff = now - timedelta(days=policy.days_for(name))
        return channel.forget_before(cutoff, store.cursor(name), dry_run=result.dry_run)

    return [partial(forget, c, c.name) for c in channels if isinstance(c, KeepsCopies)]


def purge(
    store: Store,
    policy: RetentionPolicy,
    now: datetime,
    *,
    dry_run: bool = False,
    elsewhere: Sequence[Forget] = (),
) -> PurgeResult:
    """Anonymize every resolved conversation past its channel's retention time, then have
    each place in ``elsewhere`` forget the same; one that fails is reported, not fatal."""
    found: dict[str, tuple[datetime, set[str]]] = {}

    def change(conversation: Conversation) -> Conversation | None:
        if not policy.due(conversation, now):
            return None
        changed = anonymize(conversation, now, policy.days_for(conversation.channel))
        if changed is not None and conversation.resolution is not None:
            found[conversation.key] = (conversation.resolution.at, patron_marks(conversation))
        return changed

    if dry_run:
        keys = tuple(c.key for c in store.history() if change(c) is not None)
    else:
        keys = tuple(_purge_store(store, policy, now, change))
    result = PurgeResult(
        keys,
        dry_run=dry_run,
        now=now,
        resolved_at=tuple(at for at, _ in found.values()),
        marks=frozenset(mark for _, marks in found.values() for mark in marks),
    )
    forgotten: list[Forgotten] = []
    problems: list[str] = []
    for forget in elsewhere:
        try:
            forgotten.extend(forget(result))
        except AskdeskError as error:
            problems.append(str(error))
    return replace(result, forgotten=tuple(forgotten), problems=tuple(problems))


def _purge_store(
    store: Store,
    policy: RetentionPolicy,
    now: datetime,
    change: Callable[[Conversation], Conversation | None],
) -> list[str]:
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
    return changed


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
