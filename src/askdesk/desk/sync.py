"""Bringing messages in: poll each channel when it is due and keep its health.

A failing channel never stops the others: its error is kept, in plain words,
on its ``ChannelHealth``, stored where every askdesk on the store (and
``askdesk channels``) can read it. Only one process per store polls a
channel: it holds a lease in the store, renewed while it is alive; when it
dies the lease runs out and another process takes over. Within a process,
a channel's fetch never starts while its previous one still runs: the app's
poll worker is started every second and cannot stop a thread it cancels.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from askdesk.channels import (
    NamesPatrons,
    PlacesSessions,
    PolledChannel,
    Problem,
    ReportsRateLimit,
    TracksDelivery,
    WakesEarly,
)
from askdesk.desk import sessions
from askdesk.desk.pseudonyms import pseudonym_key
from askdesk.desk.triage import Desk
from askdesk.errors import AskdeskError, RateLimited
from askdesk.model import Conversation, Message, ReplyStatus, Role, Status
from askdesk.model.replying import record_delivery

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(seconds=45)
"""A dead poller's channels are taken over within this long (plus one poll interval)."""
HEALTH_EVERY = timedelta(seconds=30)
"""How often an unchanged, healthy state is written to the store."""
STILL_FETCHING = "its previous fetch is still running"
DELIVERY_WATCH = timedelta(hours=1)
"""How long after it was sent a reply's delivery is asked after (SMS: delivered or not)."""
DELIVERY_CHECKS = 20
"""The most replies asked after in one poll, so a busy hour does not use up the rate limit."""

FLOOD_HOLD = 500
"""A channel with more waiting at its source is not read while this many of its
messages are on the desk unresolved: a flood stays where it came from, and the
live file (which every claim rewrites) stays small enough for a quick claim.
Messages, not conversations: a flood into one conversation grows it as much."""


def worker_id() -> str:
    """Who this process is, in leases and in-flight replies: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class ChannelHealth:
    name: str
    type: str
    last_ok: datetime | None = None
    next_poll: datetime | None = None
    last_error: str | None = None
    arrived: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_reset: datetime | None = None
    polled_by: str | None = None
    waiting: int = 0
    """Messages left at the source after the last poll (a flood read a part at a time)."""
    link: str | None = None
    """A live channel's connection: connecting, connected, reconnecting, stopped
    (``None`` for a polled channel)."""
    retry_at: datetime | None = None
    """When a live channel that lost its connection tries again."""
    note: str | None = None
    """A standing remark about the channel's server (it keeps no archive)."""
    set_aside: int = 0
    """Automatic answers (out-of-office, bounces) that came and were not questions."""

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        for key, value in record.items():
            if isinstance(value, datetime):
                record[key] = value.isoformat()
        return record

    @classmethod
    def from_record(cls, name: str, type: str, record: dict[str, Any]) -> ChannelHealth:
        health = cls(name=name, type=type)
        for key in ("last_ok", "next_poll", "rate_limit_reset", "retry_at"):
            if isinstance(record.get(key), str):
                setattr(health, key, datetime.fromisoformat(record[key]))
        health.last_error = record.get("last_error")
        health.arrived = int(record.get("arrived") or 0)
        remaining = record.get("rate_limit_remaining")
        health.rate_limit_remaining = remaining if isinstance(remaining, int) else None
        health.polled_by = record.get("polled_by")
        waiting = record.get("waiting")
        health.waiting = waiting if isinstance(waiting, int) else 0
        set_aside = record.get("set_aside")
        health.set_aside = set_aside if isinstance(set_aside, int) else 0
        for key in ("link", "note"):
            value = record.get(key)
            setattr(health, key, value if isinstance(value, str) else None)
        return health


@dataclass(frozen=True)
class PollResult:
    channel: str
    added: int = 0
    joined: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    """Why this process did not poll (another one holds the channel's lease, or a flood)."""
    waiting: int = 0

    def summary(self) -> str:
        if self.error:
            return f"{self.channel}: {self.error}"
        if self.skipped:
            return f"{self.channel}: {self.skipped}"
        text = f"{self.channel}: {self.added} new, {self.joined} follow-ups"
        if self.problems:
            text += f", {len(self.problems)} skipped"
        if self.waiting:
            text += f"; {flood(self.waiting)}"
        return text


def flood(waiting: int) -> str:
    """The words for a backlog at a channel's source, the same on every screen."""
    return f"flood: {waiting:,} waiting"


