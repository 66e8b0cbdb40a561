"""How long this staff member has had each conversation open: what "minutes spent" proposes.

A conversation counts as open while its own view or a reply to it in the
composer is on this desk (both at once count once). Staff often look things
up in a browser with the conversation open, so open time is work; but a desk
left open over lunch is not, so a stretch without a key press counts at most
``IDLE_CAP``. Staff see the proposal in the resolve dialog and correct it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

IDLE_CAP = timedelta(minutes=10)
"""The most a stretch without a key press on the desk adds: long enough to read a long
email thread or search the catalogue in another window, short enough that a desk left
open over a break adds ten minutes, not the whole break."""


class TimeOnConversations:
    """Open time per conversation key, counted from the desk's own open/close/key events."""

    def __init__(self, idle_cap: timedelta = IDLE_CAP) -> None:
        self.idle_cap = idle_cap
        self._open: Counter[str] = Counter()
        """Key -> how many views of it are open (its view, the composer)."""
        self._seconds: dict[str, float] = {}
        self._counted_to: datetime | None = None
        """Open time is counted up to here; the next event adds the stretch since."""

    def _stretch(self, now: datetime) -> float:
        if self._counted_to is None:
            return 0.0
        return max(timedelta(0), min(now - self._counted_to, self.idle_cap)).total_seconds()

    def _count(self, now: datetime) -> None:
        stretch = self._stretch(now)
        for key in self._open:
            self._seconds[key] = self._seconds.get(key, 0.0) + stretch
        self._counted_to = now

    def opened(self, key: str, now: datetime) -> None:
        """A view of ``key`` (its conversation view, or the composer) came on screen."""
        self._count(now)
        self._open[key] += 1

    def closed(self, key: str, now: datetime) -> None:
        """A view of ``key`` went away."""
        self._count(now)
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    def key_pressed(self, now: datetime) -> None:
        """Staff are at the desk: the stretch up to now counts (up to the cap)."""
        self._count(now)

    def seconds(self, key: str, now: datetime) -> float:
        running = self._stretch(now) if key in self._open else 0.0
        return self._seconds.get(key, 0.0) + running

    def minutes(self, key: str, now: datetime) -> int:
        """Whole minutes ``key`` has been open; any open time at all is at least one."""
        seconds = self.seconds(key, now)
        return 0 if seconds <= 0 else max(1, round(seconds / 60))

    def forget(self, key: str) -> None:
        """``key`` was resolved: a later question in it starts from nothing."""
        self._seconds.pop(key, None)
