"""Reference statistics: the figures built on the transactions of ``askdesk.model.transactions``.

``docs/statistics.md`` gives every definition. ``compute`` is pure
(conversations in, numbers out); ``read`` takes a store's transactions. The
caller brings the clock and the time zone.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any

from askdesk.config import NO_ANSWER, StatsField, Team
from askdesk.model import Conversation, Kind, Outcome, QuestionType
from askdesk.model.message import READ_LEVELS
from askdesk.model.opening_hours import OpeningHours
from askdesk.model.transactions import Transaction, open_since, transactions_of, whole_seconds
from askdesk.store.base import Store

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DIMENSIONS = (
    "channel",
    "kind",
    "type",
    "outcome",
    "read",
    "staff",
    "day",
    "hour",
    "weekday",
    "asked_hour",
    "asked_weekday",
)
"""What transactions can be grouped by; ``--by`` offers the ones staff ask for.

``hour`` and ``weekday`` are those of the first resolve; ``asked_hour`` and
``asked_weekday`` those of the patron's first message: when patrons ask, not
when staff cleared the queue."""


# -- ranges and time zones ----------------------------------------------------------


def day_start(day: date, tz: tzinfo) -> datetime:
    """Midnight at the start of ``day`` in ``tz`` (summer time included)."""
    return datetime.combine(day, time(), tzinfo=tz)


def local_day(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def _in_range(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


# -- the figures ----------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """``median`` (the middle value, or the mean of the two middle ones) and
    ``p90`` (nearest rank: the smallest value at least 90% of values do not exceed)."""
    if not values:
        return {"median": None, "p90": None}
    ordered = sorted(values)
    rank = math.ceil(0.9 * len(ordered))
    return {"median": float(statistics.median(ordered)), "p90": float(ordered[rank - 1])}


def _dimension(name: str, tz: tzinfo) -> Callable[[Transaction], str]:
    match name:
        case "channel":
            return lambda t: t.channel
        case "kind":
            return lambda t: t.kind.value
        case "type":
            return lambda t: t.question_type.value
        case "outcome":
            return lambda t: t.outcome.value
        case "read":
            return lambda t: str(t.read_level)
        case "staff":
            return lambda t: t.staff
        case "day":
            return lambda t: local_day(t.resolved_at, tz).isoformat()
        case "hour":
            return lambda t: str(t.resolved_at.astimezone(tz).hour)
        case "weekday":
            return lambda t: WEEKDAYS[t.resolved_at.astimezone(tz).weekday()]
        case "asked_hour":
            return lambda t: str(t.started_at.astimezone(tz).hour)
        case "asked_weekday":
            return lambda t: WEEKDAYS[t.started_at.astimezone(tz).weekday()]
    raise ValueError(f"cannot group transactions by {name!r}")


_BY_RESOLVE_TIME: dict[str, Callable[[datetime], str]] = {
    "day": lambda local: local.date().isoformat(),
    "hour": lambda local: str(local.hour),
    "weekday": lambda local: WEEKDAYS[local.weekday()],
}
"""The dimensions read from the local resolve time, as ``_dimension`` gives them."""

_BY_ASK_TIME: dict[str, Callable[[datetime], str]] = {
    "asked_hour": lambda local: str(local.hour),
    "asked_weekday": lambda local: WEEKDAYS[local.weekday()],
}
"""The dimensions read from the local time of the patron's first message."""


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a breakdown: a value of a dimension and its transactions."""

    value: str
    transactions: int
    share: float
    first_response_median_s: float | None
    resolve_median_s: float | None


@dataclass(frozen=True)
class Stats:
    """The figures for one range; ``transactions`` are those resolved in it."""

    since: datetime | None
    until: datetime | None
    tz: tzinfo
    as_of: datetime
    """The moment the backlog is counted at: the end of the range, or now."""
    transactions: tuple[Transaction, ...]
    backlog_open: int
    backlog_oldest_s: int | None

    def values(self, dimension: str) -> list[str]:
        """Every value of ``dimension`` in display order, zeros included where the set is fixed."""
        fixed: dict[str, list[str]] = {
            "kind": [k.value for k in Kind],
            "type": [t.value for t in QuestionType],
            "outcome": [o.value for o in Outcome],
            "read": [str(n) for n in READ_LEVELS],
            "hour": [str(h) for h in range(24)],
            "weekday": list(WEEKDAYS),
            "asked_hour": [str(h) for h in range(24)],
            "asked_weekday": list(WEEKDAYS),
        }
        if dimension in fixed:
            return fixed[dimension]
        if dimension == "day":
            return [d.isoformat() for d in self.days()]
        key = _dimension(dimension, self.tz)
        return sorted({key(t) for t in self.transactions})

    @cached_property
    def _resolved_local(self) -> list[datetime]:
        """Each transaction's resolve time in ``tz``, converted once: converting it again
        for every breakdown by day, hour and weekday was most of what a year's figures cost."""
        return [t.resolved_at.astimezone(self.tz) for t in self.transactions]

    @cached_property
    def _asked_local(self) -> list[datetime]:
        """When each transaction was asked (the patron's first message), in ``tz``."""
        return [t.started_at.astimezone(self.tz) for t in self.transactions]

    @cached_property
    def _key_lists(self) -> dict[str, list[str]]:
        return {}

    def _keys(self, dimension: str) -> list[str]:
        """Each transaction's value of ``dimension``, in order, worked out once per dimension."""
        keys = self._key_lists.get(dimension)
        if keys is None:
            by_time = _BY_RESOLVE_TIME.get(dimension)
            by_ask = _BY_ASK_TIME.get(dimension)
            if by_time is not None:
                keys = list(map(by_time, self._resolved_local))
            elif by_ask is not None:
                keys = list(map(by_ask, self._asked_local))
            else:
                keys = list(map(_dimension(dimension, self.tz), self.transactions))
            self._key_lists[dimension] = keys
        return keys

    def days(self) -> list[date]:
        """Every local day of the range; an open start begins at the first transaction."""
        seen = (at.date() for at in self._resolved_local)
        first = local_day(self.since, self.tz) if self.since else min(seen, default=None)
        end = self.until - timedelta(microseconds=1) if self.until else self.as_of
        last = local_day(end, self.tz)
        if first is None or last is None or last < first:
            return []
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def count_by(self, dimension: str) -> dict[str, int]:
        counts = Counter(self._keys(dimension))
        return {value: counts.get(value, 0) for value in self.values(dimension)}

    def groups(self, dimension: str) -> list[Group]:
        return self._groups(self._keys(dimension), self.values(dimension))

    def field_values(self, field: StatsField) -> list[str]:
        """Its choices, then any other answer recorded before the choices changed, then
        ``(none)`` for transactions resolved without an answer to it."""
        others = {t.fields[field.name] for t in self.transactions if field.name in t.fields}
        return [*field.choices, *sorted(others - set(field.choices)), NO_ANSWER]

    def field_groups(self, field: StatsField) -> list[Group]:
        """A breakdown by one of the library's own fields, zeros included."""
        keys = [t.fields.get(field.name, NO_ANSWER) for t in self.transactions]
        return self._groups(keys, self.field_values(field))

    def count_by_field(self, field: StatsField) -> dict[str, int]:
        return {g.value: g.transactions for g in self.field_groups(field)}

    def _groups(self, keys: Iterable[str], values: list[str]) -> list[Group]:
        """``keys``: each transaction's value, in order."""
        members: dict[str, list[Transaction]] = {v: [] for v in values}
        for key, t in zip(keys, self.transactions, strict=True):
            members.setdefault(key, []).append(t)
        total = len(self.transactions)
        return [
            Group(
                value=value,
                transactions=len(ts),
                share=len(ts) / total if total else 0.0,
                first_response_median_s=percentiles([t.first_response_s for t in ts])["median"],
                resolve_median_s=percentiles([t.resolve_s for t in ts])["median"],
            )
            for value, ts in members.items()
        ]

    def first_response(self) -> dict[str, float | None]:
        return percentiles([t.first_response_s for t in self.transactions])

    def first_response_by_opening(self, hours: OpeningHours) -> dict[str, dict[str, float | None]]:
        """The first response of the questions asked while the library was ``open``, and
        of those asked while it was ``closed`` (by the patron's first message and
        ``hours``): a night's queue answered in the morning does not hide the daytime
        service, nor the daytime service the night's wait."""
        waits: dict[bool, list[int]] = {True: [], False: []}
        for t, asked in zip(self.transactions, self._asked_local, strict=True):
            waits[hours.is_open(asked, self.tz)].append(t.first_response_s)
        return {"open": percentiles(waits[True]), "closed": percentiles(waits[False])}

    def asked_while_open(self, hours: OpeningHours) -> int:
        """How many of the transactions were asked while the library was open."""
        return sum(hours.is_open(asked, self.tz) for asked in self._asked_local)

    def resolve_time(self) -> dict[str, float | None]:
        return percentiles([t.resolve_s for t in self.transactions])

    def first_response_by_day(self) -> dict[str, float | None]:
        """The median first response of each day's transactions: the response-time trend."""
        return {g.value: g.first_response_median_s for g in self.groups("day")}

    @property
    def flagged(self) -> int:
        return sum(t.flagged for t in self.transactions)

    def time_spent(self) -> dict[str, float | None]:
        """Minutes staff recorded: ``total`` and ``median``, over the transactions that have it."""
        minutes = [t.time_spent_min for t in self.transactions if t.time_spent_min is not None]
        return {"total": sum(minutes), "median": percentiles(minutes)["median"]}

    @property
    def time_spent_recorded(self) -> int:
        """How many transactions have a time spent recorded."""
        return sum(t.time_spent_min is not None for t in self.transactions)

    @property
    def reference_transactions(self) -> int:
        """Not directional, answered or referred: the headline figure for a director."""
        return sum(t.reference for t in self.transactions)