class Poller:
    def __init__(
        self,
        desk: Desk,
        channels: Sequence[PolledChannel],
        *,
        holder: str | None = None,
        lease_ttl: timedelta = LEASE_TTL,
        flood_hold: int = FLOOD_HOLD,
    ) -> None:
        self.desk = desk
        self.channels = list(channels)
        self.holder = holder or f"{desk.staff}@{worker_id()}"
        self.lease_ttl = lease_ttl
        self.flood_hold = flood_hold
        self.health = {c.name: ChannelHealth(name=c.name, type=c.type) for c in channels}
        self._saved: dict[str, tuple[str | None, int, int, datetime]] = {}
        self._backlog_known: set[str] = set()
        """Channels whose backlog this process has read from the store or a fetch."""
        self._fetching = {c.name: threading.Lock() for c in channels}
        """Held while a poll of the channel runs, so a second one never starts beside it."""
        self._keyed: set[str] = set()
        """Channels handed the store's pseudonym key (``NamesPatrons``) by this poller."""

    @contextmanager
    def _turn(self, channel: PolledChannel) -> Iterator[bool]:
        """Whether this thread may poll ``channel`` now; it holds the channel until the end."""
        fetching = self._fetching[channel.name]
        if not fetching.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            fetching.release()

    def _due(self, channel: PolledChannel, now: datetime) -> bool:
        next_poll = self.health[channel.name].next_poll
        if isinstance(channel, WakesEarly) and channel.woken():
            return True  # the server said something arrived: no need to wait for the interval
        return next_poll is None or next_poll <= now

    def poll(self, channel: PolledChannel) -> PollResult:
        """Fetch once and ingest what came; skipped while the channel's last fetch still runs."""
        with self._turn(channel) as mine:
            if not mine:
                return PollResult(channel.name, skipped=STILL_FETCHING)
            return self._poll(channel)

    def _poll(self, channel: PolledChannel) -> PollResult:
        """Fetch and ingest, saving the cursor in the same write; the caller holds the turn."""
        health = self.health[channel.name]
        store = self.desk.store
        now = self.desk.clock.now()
        health.next_poll = now + timedelta(seconds=channel.poll_seconds)
        holder = store.acquire_lease(channel.name, self.holder, now, self.lease_ttl)
        if holder != self.holder:
            if isinstance(channel, WakesEarly):
                channel.stop_watching()  # the holder listens; a wake-up here would be wasted
            # Another askdesk polls this channel; show its view of the channel.
            record = store.channel_records().get(channel.name, {}).get("health") or {}
            shown = ChannelHealth.from_record(channel.name, channel.type, record)
            shown.next_poll, shown.polled_by = health.next_poll, holder
            self.health[channel.name] = shown
            return PollResult(channel.name, skipped=f"polled by {holder}")
        health.polled_by = self.holder
        held = self._held_back(channel, health)
        if held is not None:
            self._save(health, now)
            return PollResult(channel.name, skipped=held, waiting=health.waiting)
        try:
            if isinstance(channel, NamesPatrons) and channel.name not in self._keyed:
                channel.use_pseudonym_key(pseudonym_key(store, self.holder, now))
                self._keyed.add(channel.name)
            fetched = channel.fetch(store.cursor(channel.name), now)
            # Before the cursor moves on: a crash in between fetches them again,
            # and recording one twice is a no-op.
            unplaced = self.desk.record_notices(channel.name, fetched.notices)
            messages = self._without_echoes(channel.name, fetched.messages)
            if isinstance(channel, PlacesSessions):
                former = channel.former_names if isinstance(channel, NamesPatrons) else None
                placed = sessions.place(
                    messages, self.desk.live(), channel.session_gap, former_names=former
                )
                if len(placed) < len(messages):
                    log.info(
                        "%s: %d opt-out or opt-in record(s) from patrons with no conversation "
                        "on the desk; the channel keeps them, none opens one",
                        channel.name,
                        len(messages) - len(placed),
                    )
                messages = placed
            result = self.desk.ingest(messages, cursor=(channel.name, fetched.cursor))
            if unplaced:  # some may answer a question that came in this same fetch
                self.desk.record_notices(channel.name, unplaced)
        except RateLimited as error:
            if error.reset_at is not None:
                health.next_poll = max(health.next_poll, error.reset_at)
                health.rate_limit_remaining, health.rate_limit_reset = 0, error.reset_at
            return self._failed(channel, health, str(error))
        except AskdeskError as error:
            return self._failed(channel, health, str(error))
        except Exception as error:
            # An SDK failed in a way its adapter did not foresee: keep the other
            # channels going, keep the traceback in the log, tell staff plainly.
            log.exception("channel %s failed", channel.name)
            return self._failed(channel, health, f"unexpected error: {error!r}")
        health.last_ok = now
        # A channel near its platform's limits asks to be polled less often (Meta's usage).
        health.next_poll = max(health.next_poll, now + timedelta(seconds=channel.poll_seconds))
        health.last_error = "; ".join(map(str, fetched.problems[:3])) or None
        health.arrived += len(result.added) + len(result.joined)
        health.waiting = fetched.waiting
        health.set_aside += len(fetched.notices)
        self._backlog_known.add(channel.name)
        if isinstance(channel, TracksDelivery):
            self._check_deliveries(channel, now)
        self._note_rate_limit(channel, health)
        self._save(health, now)
        return PollResult(
            channel.name,
            added=len(result.added),
            joined=len(result.joined),
            duplicates=result.duplicates,
            problems=fetched.problems,
            waiting=fetched.waiting,
        )

    def _without_echoes(self, channel: str, messages: list[Message]) -> list[Message]:
        """``messages`` less the platform's copies of replies askdesk sent (a Page's thread
        lists them among its own messages): they are the replies, not sent elsewhere."""
        if not any(m.role is Role.SENT_ELSEWHERE for m in messages):
            return messages
        ours = {
            r.remote_id
            for c in self.desk.live()
            if c.channel == channel
            for r in c.replies
            if r.remote_id
        }
        return [m for m in messages if m.role is not Role.SENT_ELSEWHERE or m.remote_id not in ours]

    def _check_deliveries(self, channel: TracksDelivery, now: datetime) -> None:
        """Ask after replies sent within ``DELIVERY_WATCH`` whose delivery is not settled."""
        name = getattr(channel, "name", "")
        watched = [
            (c.key, r.id, r.remote_id)
            for c in self.desk.live()
            if c.channel == name
            for r in c.replies
            if r.status is ReplyStatus.SENT
            and r.remote_id
            and r.sent_at is not None
            and now - r.sent_at <= DELIVERY_WATCH
            and not r.delivery_settled
        ]
        for key, reply_id, remote_id in watched[:DELIVERY_CHECKS]:
            try:
                delivery = channel.delivery(remote_id, now)
                if delivery is not None:
                    self.desk.store.update(key, _delivered(reply_id, now, delivery))
            except AskdeskError:
                # The next poll asks again; the reply itself went out.
                log.warning("could not check the delivery of a reply on %s", key, exc_info=True)
                return

    def _held_back(self, channel: PolledChannel, health: ChannelHealth) -> str | None:
        """Why a flooding channel is not read now: the desk holds enough of it already."""
        if channel.name not in self._backlog_known:
            # A fresh process (a cron fetch) goes by what the last poller left.
            record = self.desk.store.channel_records().get(channel.name, {}).get("health") or {}
            stored = ChannelHealth.from_record(channel.name, channel.type, record)
            health.waiting, health.last_ok = stored.waiting, health.last_ok or stored.last_ok
            self._backlog_known.add(channel.name)
        if not health.waiting:
            return None
        unresolved = sum(
            len(c.messages)
            for c in self.desk.live()
            if c.channel == channel.name and c.status is not Status.RESOLVED
        )
        if unresolved < self.flood_hold:
            return None
        return (
            f"{flood(health.waiting)}; read on once fewer than {self.flood_hold} "
            "of its messages wait on the desk"
        )

    def _failed(self, channel: PolledChannel, health: ChannelHealth, error: str) -> PollResult:
        health.last_error = error
        self._note_rate_limit(channel, health)
        self._save(health, self.desk.clock.now())
        return PollResult(channel.name, error=error)

    def _note_rate_limit(self, channel: PolledChannel, health: ChannelHealth) -> None:
        if isinstance(channel, ReportsRateLimit):
            health.rate_limit_remaining, health.rate_limit_reset = channel.rate_limit

    def _save(self, health: ChannelHealth, now: datetime) -> None:
        """Store the health when it changed, or now and then while it stays good."""
        last = self._saved.get(health.name)
        if (
            last is not None
            and last[:3] == (health.last_error, health.waiting, health.set_aside)
            and now - last[3] < HEALTH_EVERY
        ):
            return
        try:
            self.desk.store.save_health(health.name, health.to_record())
        except AskdeskError:
            log.warning("could not store the health of %s", health.name, exc_info=True)
            return
        self._saved[health.name] = (health.last_error, health.waiting, health.set_aside, now)

    def poll_due(self) -> list[PollResult]:
        """Poll each channel that is due and not being fetched already.

        Whether a channel is due is decided when its turn comes, not when the
        round starts: a round held up by one slow channel does not poll the
        others again right after a later round did.
        """
        results = []
        for channel in self.channels:
            with self._turn(channel) as mine:
                if mine and self._due(channel, self.desk.clock.now()):
                    results.append(self._poll(channel))
        return results

    def poll_all(self) -> list[PollResult]:
        return [self.poll(c) for c in self.channels]

    def release(self) -> None:
        """Give up this process's leases at once (on quit), so another can take over."""
        for channel in self.channels:
            if isinstance(channel, WakesEarly):
                channel.stop_watching()
            try:
                self.desk.store.release_lease(channel.name, self.holder)
            except AskdeskError:
                log.warning("could not release the lease on %s", channel.name, exc_info=True)


def _delivered(
    reply_id: str, at: datetime, delivery: str
) -> Callable[[Conversation], Conversation]:
    """The store change that records a reply's ``delivery``."""

    def change(conversation: Conversation) -> Conversation:
        return record_delivery(conversation, reply_id, at, delivery)

    return change
