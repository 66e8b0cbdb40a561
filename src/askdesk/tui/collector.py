"""Python's cyclic garbage collector, kept off the path from a key to its frame.

Measured on the desk: a full (generation 2) collection takes 25-110 ms, and
Python starts one whenever enough objects have survived, which is often just
after a dialog closes, so the frame that shows a resolve waited for it. This
module freezes what the desk holds for its whole life once it is on screen
(``gc.freeze``: never scanned again), and runs the full collection itself when
the desk has been quiet for a moment: no key for ``quiet`` seconds, checked
every ``every`` seconds, and at the latest after ``overdue`` seconds so memory
never waits on a busy shift.

The young collections wait too, but only for the key's frame: a resolve
allocated enough for five to eight of them and one of generation 1 before its
frame (0.4-1.5 ms together; pausing them took ~0.3 ms off the resolve's median
and ~0.4 ms off its p95 at 100k messages). A key pauses them for ``settle``
seconds, by when its frame is out; they catch up as the pause ends, while
staff read the screen. Later keys do not lengthen a pause, so keys held down
still let them run every few keys.
"""

from __future__ import annotations

import asyncio
import gc
import time

NO_AUTOMATIC_FULL_COLLECTIONS = 1_000_000
"""A third threshold so high that Python never reaches it on its own."""


class IdleCollector:
    def __init__(
        self, every: float = 5.0, quiet: float = 2.0, overdue: float = 60.0, settle: float = 0.05
    ) -> None:
        self.every = every
        self.quiet = quiet
        self.overdue = overdue
        self.settle = settle
        self.collections = 0
        self._last_key = time.monotonic()
        self._last_collection = time.monotonic()
        self._thresholds: tuple[int, int, int] | None = None
        self._resume: asyncio.TimerHandle | None = None
        """Ends the pause of automatic collections that a key began."""

    def start(self) -> None:
        """Call once the desk is on screen: what exists now lives as long as the app."""
        gc.collect()
        gc.freeze()
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTIONS)

    def stop(self) -> None:
        self._end_pause()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()
            self._thresholds = None

    @property
    def paused(self) -> bool:
        """Whether automatic collections are waiting for a key's frame."""
        return self._resume is not None

    def key_pressed(self) -> None:
        """Note the key, and pause automatic collections until its frame is out.

        Call it on the event loop, which ends the pause.
        """
        self._last_key = time.monotonic()
        if self._thresholds is None or self._resume is not None:
            return  # not started (Python's own rules apply), or already paused
        gc.disable()
        self._resume = asyncio.get_running_loop().call_later(self.settle, self._end_pause)

    def _end_pause(self) -> None:
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None
            gc.enable()

    def tick(self) -> None:
        """Run a full collection if the desk is quiet, or if one is long overdue."""
        now = time.monotonic()
        quiet = now - self._last_key >= self.quiet
        if quiet or now - self._last_collection >= self.overdue:
            gc.collect()
            self.collections += 1
            self._last_collection = time.monotonic()
