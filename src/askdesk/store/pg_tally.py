"""A tally (``askdesk.store.tally``) worked out by PostgreSQL over the ``transactions`` table.

A few statements, so Python receives a few hundred numbers and never the
transactions: the counts of every group key (``GROUPING SETS``, hashed; a
statement for the transactions' own values and one for each of their times),
the figures of the whole range (count, sums, ``percentile_cont`` for medians,
``percentile_disc`` for the nearest-rank 90th percentile), and the medians of
the keys that are timed. They run on two connections at once, reading one
snapshot (``pg_snapshot``). The values grouped and counted are the columns
askdesk's own rules wrote (``pg_transactions``); the SQL only groups and
counts them, so the figures are those of ``tally_of`` (the tests compare them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from askdesk.model.opening_hours import OpeningHours
from askdesk.store import pg_snapshot
from askdesk.store.pg_snapshot import Another, Rows, Statement
from askdesk.store.tally import (
    WEEKDAYS,
    Answer,
    Attribute,
    Credit,
    GroupKey,
    LocalTime,
    Medians,
    Percentiles,
    Tally,
    WithinHours,
)

Connection = psycopg.Connection[Any]

WORK_MEM = "64MB"
"""Sorting 100,000 transactions' values for their medians fits in memory (the default, 4 MB,
spills them to disk)."""
SETTINGS = (
    f"SET LOCAL work_mem = '{WORK_MEM}'",
    # The plans are small; compiling them (JIT) took longer than running them.
    "SET LOCAL jit = off",
)

_COLUMNS = {
    "channel": "channel",
    "kind": "kind",
    "question_type": "question_type",
    "outcome": "outcome",
    "read_level": "read_level::text",
    "staff": "staff",
}
_TIMES = {"resolved_at": "resolved_at", "started_at": "started_at"}


def zone_name(tz: tzinfo) -> str | None:
    """The IANA name PostgreSQL knows ``tz`` by, or ``None`` (a zone read from a file, a
    fixed offset): then the tally is worked out in Python."""
    if isinstance(tz, ZoneInfo):
        return tz.key if tz.key and tz.key != "localtime" else None
    return "UTC" if tz == UTC else None


def can_tally(conn: Connection, zone: str, keys: list[GroupKey]) -> bool:
    """Whether this server knows the zone and every key is one the SQL here groups by."""
    if not all(isinstance(k, Attribute | LocalTime | Answer | WithinHours) for k in keys):
        return False
    try:
        with conn.transaction():  # a savepoint: the refusal leaves the transaction usable
            conn.execute("SELECT now() AT TIME ZONE %s", (zone,))
    except psycopg.errors.InvalidParameterValue:
        return False
    return True


def tally(
    conn: Connection,
    snapshot: str,
    since: datetime | None,
    until: datetime | None,
    zone: str,
    counted: list[GroupKey],
    timed: list[GroupKey],
    credit: Credit | None = None,
    another: Another | None = None,
) -> Tally:
    """The tally, its statements run on ``conn`` and, when ``another`` lends one, on a
    second connection at the same time, both reading ``snapshot`` (``pg_snapshot.begin``)."""
    in_range = sql.SQL(
        "FROM transactions WHERE resolved_at >= coalesce({}, '-infinity'::timestamptz) "
        "AND resolved_at < coalesce({}, 'infinity'::timestamptz)"
    ).format(sql.Literal(since), sql.Literal(until))
    staff = _credited_staff(conn, in_range, credit)
    whole: list[Any] = []
    counts: dict[GroupKey, dict[str, int]] = {key: {} for key in counted}
    medians: dict[GroupKey, dict[str, Medians]] = {key: {} for key in timed}

    def read_whole(rows: Rows) -> None:
        whole.extend(rows[0])

    def read_medians(rows: Rows) -> None:
        for index, value, (first, resolve, first_p90) in _grouped_rows(rows, len(timed)):
            medians[timed[index]][value] = Medians(
                _float(first), _float(resolve), _float(first_p90)
            )

    timing = (
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_s), "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s), "
        "percentile_disc(0.9) WITHIN GROUP (ORDER BY first_response_s)"
    )
    rows = sql.SQL("SELECT * {}").format(in_range)
    labels = [_expression(key, _local(key, zone), staff) for key in timed]
    # The sorts for medians take longest: first, so the other connection has the rest.
    statements = [Statement(_grouped(rows, labels, timing), read_medians)] if timed else []
    statements += _counts(counts, in_range, zone, counted, staff)
    statements.append(
        Statement(
            sql.SQL(
                "SELECT count(*), count(*) FILTER (WHERE reference), "
                "count(*) FILTER (WHERE flagged), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_s), "
                "percentile_disc(0.9) WITHIN GROUP (ORDER BY first_response_s), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s), "
                "percentile_disc(0.9) WITHIN GROUP (ORDER BY resolve_s), "
                "coalesce(sum(time_spent_min), 0), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY time_spent_min), "
                "count(time_spent_min) {}"
            ).format(in_range),
            read_whole,
        )
    )
    pg_snapshot.run(conn, snapshot, statements, another, SETTINGS)
    total, reference, flagged, fr_med, fr_p90, rs_med, rs_p90, spent, spent_med, recorded = whole
    return Tally(
        transactions=int(total),
        reference=int(reference),
        flagged=int(flagged),
        first_response_s=Percentiles(_float(fr_med), _float(fr_p90)),
        resolve_s=Percentiles(_float(rs_med), _float(rs_p90)),
        time_spent_total_min=int(spent),
        time_spent_median_min=_float(spent_med),
        time_spent_recorded=int(recorded),
        counts=counts,
        medians=medians,
    )


def _counts(
    out: dict[GroupKey, dict[str, int]],
    in_range: sql.Composable,
    zone: str,
    keys: list[GroupKey],
    staff: sql.Composable,
) -> list[Statement]:
    """The statements that count every key into ``out``, one per family of keys: the
    transactions' own values, and each of their times. Each first counts the
    transactions by all its family's values at once (a few thousand combinations of
    channel, staff, type…; a local hour for a time), then adds those counts up by
    each key: one hashing of 100,000 rows per family rather than one per key, twice
    as fast."""
    families: dict[str, list[GroupKey]] = {}
    for key in keys:
        families.setdefault(key.time if isinstance(key, LocalTime) else "", []).append(key)
    statements = []
    # The times' families first: theirs are the longer statements.
    for time, members in sorted(families.items(), key=lambda family: not family[0]):
        if time:
            local = sql.Identifier("local")
            source = sql.SQL(
                "SELECT date_trunc('hour', {} AT TIME ZONE {}) AS local, count(*) AS n {} "
                "GROUP BY 1"
            ).format(sql.SQL(_TIMES[time]), sql.Literal(zone), in_range)
            labels = [_expression(key, local, staff) for key in members]
        else:
            values = [sql.Identifier(f"v{i}") for i in range(len(members))]
            source = sql.SQL("SELECT {}, count(*) AS n {} GROUP BY {}").format(
                sql.SQL(", ").join(
                    sql.SQL("{} AS {}").format(_expression(key, _local(key, zone), staff), value)
                    for key, value in zip(members, values, strict=True)
                ),
                in_range,
                sql.SQL(", ").join(sql.Literal(i + 1) for i in range(len(members))),
            )
            labels = list(values)

        def read(rows: Rows, members: list[GroupKey] = members) -> None:
            for index, value, (n,) in _grouped_rows(rows, len(members)):
                out[members[index]][value] = int(n)

        statements.append(Statement(_grouped(source, labels, "sum(n)"), read))
    return statements


def _credited_staff(
    conn: Connection, in_range: sql.Composable, credit: Credit | None
) -> sql.Composable:
    """The SQL for who a transaction is credited to: the ``staff`` column, or, where
    ``credit`` (the team list) spells a recorded name otherwise, that spelling. The
    names are few: each is looked up once, in Python, by the team list's own rule."""
    column = sql.SQL("staff")
    if credit is None:
        return column
    names = [row[0] for row in conn.execute(sql.SQL("SELECT DISTINCT staff {}").format(in_range))]
    renamed = {name: credit(name) for name in names if credit(name) != name}
    if not renamed:
        return column
    return sql.SQL("coalesce({}::jsonb ->> staff, staff)").format(sql.Literal(json.dumps(renamed)))


