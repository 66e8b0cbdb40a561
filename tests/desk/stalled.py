"""A real channel whose fetch stalls until the test lets it go on, as on a slow share or link."""

from __future__ import annotations

import threading
from datetime import datetime

from askdesk.channels import Fetched
from askdesk.channels.demo import DemoChannel


class StalledDemo(DemoChannel):
    """The real demo feed behind a stalled link: each fetch waits until ``go`` is set.

    It counts how many of its fetches run at once, which the poller must keep at one.
    """

    def __init__(self) -> None:
        super().__init__(name="demo", poll_seconds=2)
        self.go = threading.Event()
        self.entered = threading.Event()
        self._lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.entered.set()
        try:
            assert self.go.wait(timeout=10), "the test never let the fetch go on"
            return super().fetch(cursor, now)
        finally:
            with self._lock:
                self.running -= 1
