"""Tallies of transactions: counts, medians and sums, by group, where the transactions are kept.

The statistics need only a few hundred numbers, whatever the number of
transactions. ``tally`` works them out over ``Transaction`` objects (the
TinyDB store, and any list of transactions); a store that keeps its
transactions in a database (PostgreSQL) computes the same tally there, so
Python receives the numbers and never the 100,000 transactions. Both give the
same figures to the last digit; the tests compare them.

What a transaction is stays defined in one place, ``askdesk.model.transactions``:
a tally only groups, counts and takes medians of the values it gives.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Literal

from askdesk.model.opening_hours import OpeningHours
from askdesk.model.transactions import Transaction

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

AttributeName = Literal["channel", "kind", "question_type", "outcome", "read_level", "staff"]
TimeName = Literal["resolved_at", "started_at"]
TimePart = Literal["day", "hour", "weekday"]


@dataclass(frozen=True, slots=True)
class Attribute:
    """Group by one of the transaction's own values, as text (an enum's value, a number)."""

    name: AttributeName


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Group by a part of one of its times in the tally's time zone: the day
    (``2026-11-30``), the hour (``0`` … ``23``) or the weekday (``mon`` … ``sun``)."""

    time: TimeName
    part: TimePart


@dataclass(frozen=True, slots=True)
class Answer:
    """Group by its answer to one of the library's own fields; ``missing`` when it has none."""

    field: str
    missing: str


@dataclass(frozen=True, slots=True)
class WithinHours:
    """Group by whether one of its times fell in the library's opening hours
    (``OpeningHours.is_open`` on the local clock): ``open`` or ``closed``."""

    time: TimeName
    hours: OpeningHours


GroupKey = Attribute | LocalTime | Answer | WithinHours

Credit = Callable[[str], str]
"""A staff name as the statistics credit it (``Team.credited``: ``Bo`` is ``bo``)."""


@dataclass(frozen=True, slots=True)
class Percentiles:
    median: float | None
    """The middle value, or the mean of the two middle ones."""
    p90: float | None
    """Nearest rank: the smallest value that at least 90 % of the values do not exceed."""


@dataclass(frozen=True, slots=True)
class Medians:
    """The times of one group's transactions: its first responses' median and 90th
    percentile, its resolve times' median."""

    first_response_s: float | None
    resolve_s: float | None
    first_response_p90_s: float | None = None


@dataclass(frozen=True)
class Tally:
    """Everything the statistics show about a set of transactions."""

    transactions: int
    reference: int
    """Not directional, answered or referred (``Transaction.reference``)."""
    flagged: int
    first_response_s: Percentiles
    resolve_s: Percentiles
    time_spent_total_min: int
    time_spent_median_min: float | None
    time_spent_recorded: int
    """How many transactions have a time spent recorded."""
    counts: Mapping[GroupKey, Mapping[str, int]]
    """For each key counted, its values that occur (no zeros) and how many have each."""
    medians: Mapping[GroupKey, Mapping[str, Medians]]
    """For each key timed, the medians of each of its values' transactions. Asked for
    separately because a median needs every value sorted, which costs far more than a count."""


def percentiles(values: Sequence[float]) -> Percentiles:
    if not values:
        return Percentiles(None, None)
    ordered = sorted(values)
    rank = math.ceil(0.9 * len(ordered))
    return Percentiles(float(statistics.median(ordered)), float(ordered[rank - 1]))


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def tally_of(
    transactions: Iterable[Transaction],
    tz: tzinfo,
    counted: Sequence[GroupKey],
    timed: Sequence[GroupKey] = (),
    credit: Credit | None = None,
) -> Tally:
    """The tally of ``transactions``: counts by each of ``counted``, medians by each of
    ``timed``, local times in ``tz``; ``credit`` names the staff as credited (a team
    list's spelling), looked up once per name."""
    found = list(transactions)
    if credit is not None:
        names: dict[str, str] = {}
        found = [
            t
            if (name := names.get(t.staff) or names.setdefault(t.staff, credit(t.staff))) == t.staff
            else replace(t, staff=name)
            for t in found
        ]
    minutes = [t.time_spent_min for t in found if t.time_spent_min is not None]
    local: dict[TimeName, list[datetime]] = {}

    def labels(key: GroupKey) -> list[str]:
        if isinstance(key, LocalTime):
            times = local.get(key.time)
            if times is None:  # converted once for every key on the same time
                times = local[key.time] = [getattr(t, key.time).astimezone(tz) for t in found]
            return list(map(_TIME_PARTS[key.part], times))
        if isinstance(key, WithinHours):
            hours, time = key.hours, key.time
            return ["open" if hours.is_open(getattr(t, time), tz) else "closed" for t in found]
        return list(map(_label(key), found))

    return Tally(
        transactions=len(found),
        reference=sum(t.reference for t in found),
        flagged=sum(t.flagged for t in found),
        first_response_s=percentiles([t.first_response_s for t in found]),
        resolve_s=percentiles([t.resolve_s for t in found]),
        time_spent_total_min=sum(minutes),
        time_spent_median_min=median(minutes),
        time_spent_recorded=len(minutes),
        counts={key: _counts(labels(key)) for key in dict.fromkeys(counted)},
        medians={key: _medians(labels(key), found) for key in dict.fromkeys(timed)},
    )


_TIME_PARTS: dict[TimePart, Callable[[datetime], str]] = {
    "day": lambda local: local.date().isoformat(),
    "hour": lambda local: str(local.hour),
    "weekday": lambda local: WEEKDAYS[local.weekday()],
}


def _label(key: Attribute | Answer) -> Callable[[Transaction], str]:
    if isinstance(key, Answer):
        return lambda t: t.fields.get(key.field, key.missing)
    match key.name:
        case "channel":
            return lambda t: t.channel
        case "kind":
            return lambda t: t.kind.value
        case "question_type":
            return lambda t: t.question_type.value
        case "outcome":
            return lambda t: t.outcome.value
        case "read_level":
            return lambda t: str(t.read_level)
        case "staff":
            return lambda t: t.staff


def _counts(labels: list[str]) -> dict[str, int]:
    return dict(Counter(labels))


def _medians(labels: list[str], found: list[Transaction]) -> dict[str, Medians]:
    members: dict[str, list[Transaction]] = {}
    for label, t in zip(labels, found, strict=True):
        members.setdefault(label, []).append(t)
    out = {}
    for label, ts in members.items():
        first = percentiles([t.first_response_s for t in ts])
        out[label] = Medians(first.median, median([t.resolve_s for t in ts]), first.p90)
    return out
