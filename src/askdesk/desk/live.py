"""Holding live channels: one process per store keeps each chat connection, under a lease.

The same lease as the pollers' (``sync``): while this process holds it, the
channel is connected here and what arrives goes straight into the store
(deduplicated by key, the archive cursor saved in the same write); when
another process holds it, the channel stays shut here and its health is
read from the store. ``tick`` is called every second or so by whoever runs
the desk (the screen's worker, ``askdesk serve``); what the connection does
arrives on the channel's own thread, through the sink.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from askdesk.channels import Link, LinkState, LiveChannel, PatronLeft
from askdesk.desk import sessions
from askdesk.desk.sync import LEASE_TTL, ChannelHealth, worker_id
from askdesk.desk.triage import Desk
from askdesk.errors import AskdeskError, TransitionError
from askdesk.model import Message, Status, transitions

log = logging.getLogger(__name__)

ON_SHIFT_WITHIN = timedelta(seconds=30)
"""A desk that has not said it is open for this long has gone (closed, crashed, asleep)."""
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class LiveEvent:
    """Something to tell whoever watches (``askdesk serve`` prints one line each)."""

    channel: str
    what: str
    """arrived, joined, left, connecting, connected, reconnecting, stopped,
    lease taken, lease lost"""
    key: str | None = None
    message: Message | None = None
    detail: str = ""


Listener = Callable[[LiveEvent], None]


class _Sink:
    """What one channel's connection thread calls; everything goes through the runner."""

    def __init__(self, runner: LiveRunner, channel: LiveChannel) -> None:
        self.runner = runner
        self.channel = channel

    def arrived(self, messages: Sequence[Message], cursor: str | None) -> None:
        self.runner.arrived(self.channel, messages, cursor)

    def left(self, departure: PatronLeft) -> None:
        self.runner.left(self.channel, departure)

    def link_changed(self, link: Link) -> None:
        self.runner.link_changed(self.channel, link)


