"""Reference statistics: the figures built on the transactions of ``askdesk.model.transactions``.

``docs/statistics.md`` gives every definition. ``compute`` is pure
(conversations in, numbers out); ``read`` has the store tally its
transactions (``askdesk.store.tally``: in SQL on PostgreSQL). The caller
brings the clock and the time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from askdesk.store.tally import WEEKDAYS as WEEKDAYS  # what exports name weekdays by
from askdesk.store.tally import (
    Answer,
    Attribute,
    GroupKey,
    LocalTime,
    Medians,
    Percentiles,
    Tally,
    WithinHours,
    tally_of,
)
from askdesk.store.tally import percentiles as tally_percentiles

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

KEYS: dict[str, GroupKey] = {
    "channel": Attribute("channel"),
    "kind": Attribute("kind"),
    "type": Attribute("question_type"),
    "outcome": Attribute("outcome"),
    "read": Attribute("read_level"),
    "staff": Attribute("staff"),
    "day": LocalTime("resolved_at", "day"),
    "hour": LocalTime("resolved_at", "hour"),
    "weekday": LocalTime("resolved_at", "weekday"),
    "asked_hour": LocalTime("started_at", "hour"),
    "asked_weekday": LocalTime("started_at", "weekday"),
}
"""What each dimension groups transactions by (``askdesk.store.tally``)."""


def field_key(name: str) -> GroupKey:
    """The answers to one of the library's ``[[stats.fields]]``; ``(none)`` where it has none."""
    return Answer(name, NO_ANSWER)


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """``median`` (the middle value, or the mean of the two middle ones) and
    ``p90`` (nearest rank: the smallest value at least 90% of values do not exceed)."""
    return _as_dict(tally_percentiles(values))


def _as_dict(p: Percentiles) -> dict[str, float | None]:
    return {"median": p.median, "p90": p.p90}


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a breakdown: a value of a dimension and its transactions."""

    value: str
    transactions: int
    share: float
    first_response_median_s: float | None
    resolve_median_s: float | None
    """The medians: of a breakdown that was timed (``read(timed=…)``), else ``None``."""


@dataclass(frozen=True)
class Stats:
    """The figures for one range: the tally of the transactions resolved in it."""

    since: datetime | None
    until: datetime | None
    tz: tzinfo
    as_of: datetime
    """The moment the backlog is counted at: the end of the range, or now."""
    tally: Tally
    backlog_open: int
    backlog_oldest_s: int | None

    @property
    def transaction_count(self) -> int:
        return self.tally.transactions

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
            return list(self._day_values)
        return sorted(self._counts(KEYS[dimension]))

    @cached_property
    def _day_values(self) -> tuple[str, ...]:
        # Worked out once: from 2000 to now is 9,800 days, and the JSON lists them twice.
        return tuple(d.isoformat() for d in self.days())

    def _counts(self, key: GroupKey) -> Mapping[str, int]:
        counts = self.tally.counts.get(key)
        if counts is None:
            raise ValueError(f"{key} was not counted: name it to read() or compute()")
        return counts

    def days(self) -> list[date]:
        """Every local day of the range; an open start begins at the first transaction."""
        seen = self._counts(KEYS["day"])
        if self.since:
            first: date | None = local_day(self.since, self.tz)
        else:
            first = date.fromisoformat(min(seen)) if seen else None
        end = self.until - timedelta(microseconds=1) if self.until else self.as_of
        last = local_day(end, self.tz)
        if first is None or last < first:
            return []
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def count_by(self, dimension: str) -> dict[str, int]:
        counts = self._counts(KEYS[dimension])
        return {value: counts.get(value, 0) for value in self.values(dimension)}

    def groups(self, dimension: str) -> list[Group]:
        return self._groups(KEYS[dimension], self.values(dimension))

    def field_values(self, field: StatsField) -> list[str]:
        """Its choices, then any other answer recorded before the choices changed, then
        ``(none)`` for transactions resolved without an answer to it."""
        others = set(self._counts(field_key(field.name))) - {NO_ANSWER}
        return [*field.choices, *sorted(others - set(field.choices)), NO_ANSWER]

    def field_groups(self, field: StatsField) -> list[Group]:
        """A breakdown by one of the library's own fields, zeros included."""
        return self._groups(field_key(field.name), self.field_values(field))

    def count_by_field(self, field: StatsField) -> dict[str, int]:
        counts = self._counts(field_key(field.name))
        return {value: counts.get(value, 0) for value in self.field_values(field)}

    def _groups(self, key: GroupKey, values: list[str]) -> list[Group]:
        counts = self._counts(key)
        medians = self.tally.medians.get(key, {})
        total = self.tally.transactions
        none = Medians(None, None)
        return [
            Group(
                value=value,
                transactions=counts.get(value, 0),
                share=counts.get(value, 0) / total if total else 0.0,
                first_response_median_s=medians.get(value, none).first_response_s,
                resolve_median_s=medians.get(value, none).resolve_s,
            )
            for value in values
        ]

    def first_response(self) -> dict[str, float | None]:
        return _as_dict(self.tally.first_response_s)

    def first_response_by_opening(self, hours: OpeningHours) -> dict[str, dict[str, float | None]]:
        """The first response of the questions asked while the library was ``open``, and
        of those asked while it was ``closed`` (by the patron's first message and
        ``hours``): a night's queue answered in the morning does not hide the daytime
        service, nor the daytime service the night's wait."""
        times = self.tally.medians.get(opening_key(hours))
        if times is None:
            raise ValueError("the first response by opening hours was not timed: pass hours")
        none = Medians(None, None)
        return {
            when: {
                "median": times.get(when, none).first_response_s,
                "p90": times.get(when, none).first_response_p90_s,
            }
            for when in ("open", "closed")
        }

    def asked_while_open(self, hours: OpeningHours) -> int:
        """How many of the transactions were asked while the library was open."""
        return self._counts(opening_key(hours)).get("open", 0)

    def resolve_time(self) -> dict[str, float | None]:
        return _as_dict(self.tally.resolve_s)

    def first_response_by_day(self) -> dict[str, float | None]:
        """The median first response of each day's transactions: the response-time trend."""
        medians = self.tally.medians.get(KEYS["day"], {})
        return {
            day: times.first_response_s if (times := medians.get(day)) else None
            for day in self._day_values
        }

    @property
    def flagged(self) -> int:
        return self.tally.flagged

    def time_spent(self) -> dict[str, float | None]:
        """Minutes staff recorded: ``total`` and ``median``, over the transactions that have it."""
        return {
            "total": self.tally.time_spent_total_min,
            "median": self.tally.time_spent_median_min,
        }

    @property
    def time_spent_recorded(self) -> int:
        """How many transactions have a time spent recorded."""
        return self.tally.time_spent_recorded

    @property
    def reference_transactions(self) -> int:
        """Not directional, answered or referred: the headline figure for a director."""
        return self.tally.reference


