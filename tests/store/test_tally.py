"""The store's tally is exactly the one worked out in Python, on every backend.

PostgreSQL works it out in SQL (``pg_tally``); these tests hold it to
``tally_of`` over the same transactions: every group key, local days and
hours across the end of summer time, medians of odd and even counts, minutes
spent, the library's fields, and ranges with and without ends.
"""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg import sql
from storekit import OpenStore, make_message

from askdesk.model import Outcome, QuestionType, transitions
from askdesk.model.opening_hours import parse_hours
from askdesk.model.transactions import transactions_of
from askdesk.store import Store, pg_snapshot
from askdesk.store.postgres_store import PostgresStore
from askdesk.store.tally import Answer, Attribute, GroupKey, LocalTime, WithinHours, tally_of
from tests.busy_fortnight import END, FIELD_NAMES, HOURS, START, fill

KEYS: list[GroupKey] = [
    *(
        Attribute(name)
        for name in ("channel", "kind", "question_type", "outcome", "read_level", "staff")
    ),
    *(
        LocalTime(time, part)
        for time in ("resolved_at", "started_at")
        for part in ("day", "hour", "weekday")
    ),
    *(Answer(name, "(none)") for name in (*FIELD_NAMES, "never_asked")),
    # Openings on the half hour, a day in two, a day to midnight, Sunday closed.
    WithinHours("started_at", parse_hours(HOURS)),
    WithinHours("resolved_at", parse_hours({"sun": "0:00-24:00"})),
]
ZONES: list[tzinfo] = [
    UTC,
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Asia/Kathmandu"),  # +05:45: a day does not start on the hour
    timezone(timedelta(hours=-3)),  # no name a server knows: worked out in Python
]
RANGES = [
    (None, None),
    (START + timedelta(days=3, hours=5), None),
    (None, START + timedelta(days=9, minutes=17)),
    (datetime(2026, 10, 25, tzinfo=ZoneInfo("Europe/Berlin")), END),
    (END + timedelta(days=30), None),  # nothing in it
]


@pytest.fixture
def busy(store: Store) -> Store:
    fill(store)
    return store


def test_the_tally_is_the_one_python_works_out(busy: Store) -> None:
    every = [t for c in busy.history() for t in transactions_of(c)]
    for tz, (since, until) in itertools.product(ZONES, RANGES):
        chosen = [
            t
            for t in every
            if (since is None or t.resolved_at >= since)
            and (until is None or t.resolved_at < until)
        ]
        assert busy.tally(since, until, tz, KEYS, KEYS) == tally_of(chosen, tz, KEYS, KEYS)


def test_a_count_without_medians_and_the_figures_of_the_whole_range(busy: Store) -> None:
    figures = busy.tally(None, None, UTC, [Attribute("staff")])
    assert figures.medians == {}
    assert sum(figures.counts[Attribute("staff")].values()) == figures.transactions > 150
    assert 0 < figures.reference < figures.transactions
    assert 0 < figures.time_spent_recorded < figures.transactions
    assert figures.first_response_s.median is not None


def test_a_team_list_credits_the_names_as_listed_on_both_backends(busy: Store) -> None:
    """Two recorded names credited to one member (``Bo`` is ``bo``): merged, medians too."""

    def credit(name: str) -> str:
        return "ana" if name in ("ana", "bo") else name.upper()

    every = [t for c in busy.history() for t in transactions_of(c)]
    figures = busy.tally(None, None, UTC, KEYS, KEYS, credit)
    assert figures == tally_of(every, UTC, KEYS, KEYS, credit)
    assert set(figures.counts[Attribute("staff")]) == {"ana", "CY", "DEE", "ED"}


def test_a_tally_taken_while_a_colleague_resolves_is_of_one_moment(
    busy: Store, open_store_here: OpenStore
) -> None:
    """Each group key's counts add up to the tally's transactions although another
    desk resolves question after question meanwhile: every figure is read at one moment
    (on PostgreSQL, its statements share one snapshot)."""
    colleague = open_store_here()
    done = threading.Event()

    def resolve_questions() -> None:
        for n in itertools.count():
            if done.is_set():
                return
            at = END + timedelta(minutes=n)
            late = make_message(f"late{n}", channel="chat", received_at=at)
            colleague.ingest([late], at)
            colleague.update(
                late.key,
                partial(
                    transitions.resolve,
                    staff="ed",
                    at=at + timedelta(seconds=30),
                    outcome=Outcome.ANSWERED,
                    question_type=QuestionType.DIRECTIONAL,
                    read_level=1,
                ),
            )

    writer = threading.Thread(target=resolve_questions)
    writer.start()
    try:
        seen = set()
        for _ in range(40):
            figures = busy.tally(None, None, UTC, KEYS)
            seen.add(figures.transactions)
            for key in KEYS:
                assert sum(figures.counts[key].values()) == figures.transactions, key
    finally:
        done.set()
        writer.join()
    assert len(seen) > 1, "the colleague resolved nothing while the tallies were taken"


def test_with_no_second_connection_to_spare_the_first_reads_everything(
    postgres_url: str,
) -> None:
    """A pool of one: the tally's statements, meant for two connections, run on the one."""
    store = PostgresStore(postgres_url, pool_size=1)
    try:
        fill(store, questions=40)
        every = [t for c in store.history() for t in transactions_of(c)]
        assert store.tally(None, None, UTC, KEYS, KEYS) == tally_of(every, UTC, KEYS, KEYS)
    finally:
        store.close()


def test_a_statement_that_fails_on_the_second_connection_fails_the_read(
    postgres_url: str,
) -> None:
    """The first connection sleeps while the second, come meanwhile, takes the next
    statement, which fails: the caller hears of it, not a figure short."""
    rows: list[pg_snapshot.Rows] = []
    slow = pg_snapshot.Statement(sql.SQL("SELECT pg_sleep(1)").format(), rows.append)
    failing = pg_snapshot.Statement(sql.SQL("SELECT 1 / 0").format(), rows.append)

    def another() -> psycopg.Connection[Any]:
        return psycopg.connect(postgres_url)

    with psycopg.connect(postgres_url) as conn, pytest.raises(psycopg.errors.DivisionByZero):
        snapshot = pg_snapshot.begin(conn)
        pg_snapshot.run(conn, snapshot, [slow, failing], another)
