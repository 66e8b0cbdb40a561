"""The library's opening hours (``[library] hours``): open or closed at a moment, next opening.

Hours are local times in the statistics time zone, so summer time moves them
with the clocks. Pure and stdlib only: the config checks them, statistics
split the first response by them, and the out-of-hours template names them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLOSED = "closed"
MIDNIGHT = 24 * 60

Opening = tuple[int, int]
"""From and to, in minutes after local midnight (to may be 1440: the midnight that ends the day)."""

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_RANGE = re.compile(r"\s*(\S+?)\s*[-\u2013]\s*(\S+)\s*")
"""From-to, with a hyphen or the en dash a word processor puts there."""


class HoursError(ValueError):
    """A bad ``[library] hours``: the message is one sentence after the key it names."""


@dataclass(frozen=True)
class OpeningHours:
    """When the library is open, Monday to Sunday; a day with no openings is closed."""

    week: tuple[tuple[Opening, ...], ...]
    """Seven days, Monday first, each its openings in order, none overlapping."""

    def __post_init__(self) -> None:
        if len(self.week) != len(WEEKDAYS):
            raise ValueError("opening hours need all seven days, Monday first")

    def is_open(self, at: datetime, tz: tzinfo) -> bool:
        """Whether ``at`` falls in an opening, read on the local clock in ``tz``."""
        local = at.astimezone(tz)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.week[local.weekday()])

    def next_open(self, at: datetime, tz: tzinfo) -> datetime | None:
        """When the doors next open after ``at`` (the next opening's start, in ``tz``).

        An opening that only continues one past midnight (Friday until 24:00,
        Saturday from 0:00) is not a new one. ``None`` if the library never opens.
        """
        local_day = at.astimezone(tz).date()
        for offset in range(-1, 8):
            day = local_day + timedelta(days=offset)
            for start, _ in self.week[day.weekday()]:
                begins = _local(day, start, tz)
                if begins > at and not self._continues(day, start):
                    return begins
        return None

    def _continues(self, day: date, start: int) -> bool:
        """An opening at midnight that carries on the day before's opening until 24:00."""
        before = self.week[(day.weekday() - 1) % 7]
        return start == 0 and any(end == MIDNIGHT for _, end in before)

    def describe(self) -> str:
        """The week for patrons: ``Mon-Thu 9:00-20:00, Fri 9:00-17:00, Sat-Sun closed``."""
        parts: list[str] = []
        first = 0
        for day in range(1, len(WEEKDAYS) + 1):
            if day < len(WEEKDAYS) and self.week[day] == self.week[first]:
                continue
            days = _day_label(first, day - 1)
            openings = self.week[first]
            said = " and ".join(_span(o) for o in openings) if openings else CLOSED
            parts.append(f"{days} {said}")
            first = day
        return ", ".join(parts)


def parse_hours(raw: object) -> OpeningHours:
    """``{mon = "9:00-20:00", sat = "9:00-12:00, 13:00-17:00", sun = "closed"}``, checked.

    A day left out is closed. Raises ``HoursError`` with a sentence naming the
    day (``hours.sat``) and what is wrong.
    """
    if not isinstance(raw, Mapping):
        raise HoursError(
            'hours should be a table of weekday = "9:00-17:00", such as '
            '{ mon = "9:00-20:00", sat = "9:00-12:00, 13:00-17:00", sun = "closed" }'
        )
    week: list[tuple[Opening, ...]] = [() for _ in WEEKDAYS]
    for name, value in raw.items():
        day = str(name).strip().lower()
        if day not in WEEKDAYS:
            raise HoursError(f"hours has an unknown weekday {name!r} (use {', '.join(WEEKDAYS)})")
        week[WEEKDAYS.index(day)] = _parse_day(f"hours.{day}", value)
    if not any(week):
        raise HoursError(
            "hours has every day closed; leave hours out if the library keeps no opening hours"
        )
    return OpeningHours(tuple(week))


def _parse_day(key: str, value: object) -> tuple[Opening, ...]:
    if not isinstance(value, str):
        raise HoursError(f'{key} should be a text such as "9:00-17:00" or "closed", not {value!r}')
    if value.strip().lower() in (CLOSED, ""):
        return ()
    openings: list[Opening] = []
    for part in value.split(","):
        match = _RANGE.fullmatch(part)
        if match is None:
            raise HoursError(
                f'{key} {part.strip()!r} should be a range of times such as "9:00-17:00"'
            )
        start = _minutes(key, match.group(1))
        end = _minutes(key, match.group(2))
        if end <= start:
            raise HoursError(
                f"{key} {part.strip()!r} ends before it starts; a day's hours end by 24:00, "
                "so split hours past midnight over two days"
            )
        for other in openings:
            if start < other[1] and other[0] < end:
                raise HoursError(f"{key} {part.strip()!r} overlaps {_span(other)}")
        openings.append((start, end))
    return tuple(sorted(openings))


def _minutes(key: str, text: str) -> int:
    match = _TIME.fullmatch(text)
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise HoursError(f"{key} has {text!r}, which is not a time from 0:00 to 24:00 (H:MM)")
    return hours * 60 + minutes


def _local(day: date, minute: int, tz: tzinfo) -> datetime:
    """``minute`` after local midnight on ``day``, as the wall clock in ``tz`` shows it."""
    return datetime.combine(day, time(), tzinfo=tz) + timedelta(minutes=minute)


def clock_time(minute: int) -> str:
    """``540`` is ``9:00``; the end of the day is ``24:00``."""
    return f"{minute // 60}:{minute % 60:02d}"


def _span(opening: Opening) -> str:
    return f"{clock_time(opening[0])}-{clock_time(opening[1])}"


def _day_label(first: int, last: int) -> str:
    name = WEEKDAYS[first].capitalize()
    return name if first == last else f"{name}-{WEEKDAYS[last].capitalize()}"


def when_next(opens: datetime, now: datetime, tz: tzinfo) -> str:
    """``opens`` for a reply written at ``now``: ``today at 13:00``, ``tomorrow at 9:00``,
    ``on Monday at 9:00``, or the date past a week."""
    local, today = opens.astimezone(tz), now.astimezone(tz).date()
    at = clock_time(local.hour * 60 + local.minute)
    days = (local.date() - today).days
    if days == 0:
        return f"today at {at}"
    if days == 1:
        return f"tomorrow at {at}"
    if days < 7:
        return f"on {DAY_NAMES[local.weekday()]} at {at}"
    return f"on {DAY_NAMES[local.weekday()]} {local.day} {local:%B} at {at}"
