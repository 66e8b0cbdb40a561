"""The export: documented columns, one row per transaction, never a patron's data."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from askdesk.config import StatsField
from askdesk.desk.export import COLUMNS, FIELDS, export_records, write_csv
from askdesk.desk.stats import resolved_in, stored_in
from askdesk.model import Kind, Outcome, QuestionType, transitions
from askdesk.model.transactions import Transaction
from tests.desk.statsweek import PATRON_STRINGS, Week, at, build_week, message

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def week(tmp_path: Path) -> Week:
    return build_week(tmp_path / "desk.json")


def exported(week: Week, tz: ZoneInfo | None = None) -> str:
    out = io.StringIO()
    write_csv(resolved_in(week.store.history(), None, None), tz or UTC, out)
    return out.getvalue()


def test_columns_are_the_published_ones_in_order() -> None:
    assert FIELDS == (
        "date",
        "time",
        "weekday",
        "channel",
        "kind",
        "question_type",
        "read_level",
        "outcome",
        "staff",
        "first_response_s",
        "resolve_s",
        "flagged",
        "messages",
        "time_spent_min",
        "id",
        "asked_at",
        "resolved_at",
    )


def test_every_column_is_documented() -> None:
    docs = (ROOT / "docs" / "statistics.md").read_text(encoding="utf-8")
    for name, what in COLUMNS:
        assert f"| `{name}` |" in docs, f"column {name} is not in docs/statistics.md"
        assert what


def test_one_row_per_transaction_in_order_of_resolving(week: Week) -> None:
    rows = list(csv.DictReader(io.StringIO(exported(week))))
    assert [(r["date"], r["time"], r["channel"], r["staff"]) for r in rows] == [
        ("2026-11-16", "09:20", "twitter", "ana"),
        ("2026-11-17", "09:00", "drop", "bo"),
        ("2026-11-17", "12:10", "web", "ana"),
        ("2026-11-18", "09:30", "web", "ana"),
        ("2026-11-18", "10:05", "web", "ana"),
    ]
    b = rows[1]
    assert b == {
        "date": "2026-11-17",
        "time": "09:00",
        "weekday": "tue",
        "channel": "drop",
        "kind": "email",
        "question_type": "research",
        "read_level": "4",
        "outcome": "referred",
        "staff": "bo",
        "first_response_s": "3600",
        "resolve_s": "82800",
        "flagged": "yes",
        "messages": "2",
        "time_spent_min": "",
        "id": b["id"],
        "asked_at": "2026-11-16T10:00:00+00:00",
        "resolved_at": "2026-11-17T09:00:00+00:00",
    }
    assert {r["flagged"] for r in rows} == {"yes", "no"}


def test_dates_and_times_are_local(week: Week) -> None:
    rows = list(csv.DictReader(io.StringIO(exported(week, ZoneInfo("America/New_York")))))
    assert (rows[0]["date"], rows[0]["time"], rows[0]["weekday"]) == ("2026-11-16", "04:20", "mon")
    b = rows[1]  # asked Monday 10:00 UTC, resolved Tuesday 09:00 UTC
    assert (b["asked_at"], b["resolved_at"]) == (
        "2026-11-16T05:00:00-05:00",
        "2026-11-17T04:00:00-05:00",
    )
    assert b["resolved_at"].startswith(f"{b['date']}T{b['time']}")


def test_no_patron_data_in_the_export(week: Week) -> None:
    text = exported(week)
    assert [s for s in PATRON_STRINGS if s in text] == []
    for key in week.keys.values():  # keys hold platform ids, some of them the patron's
        assert key not in text


def test_json_has_the_same_rows(week: Week) -> None:
    transactions = resolved_in(week.store.history(), None, None)
    records = export_records(transactions, UTC)
    assert [list(r) for r in records] == [list(FIELDS)] * 5
    assert records[1]["flagged"] is True
    assert records[1]["read_level"] == 4


def ids_by_row(
    week: Week, since: datetime | None = None, until: datetime | None = None
) -> dict[str, str]:
    """Each exported row's ``id`` by when it was asked, read through the store as the CLI does."""
    transactions = stored_in(week.store, since, until)
    return {r["asked_at"]: r["id"] for r in export_records(transactions, UTC)}