def opening_key(hours: OpeningHours) -> GroupKey:
    """Whether the patron asked while the library was open (``[library] hours``)."""
    return WithinHours("started_at", hours)


def keys_for(
    fields: Sequence[str] = (), timed: Sequence[str] = (), hours: OpeningHours | None = None
) -> tuple[list[GroupKey], list[GroupKey]]:
    """What to count (every dimension and every field named) and what to time:
    ``timed`` names dimensions, or fields as ``field:NAME``; the day is always
    timed, for the response-time trend, and with ``hours`` whether it was asked
    while open, for the first response open and closed."""
    counted = [*KEYS.values(), *(field_key(name) for name in fields)]
    named = {"day", *timed}
    timed_keys = [
        field_key(name.removeprefix("field:")) if name.startswith("field:") else KEYS[name]
        for name in named
    ]
    if hours is not None:
        counted.append(opening_key(hours))
        timed_keys.append(opening_key(hours))
    return counted, timed_keys


def resolved_in(
    conversations: Iterable[Conversation], since: datetime | None, until: datetime | None
) -> list[Transaction]:
    """The transactions resolved in ``[since, until)``, in resolve order: what an export lists."""
    found: list[Transaction] = []
    for conversation in conversations:
        last = conversation.resolutions[-1].at if conversation.resolutions else None
        if last is not None and (since is None or last >= since):
            found.extend(
                t for t in transactions_of(conversation) if _in_range(t.resolved_at, since, until)
            )
    return in_order(found)


def stored_in(store: Store, since: datetime | None, until: datetime | None) -> list[Transaction]:
    """The same, read through the store."""
    return in_order(store.transactions(since, until))


def in_order(transactions: Iterable[Transaction]) -> list[Transaction]:
    return sorted(transactions, key=lambda t: (t.resolved_at, t.started_at, t.channel))


def compute(
    conversations: Iterable[Conversation],
    *,
    now: datetime,
    tz: tzinfo,
    since: datetime | None = None,
    until: datetime | None = None,
    fields: Sequence[str] = (),
    timed: Sequence[str] = (),
    hours: OpeningHours | None = None,
    team: Team | None = None,
) -> Stats:
    """The statistics of the transactions resolved in ``[since, until)``.

    The backlog is counted at the end of the range (or now, if that is
    earlier), so a range that has ended always gives the same figures.
    ``fields`` names the ``[[stats.fields]]`` to count; ``timed`` (see
    ``keys_for``) the breakdowns whose medians are wanted; ``hours`` the
    library's opening hours, for the first response asked while open and closed.
    With a ``team`` list, each transaction is credited to the member as listed.
    """
    as_of = min(until, now) if until is not None else now
    conversations = list(conversations)
    waiting = [
        started
        for conversation in conversations
        if (started := open_since(conversation, as_of)) is not None
    ]
    counted, timed_keys = keys_for(fields, timed, hours)
    credit = team.credited if team else None
    figures = tally_of(resolved_in(conversations, since, until), tz, counted, timed_keys, credit)
    return _stats(figures, waiting, since=since, until=until, tz=tz, as_of=as_of)


def read(
    store: Store,
    *,
    now: datetime,
    tz: tzinfo,
    since: datetime | None = None,
    until: datetime | None = None,
    fields: Sequence[str] = (),
    timed: Sequence[str] = (),
    hours: OpeningHours | None = None,
    team: Team | None = None,
) -> Stats:
    """The same figures as ``compute`` over the store's history, tallied by the store
    (in SQL on PostgreSQL), and only the conversations that may be waiting read."""
    as_of = min(until, now) if until is not None else now
    waiting = [
        started
        for conversation in store.open_at(as_of)
        if (started := open_since(conversation, as_of)) is not None
    ]
    counted, timed_keys = keys_for(fields, timed, hours)
    credit = team.credited if team else None
    figures = store.tally(since, until, tz, counted, timed_keys, credit)
    return _stats(figures, waiting, since=since, until=until, tz=tz, as_of=as_of)


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


def _stats(
    figures: Tally,
    waiting: list[datetime],
    *,
    since: datetime | None,
    until: datetime | None,
    tz: tzinfo,
    as_of: datetime,
) -> Stats:
    """``waiting``: when each question open at ``as_of`` was asked."""
    oldest = min(waiting, default=None)
    return Stats(
        since=since,
        until=until,
        tz=tz,
        as_of=as_of,
        tally=figures,
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
        "transactions": stats.transaction_count,
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