def _grouped(source: sql.Composable, labels: list[sql.Composable], aggregates: str) -> sql.Composed:
    """The statement of ``aggregates`` over ``source``'s rows by each of ``labels`` (SQL
    over its columns); ``_grouped_rows`` reads its rows."""
    names = [sql.Identifier(f"k{i}") for i in range(len(labels))]
    labelled = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(label, name) for label, name in zip(labels, names, strict=True)
    )
    # GROUPING(k) is 0 in the rows grouped by k: it says which key a row is about.
    which = sql.SQL(", ").join(sql.SQL("GROUPING({})").format(n) for n in names)
    return sql.SQL(
        "SELECT {which}, {names}, {aggregates} FROM (SELECT {labelled}, * FROM ({source}) "
        "AS source) AS labelled GROUP BY GROUPING SETS ({sets})"
    ).format(
        which=which,
        names=sql.SQL(", ").join(names),
        aggregates=sql.SQL(aggregates),  # ours, never from outside
        labelled=labelled,
        source=source,
        sets=sql.SQL(", ").join(sql.SQL("({})").format(n) for n in names),
    )


def _grouped_rows(rows: Rows, n: int) -> list[tuple[int, str, tuple[Any, ...]]]:
    """The rows of a statement ``_grouped`` made with ``n`` labels, as (label's index,
    value, aggregates)."""
    out = []
    for row in rows:
        index = list(row[:n]).index(0)
        out.append((index, str(row[n + index]), tuple(row[2 * n :])))
    return out