def test_the_id_is_the_same_in_overlapping_exports_and_after_a_late_correction(week: Week) -> None:
    """Monday-Tuesday and Tuesday-Wednesday share Tuesday's rows, with the same ids; bo's
    correction of ana's D a week later changes its type, not its id."""
    whole = ids_by_row(week)
    assert len(set(whole.values())) == len(whole) == 5
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in whole.values())
    early = ids_by_row(week, at(0, 0), at(2, 0))
    late = ids_by_row(week, at(1, 0), at(3, 0))
    assert early.keys() & late.keys()  # the ranges overlap in Tuesday's rows
    assert {k: early[k] for k in early.keys() & late.keys()} == {
        k: late[k] for k in early.keys() & late.keys()
    }
    assert {**early, **late} == whole

    week.clock.advance(days=7)
    week.bo.reopen(week.keys["D"])
    week.bo.resolve(week.keys["D"], Outcome.ANSWERED, QuestionType.RESEARCH, 3)
    assert ids_by_row(week) == whole
    [d] = [
        t
        for t in stored_in(week.store, None, None)
        if t.channel == "web" and t.question_type is QuestionType.RESEARCH
    ]
    assert (d.staff, whole[d.started_at.isoformat()]) == ("ana", d.id)


def test_a_transaction_resolved_before_ids_gets_one_that_stays(week: Week) -> None:
    """Resolved by an askdesk that recorded no id: the export makes one from what the row
    shows (never the key or platform id), the same in every range and after a correction."""
    week.ana.ingest([message("web", "old-1", at(3, 9), conversation="old-thread")])
    key = "web:old-thread"
    week.clock.advance(seconds=(at(3, 9, 15) - week.clock.now()).total_seconds())
    week.store.update(
        key,
        lambda c: transitions.resolve(
            c, "ana", at(3, 9, 15), Outcome.ANSWERED, QuestionType.POLICY, 2
        ),
    )
    [event] = [e for e in week.store.get(key).events if e.action == "resolve"]
    assert "transaction" not in event.details  # as an older askdesk wrote it
    asked = at(3, 9).isoformat()
    first = ids_by_row(week)[asked]
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert ids_by_row(week, at(3, 0), at(4, 0))[asked] == first

    week.clock.advance(days=7)
    week.bo.reopen(key)  # a correction by a colleague records an id of its own ...
    week.bo.resolve(key, Outcome.REFERRED, QuestionType.RESEARCH, 4)
    assert ids_by_row(week)[asked] == first  # ... but the transaction keeps the one it had
    for platform_part in ("old-thread", "old-1", key):
        assert platform_part not in first


def test_a_cell_a_spreadsheet_would_run_is_written_as_text() -> None:
    """Channel and staff names and field choices come from people; in CSV one that starts
    like a formula gets a leading ', in JSON it stays exact."""
    hostile = {
        "channel": '=HYPERLINK("http://evil.example","x")',
        "staff": "@SUM(1+1)",
        "branch": "-2+3",
    }
    t = Transaction(
        channel=hostile["channel"],
        kind=Kind.DIRECT,
        started_at=at(0, 9),
        resolved_at=at(0, 9, 30),
        staff=hostile["staff"],
        outcome=Outcome.ANSWERED,
        question_type=QuestionType.POLICY,
        read_level=2,
        first_response_s=600,
        resolve_s=1800,
        flagged=False,
        messages=1,
        id="0123456789abcdef",
        fields={"branch": hostile["branch"]},
    )
    branch = StatsField("branch", ("+central", "-2+3"))
    out = io.StringIO()
    write_csv([t], UTC, out, [branch])
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {k: row[k] for k in hostile} == {k: "'" + v for k, v in hostile.items()}
    assert (row["read_level"], row["date"], row["outcome"]) == ("2", "2026-11-16", "answered")
    [record] = export_records([t], UTC, [branch])
    assert {k: record[k] for k in hostile} == hostile


def test_excel_starts_with_a_byte_order_mark(week: Week) -> None:
    transactions = resolved_in(week.store.history(), None, None)
    plain, excel = io.StringIO(), io.StringIO()
    write_csv(transactions, UTC, plain)
    write_csv(transactions, UTC, excel, excel=True)
    assert excel.getvalue() == "\ufeff" + plain.getvalue()
    assert not plain.getvalue().startswith("\ufeff")
