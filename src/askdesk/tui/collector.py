"""Python's cyclic garbage collector, kept off the path from a key to its frame.

Measured on the desk: a full (generation 2) collection takes 25-110 ms, and
Python starts one whenever enough objects have survived, which is often just
after a dialog closes, so the frame that shows a resolve waited for it. This
module freezes what the desk holds for its whole life once it is on screen
(``gc.freeze``: never scanned again), leaves the cheap young collections to
Python, and runs the full one itself when the desk has been quiet for a
moment: no key for ``quiet`` seconds, checked every ``every`` seconds, and at
the latest after ``overdue`` seconds so memory never waits on a busy shift.
"""

from __future__ import annotations

import gc
import time

NO_AUTOMATIC_FULL_COLLECTIONS = 1_000_000
"""A third threshold so high that Python never reaches it on its own."""


class IdleCollector:
    def __init__(self, every: float = 5.0, quiet: float = 2.0, overdue: float = 60.0) -> None:
        self.every = every
        self.quiet = quiet
        self.overdue = overdue
        self.collections = 0
        self._last_key = time.monotonic()
        self._last_collection = time.monotonic()
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Call once the desk is on screen: what exists now lives as long as the app."""
        gc.collect()
        gc.freeze()
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTIONS)

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()
            self._thresholds = None

    def key_pressed(self) -> None:
        self._last_key = time.monotonic()

    def tick(self) -> None:
        """Run a full collection if the desk is quiet, or if one is long overdue."""
        now = time.monotonic()
        quiet = now - self._last_key >= self.quiet
        if quiet or now - self._last_collection >= self.overdue:
            gc.collect()
            self.collections += 1
            self._last_collection = time.monotonic()