def _local(key: GroupKey, zone: str) -> sql.Composable | None:
    """A time key's time in the zone, for each transaction's row."""
    if not isinstance(key, LocalTime | WithinHours):
        return None
    return sql.SQL("({} AT TIME ZONE {})").format(sql.SQL(_TIMES[key.time]), sql.Literal(zone))


def _expression(
    key: GroupKey, local: sql.Composable | None, staff: sql.Composable
) -> sql.Composable:
    """The SQL that labels a transaction as ``tally._label`` and ``_TIME_PARTS`` do;
    ``local``: for a time key, its local time (to the hour at least)."""
    if isinstance(key, Attribute):
        return staff if key.name == "staff" else sql.SQL(_COLUMNS[key.name])  # a fixed column
    if isinstance(key, Answer):
        return sql.SQL("coalesce(answers ->> {}, {})").format(
            sql.Literal(key.field), sql.Literal(key.missing)
        )
    assert local is not None
    if isinstance(key, WithinHours):
        return _within(key.hours, local)
    match key.part:
        case "day":
            # A date, which sorts faster than its text; Python's ``str`` of it is ISO 8601.
            return sql.SQL("({})::date").format(local)
        case "hour":
            return sql.SQL("date_part('hour', {})::int::text").format(local)
        case "weekday":
            return sql.SQL("({}::text[])[date_part('isodow', {})::int]").format(
                sql.Literal(list(WEEKDAYS)), local
            )


def _within(hours: OpeningHours, local: sql.Composable) -> sql.Composable:
    """``open`` when the local weekday and minute fall in one of that day's openings,
    as ``OpeningHours.is_open`` reads them (the minute of the day, seconds left out)."""
    minute = sql.SQL("(date_part('hour', {0})::int * 60 + date_part('minute', {0})::int)").format(
        local
    )
    day = sql.SQL("date_part('isodow', {})::int").format(local)
    openings = [
        sql.SQL("({} = {} AND {} >= {} AND {} < {})").format(
            day, sql.Literal(weekday + 1), minute, sql.Literal(start), minute, sql.Literal(end)
        )
        for weekday, openings_of_day in enumerate(hours.week)
        for start, end in openings_of_day
    ]
    if not openings:
        return sql.Literal("closed")
    return sql.SQL("CASE WHEN {} THEN 'open' ELSE 'closed' END").format(
        sql.SQL(" OR ").join(openings)
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