def compute(
    conversations: Iterable[Conversation],
    *,
    now: datetime,
    tz: tzinfo,
    since: datetime | None = None,
    until: datetime | None = None,
    team: Team | None = None,
) -> Stats:
    """The statistics of the transactions resolved in ``[since, until)``.

    The backlog is counted at the end of the range (or now, if that is
    earlier), so a range that has ended always gives the same figures. With a
    ``team`` list, each transaction is credited to the member as listed.
    """
    as_of = min(until, now) if until is not None else now
    found: list[Transaction] = []
    waiting: list[datetime] = []
    for conversation in conversations:
        last = conversation.resolutions[-1].at if conversation.resolutions else None
        if last is not None and (since is None or last >= since):
            found.extend(
                t for t in transactions_of(conversation) if _in_range(t.resolved_at, since, until)
            )
        started = open_since(conversation, as_of)
        if started is not None:
            waiting.append(started)
    return _tally(credited(found, team), waiting, since=since, until=until, tz=tz, as_of=as_of)


def read(
    store: Store,
    *,
    now: datetime,
    tz: tzinfo,
    since: datetime | None = None,
    until: datetime | None = None,
    team: Team | None = None,
) -> Stats:
    """The same figures as ``compute`` over the store's history, read through the store:
    its transactions by resolve time, and only the conversations that may be waiting."""
    as_of = min(until, now) if until is not None else now
    waiting = [
        started
        for conversation in store.open_at(as_of)
        if (started := open_since(conversation, as_of)) is not None
    ]
    found = list(store.transactions(since, until))
    return _tally(credited(found, team), waiting, since=since, until=until, tz=tz, as_of=as_of)


