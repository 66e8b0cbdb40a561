"""Time spent and the library's own fields: recorded with a resolve, kept by the store,
counted by the statistics and carried by the export, columns at the end.

=====  =============================================  =======  ============================
 conv   what happens                                   minutes  fields
=====  =============================================  =======  ============================
 A      ana resolves with 10 min                       10       patron_type adult, branch main
 B      bo resolves with 4 min, then reopens it and    4 + 2    patron_type teen (corrected
        corrects it with 2 min more                             from child), no branch
 C      ana resolves without recording anything        -        -
 D      ana resolves with 30 min, branch "annex"       30       patron_type adult, branch
        (a choice the config has since dropped)                 annex
=====  =============================================  =======  ============================

time_spent_min: total 10 + 6 + 30 = 46 over three recorded; median 10.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from askdesk.clock import FixedClock
from askdesk.config import StatsField
from askdesk.desk import Desk
from askdesk.desk.export import FIELDS, export_records, write_csv
from askdesk.desk.stats import compute, resolved_in, stats_record
from askdesk.errors import TransitionError
from askdesk.model import Kind, Message, Outcome, QuestionType
from askdesk.model.transactions import Transaction, transactions_of
from askdesk.store import TinyDBStore

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=1)
FIELDS_CONFIG = (
    StatsField("patron_type", ("adult", "teen", "child"), required=True),
    StatsField("branch", ("main", "east")),
)


def message(remote_id: str, minutes: int) -> Message:
    return Message(
        channel="web",
        remote_id=remote_id,
        kind=Kind.DIRECT,
        author="Sam",
        text="A question",
        received_at=START + timedelta(minutes=minutes),
    )


@pytest.fixture
def store(tmp_path: Path) -> TinyDBStore:
    store = TinyDBStore(tmp_path / "desk.json")
    clock = FixedClock(START)
    ana, bo = Desk(store, "ana", clock), Desk(store, "bo", clock)
    ana.ingest([message(c, n) for n, c in enumerate("ABCD")])
    answered, policy = Outcome.ANSWERED, QuestionType.POLICY
    clock.advance(minutes=20)
    ana.resolve(
        "web:A",
        answered,
        policy,
        2,
        time_spent_min=10,
        fields={"patron_type": "adult", "branch": "main"},
    )
    bo.resolve("web:B", answered, policy, 2, time_spent_min=4, fields={"patron_type": "child"})
    ana.resolve("web:C", answered, policy, 1)
    ana.resolve(
        "web:D",
        answered,
        policy,
        3,
        time_spent_min=30,
        fields={"patron_type": "adult", "branch": "annex"},
    )
    clock.advance(minutes=20)
    bo.reopen("web:B")
    bo.resolve("web:B", answered, policy, 2, time_spent_min=2, fields={"patron_type": "teen"})
    return store


def test_the_store_keeps_what_was_recorded(store: TinyDBStore) -> None:
    reread = TinyDBStore(Path(store.location))
    b = reread.get("web:B")
    assert b is not None
    assert [(r.time_spent_min, r.fields) for r in b.resolutions] == [
        (4, {"patron_type": "child"}),
        (2, {"patron_type": "teen"}),
    ]
    resolve_events = [e.details for e in b.events if e.action == "resolve"]
    assert resolve_events[-1]["minutes"] == 2
    assert resolve_events[-1]["fields"] == {"patron_type": "teen"}
    c = reread.get("web:C")
    assert c is not None and c.resolutions[0].time_spent_min is None


def test_a_correction_adds_its_minutes_and_sets_the_fields(store: TinyDBStore) -> None:
    b = store.get("web:B")
    assert b is not None
    [transaction] = transactions_of(b)
    assert transaction.time_spent_min == 6
    assert transaction.fields == {"patron_type": "teen"}


def test_a_transaction_survives_a_plain_dict_round_trip(store: TinyDBStore) -> None:
    """What a database store keeps of a transaction: JSON and back, nothing lost."""
    for conversation in store.history():
        for t in transactions_of(conversation):
            plain = json.loads(json.dumps(asdict(t), default=str))
            assert plain["time_spent_min"] == t.time_spent_min
            assert plain["fields"] == t.fields
            rebuilt = {**asdict(t), "fields": plain["fields"]}
            assert Transaction(**rebuilt) == t


def test_stats_count_time_spent_and_every_field(store: TinyDBStore) -> None:
    stats = compute(store.history(), now=NOW, tz=UTC, fields=[f.name for f in FIELDS_CONFIG])
    record = stats_record(stats, NOW, FIELDS_CONFIG)
    assert record["time_spent_min"] == {"total": 46, "median": 10.0}
    assert record["by_field"] == {
        "patron_type": {"adult": 2, "teen": 1, "child": 0, "(none)": 1},
        "branch": {"main": 1, "east": 0, "annex": 1, "(none)": 2},
    }
    assert stats.time_spent_recorded == 3


def test_no_recorded_time_is_a_total_of_zero_and_no_median(tmp_path: Path) -> None:
    stats = compute([], now=NOW, tz=UTC)
    assert stats_record(stats, NOW)["time_spent_min"] == {"total": 0, "median": None}
    assert stats_record(stats, NOW)["by_field"] == {}


def test_the_export_adds_time_spent_and_the_fields_come_last(store: TinyDBStore) -> None:
    transactions = resolved_in(store.history(), None, None)
    out = io.StringIO()
    write_csv(transactions, UTC, out, FIELDS_CONFIG)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == [*FIELDS, "patron_type", "branch"]
    spent = FIELDS.index("time_spent_min")
    by_minutes = [[row[spent], *row[-2:]] for row in rows[1:]]
    assert sorted(by_minutes) == sorted(
        [["10", "adult", "main"], ["6", "teen", ""], ["", "", ""], ["30", "adult", "annex"]]
    )
    records = export_records(transactions, UTC, FIELDS_CONFIG)
    assert list(records[0])[-2:] == ["patron_type", "branch"]
    assert {(r["time_spent_min"], r["branch"]) for r in records} == {
        (10, "main"),
        (6, None),
        (None, None),
        (30, "annex"),
    }


def test_a_time_spent_out_of_range_is_refused_in_words(tmp_path: Path) -> None:
    store = TinyDBStore(tmp_path / "desk.json")
    desk = Desk(store, "ana", FixedClock(START))
    desk.ingest([message("A", 0)])
    with pytest.raises(TransitionError, match="time spent must be 0-1440 minutes, not 2000"):
        desk.resolve("web:A", Outcome.ANSWERED, QuestionType.POLICY, 1, time_spent_min=2000)
    conversation = store.get("web:A")
    assert conversation is not None and not conversation.resolutions
