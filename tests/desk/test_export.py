"""The export: documented columns, one row per transaction, never a patron's data."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from askdesk.desk.export import COLUMNS, FIELDS, export_records, write_csv
from askdesk.desk.stats import compute
from tests.desk.statsweek import NOW, PATRON_STRINGS, Week, build_week

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def week(tmp_path: Path) -> Week:
    return build_week(tmp_path / "desk.json")


def exported(week: Week, tz: ZoneInfo | None = None) -> str:
    out = io.StringIO()
    write_csv(compute(week.store.history(), now=NOW, tz=tz or UTC).transactions, tz or UTC, out)
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
    }
    assert {r["flagged"] for r in rows} == {"yes", "no"}


def test_dates_and_times_are_local(week: Week) -> None:
    rows = list(csv.DictReader(io.StringIO(exported(week, ZoneInfo("America/New_York")))))
    assert (rows[0]["date"], rows[0]["time"], rows[0]["weekday"]) == ("2026-11-16", "04:20", "mon")


def test_no_patron_data_in_the_export(week: Week) -> None:
    text = exported(week)
    assert [s for s in PATRON_STRINGS if s in text] == []
    for key in week.keys.values():  # keys hold platform ids, some of them the patron's
        assert key not in text


def test_json_has_the_same_rows(week: Week) -> None:
    transactions = compute(week.store.history(), now=NOW, tz=UTC).transactions
    records = export_records(transactions, UTC)
    assert [list(r) for r in records] == [list(FIELDS)] * 5
    assert records[1]["flagged"] is True
    assert records[1]["read_level"] == 4