def credited(transactions: list[Transaction], team: Team | None) -> list[Transaction]:
    """``transactions`` with each ``staff`` as the team list spells it (``Bo`` is ``bo``).

    Names are looked up once each: a year has many transactions and few staff.
    """
    if not team:
        return transactions
    names: dict[str, str] = {}
    out = []
    for t in transactions:
        name = names.get(t.staff)
        if name is None:
            name = names[t.staff] = team.credited(t.staff)
        out.append(t if name == t.staff else replace(t, staff=name))
    return out


def _tally(
    found: list[Transaction],
    waiting: list[datetime],
    *,
    since: datetime | None,
    until: datetime | None,
    tz: tzinfo,
    as_of: datetime,
) -> Stats:
    """``waiting``: when each question open at ``as_of`` was asked."""
    found.sort(key=lambda t: (t.resolved_at, t.started_at, t.channel))
    oldest = min(waiting, default=None)
    return Stats(
        since=since,
        until=until,
        tz=tz,
        as_of=as_of,
        transactions=tuple(found),
        backlog_open=len(waiting),
        backlog_oldest_s=whole_seconds(as_of - oldest) if oldest is not None else None,
    )


def stats_record(
    stats: Stats,
    generated_at: datetime,
    fields: Sequence[StatsField] = (),
    hours: OpeningHours | None = None,
) -> dict[str, Any]:
    """The statistics as one JSON object; the field names are a contract for scripts.

    ``fields`` are the config's ``[[stats.fields]]``, for ``by_field``;
    ``hours`` its ``[library] hours``, for the first response asked while open
    and while closed (both ``null`` without them).
    """
    by_opening = stats.first_response_by_opening(hours) if hours is not None else None
    return {
        "generated_at": generated_at.isoformat(),
        "since": stats.since.isoformat() if stats.since else None,
        "until": stats.until.isoformat() if stats.until else None,
        "timezone": str(stats.tz),
        "reference_transactions": stats.reference_transactions,
        "transactions": len(stats.transactions),
        "by_channel": stats.count_by("channel"),
        "by_kind": stats.count_by("kind"),
        "by_type": stats.count_by("type"),
        "by_outcome": stats.count_by("outcome"),
        "by_read": stats.count_by("read"),
        "by_staff": stats.count_by("staff"),
        "by_day": stats.count_by("day"),
        "by_hour": stats.count_by("hour"),
        "by_weekday": stats.count_by("weekday"),
        "asked_by_hour": stats.count_by("asked_hour"),
        "asked_by_weekday": stats.count_by("asked_weekday"),
        "first_response_s": stats.first_response(),
        "first_response_open_s": by_opening["open"] if by_opening else None,
        "first_response_closed_s": by_opening["closed"] if by_opening else None,
        "resolve_s": stats.resolve_time(),
        "first_response_by_day": stats.first_response_by_day(),
        "flagged": stats.flagged,
        "time_spent_min": stats.time_spent(),
        "by_field": {f.name: stats.count_by_field(f) for f in fields},
        "backlog": {
            "open": stats.backlog_open,
            "oldest_s": stats.backlog_oldest_s,
            "as_of": stats.as_of.isoformat(),
        },
    }


def format_duration(seconds: float | None) -> str:
    """A duration for people: ``45s``, ``4m 30s``, ``2h 05m``, ``3d 4h``; ``-`` for none."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def format_minutes(minutes: float | None) -> str:
    """Minutes for people: ``12 min``, ``3h 05m``; ``-`` for none."""
    if minutes is None:
        return "-"
    m = round(minutes)
    return f"{m} min" if m < 60 else f"{m // 60}h {m % 60:02d}m"
