"""``askdesk serve``: every channel, the outbox and retention, without a screen, until stopped.

This is how a library keeps one always-on askdesk on a server while staff
open and close desks: it polls the polled channels, holds the live ones
(chat) whenever no desk does, sends what staff queued, and anonymizes what
is due. It prints one line per event, for the journal; a patron's words are
cut at 40 characters there, and secrets never reach it.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import FrameType
from typing import TextIO, TypeVar

from askdesk.channels import Channel, LiveChannel, PolledChannel, Sender
from askdesk.cli_output import say
from askdesk.config import Config
from askdesk.desk import Desk
from askdesk.desk.live import LiveEvent, LiveRunner
from askdesk.desk.outbox import Outbox, SendResult
from askdesk.desk.retention import Forget, RetentionPolicy, purge
from askdesk.desk.sync import Poller, PollResult
from askdesk.desk.text import one_line
from askdesk.errors import AskdeskError
from askdesk.model import ReplyStatus

WORDS_SHOWN = 40
"""Of a patron's message, no more than this many characters reach the journal."""
TICK_S = 0.5
PURGE_EVERY = timedelta(hours=1)


class Journal:
    """One line per event on ``out``: time, channel, what, and a few words."""

    def __init__(self, out: TextIO, clock: Callable[[], datetime]) -> None:
        self.out = out
        self.clock = clock
        self._lock = threading.Lock()
        """Events come from the main loop and from the chat connections' threads."""

    def line(self, *parts: str) -> None:
        stamp = self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
        text = " ".join(one_line(p, 300) for p in (stamp, *parts) if p)
        with self._lock:
            say(text, file=self.out)
            self.out.flush()  # a journal (systemd, a pipe) gets each line as it happens

    def live(self, event: LiveEvent) -> None:
        words = ""
        if event.message is not None:
            said = one_line(event.message.text, WORDS_SHOWN)
            words = f"{one_line(event.message.author, WORDS_SHOWN)}: {said}"
        self.line(event.channel, event.what, event.key or "", event.detail or words)

    def polled(self, result: PollResult, held_before: bool | None) -> bool:
        """Print what one poll brought; returns whether this process holds the channel now."""
        holds = result.skipped is None
        if holds and held_before is not True:
            self.line(result.channel, "lease taken")
        elif not holds and held_before is not False:
            self.line(result.channel, "lease held elsewhere", result.skipped or "")
        if result.error:
            self.line(result.channel, "failed", result.error)
        elif holds and (result.added or result.joined):
            self.line(result.channel, "arrived", f"{result.added} new, {result.joined} follow-ups")
        for problem in result.problems[:3]:
            self.line(result.channel, "skipped", str(problem))
        return holds

    def sent(self, result: SendResult) -> None:
        what = {ReplyStatus.SENT: "sent", ReplyStatus.PENDING: "send failed, will retry"}.get(
            result.status, f"send {result.status}"
        )
        detail = "" if result.status is ReplyStatus.SENT else result.detail
        self.line(result.key, f"reply {result.reply_id[:8]}", what, detail)


def serve(
    desk: Desk,
    config: Config,
    channels: Mapping[str, Channel],
    retention: RetentionPolicy,
    out: TextIO = sys.stdout,
    *,
    elsewhere: Sequence[Forget] = (),
) -> int:
    """Run until SIGTERM or SIGINT; then close connections, release leases and return 0."""
    journal = Journal(out, desk.clock.now)
    lease = timedelta(seconds=config.lease_seconds)
    polled = [c for c in channels.values() if isinstance(c, PolledChannel)]
    live = [c for c in channels.values() if isinstance(c, LiveChannel)]
    poller = Poller(desk, polled, lease_ttl=lease)
    runner = LiveRunner(desk, live, lease_ttl=lease, listener=journal.live)
    outbox = Outbox(desk, {n: c for n, c in channels.items() if isinstance(c, Sender)})
    stopping = threading.Event()
    signalled: list[str] = []

    def stop(signum: int, _: FrameType | None) -> None:
        # Only note it: the handler runs in the main thread between any two
        # bytecodes, perhaps inside the journal's lock; the loop says it.
        signalled.append(signal.Signals(signum).name)
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    names = ", ".join(channels) or "none"
    journal.line("askdesk", "serving", f"{desk.store.location} as {poller.holder}; {names}")
    held: dict[str, bool] = {}
    next_purge = desk.clock.now()
    try:
        desk.archive_old()
        while not stopping.is_set():
            _step(journal, "channels", runner.tick)
            for result in poller.poll_due():
                held[result.channel] = journal.polled(result, held.get(result.channel))
            for sent in _step(journal, "outbox", outbox.run_due) or []:
                journal.sent(sent)
            if desk.clock.now() >= next_purge:
                next_purge = desk.clock.now() + PURGE_EVERY
                done = _step(
                    journal,
                    "retention",
                    lambda: purge(desk.store, retention, desk.clock.now(), elsewhere=elsewhere),
                )
                if done is not None and done.keys:
                    journal.line("retention", done.summary())
                for line in done.elsewhere() if done is not None else []:
                    journal.line("retention", line)
            stopping.wait(TICK_S)
    finally:
        journal.line("askdesk", f"stopping ({', '.join(signalled) or 'an error'})")
        runner.stop()
        poller.release()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        journal.line("askdesk", "stopped; leases released")
    return 0


T = TypeVar("T")


def _step(journal: Journal, what: str, run: Callable[[], T]) -> T | None:
    """Run one part of the loop; a failure is one line, and the rest keeps going."""
    try:
        return run()
    except AskdeskError as error:
        journal.line(what, "failed", str(error))
        return None