class LiveRunner:
    def __init__(
        self,
        desk: Desk,
        channels: Sequence[LiveChannel],
        *,
        holder: str | None = None,
        lease_ttl: timedelta = LEASE_TTL,
        listener: Listener | None = None,
    ) -> None:
        self.desk = desk
        self.channels = list(channels)
        self.holder = holder or f"{desk.staff}@{worker_id()}"
        self.lease_ttl = lease_ttl
        self.listener = listener
        self.health = {c.name: ChannelHealth(name=c.name, type=c.type) for c in channels}
        self._running: set[str] = set()
        self._lock = threading.Lock()
        """One store write at a time per runner: a session is placed and written as one."""
        self._links: dict[str, Link] = {}
        self._link_changed = threading.Condition()

    # -- the lease ---------------------------------------------------------------

    def tick(self) -> None:
        """Take, keep or give up each channel's lease, and show the account as it should be."""
        store, now = self.desk.store, self.desk.clock.now()
        try:
            available = bool(store.on_shift(now, ON_SHIFT_WITHIN))
        except AskdeskError:
            available = False
        for channel in self.channels:
            try:
                holder = store.acquire_lease(channel.name, self.holder, now, self.lease_ttl)
            except AskdeskError as error:
                log.warning("could not renew the lease on %s: %s", channel.name, error)
                continue
            if holder == self.holder:
                if channel.name not in self._running:
                    self._running.add(channel.name)
                    self.health[channel.name].polled_by = self.holder
                    self._tell(LiveEvent(channel.name, "lease taken", detail=self.holder))
                    channel.set_available(available)
                    channel.start(_Sink(self, channel), store.cursor(channel.name))
                else:
                    channel.set_available(available)
                continue
            if channel.name in self._running:
                # Another process has it (we were too slow to renew): it connects, we do not.
                self._running.discard(channel.name)
                channel.stop(STOP_TIMEOUT_S)
                self._tell(LiveEvent(channel.name, "lease lost", detail=holder))
            self._show_holders_view(channel, holder)

    def _show_holders_view(self, channel: LiveChannel, holder: str) -> None:
        record = self.desk.store.channel_records().get(channel.name, {}).get("health") or {}
        shown = ChannelHealth.from_record(channel.name, channel.type, record)
        shown.polled_by = holder
        self.health[channel.name] = shown

    def catch_up(self, timeout: float) -> dict[str, str]:
        """Connect once, bring in what waited, and let go: ``askdesk fetch`` for live channels.

        Takes each free lease, waits until every channel held here has caught
        up (offline storage and the archive, which happens before it reports
        itself connected) or has failed, then stops and releases. Returns a
        line per channel: what arrived, why it failed, or who holds it.
        """
        before = {name: health.arrived for name, health in self.health.items()}
        self.tick()
        deadline = time.monotonic() + timeout
        outcome: dict[str, str] = {}
        with self._link_changed:
            for channel in self.channels:
                if channel.name not in self._running:
                    outcome[channel.name] = f"held by {self.health[channel.name].polled_by}"
                    continue
                name = channel.name
                self._link_changed.wait_for(
                    partial(self._settled, name), max(0.0, deadline - time.monotonic())
                )
            settled = dict(self._links)  # before stopping turns every one into "stopped"
        self.stop()
        for channel in self.channels:
            if channel.name in outcome:
                continue
            link = settled.get(channel.name)
            if link is not None and link.state is LinkState.CONNECTED:
                came = self.health[channel.name].arrived - before.get(channel.name, 0)
                outcome[channel.name] = f"caught up, {came} messages"
            elif link is not None and link.error:
                outcome[channel.name] = link.error
            else:
                outcome[channel.name] = f"not connected within {timeout:g} s"
        return outcome

    def _settled(self, name: str) -> bool:
        link = self._links.get(name)
        return link is not None and link.state in (LinkState.CONNECTED, LinkState.RECONNECTING)

    def holds(self, name: str) -> bool:
        return name in self._running

    def stop(self) -> None:
        """Close every connection held here and give up the leases, so another takes over."""
        for channel in self.channels:
            if channel.name not in self._running:
                continue
            channel.stop(STOP_TIMEOUT_S)
            self._running.discard(channel.name)
            try:
                self.desk.store.release_lease(channel.name, self.holder)
            except AskdeskError:
                log.warning("could not release the lease on %s", channel.name, exc_info=True)

    # -- what the connections hand over (on their own threads) ------------------------

    def arrived(
        self, channel: LiveChannel, messages: Sequence[Message], cursor: str | None
    ) -> None:
        with self._lock:
            placed = sessions.place(messages, self.desk.live(), channel.session_gap)
            result = self.desk.ingest(placed, cursor=(channel.name, cursor) if cursor else None)
            health = self.health[channel.name]
            new = len(placed) - result.duplicates
            health.arrived += new
            if new:
                health.last_ok = self.desk.clock.now()
        by_conversation = {m.conversation_key: m for m in placed}
        for what, keys in (("arrived", result.added), ("joined", result.joined)):
            for key in keys:
                self._tell(LiveEvent(channel.name, what, key=key, message=by_conversation.get(key)))

    def left(self, channel: LiveChannel, departure: PatronLeft) -> None:
        with self._lock:
            conversation = sessions.current_sessions(channel.name, self.desk.live()).get(
                departure.patron
            )
            if (
                conversation is None
                or conversation.status is Status.RESOLVED
                or conversation.patron_left_at is not None
            ):
                return  # nothing open with them, or already marked
            try:
                self.desk.store.update(
                    conversation.key, lambda c: transitions.patron_left(c, departure.at)
                )
            except TransitionError:
                return
        self._tell(LiveEvent(channel.name, "left", key=conversation.key))

    def link_changed(self, channel: LiveChannel, link: Link) -> None:
        with self._link_changed:
            self._links[channel.name] = link
            self._link_changed.notify_all()
        now = self.desk.clock.now()
        health = self.health[channel.name]
        health.link = link.state.value
        health.retry_at = link.retry_at
        health.last_error = link.error
        health.note = link.note
        health.polled_by = self.holder
        if link.state is LinkState.CONNECTED:
            health.last_ok = now
        try:
            self.desk.store.save_health(channel.name, health.to_record())
        except AskdeskError:
            log.warning("could not store the health of %s", channel.name, exc_info=True)
        detail = link.error or link.note or ""
        if link.state is LinkState.RECONNECTING and link.retry_at is not None:
            seconds = max(0, round((link.retry_at - now).total_seconds()))
            detail = f"in {seconds} s: {detail}" if detail else f"in {seconds} s"
        self._tell(LiveEvent(channel.name, link.state.value, detail=detail))

    def _tell(self, event: LiveEvent) -> None:
        if self.listener is None:
            return
        try:
            self.listener(event)
        except Exception:
            # Names and keys only: the event's message holds the patron's words.
            log.exception("a listener failed on %s %s %s", event.channel, event.what, event.key)


def live_only(channels: Sequence[object]) -> list[LiveChannel]:
    return [c for c in channels if isinstance(c, LiveChannel)]
