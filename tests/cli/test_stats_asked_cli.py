"""``askdesk stats`` says when patrons asked, in text and JSON, on the statsweek."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askdesk import cli
from askdesk.clock import FixedClock
from tests.desk.statsweek import NOW, Week, build_week


@pytest.fixture
def week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Week:
    w = build_week(tmp_path / "desk.json")
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(NOW))
    monkeypatch.setenv("TZ", "UTC")
    return w


def stats(week: Week, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = cli.main(["stats", *args, "--store", week.store.location, "--as", "ana"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return out


def test_json_has_asked_by_hour_and_weekday(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(stats(week, capsys, "--format", "json"))
    assert {h: n for h, n in data["asked_by_hour"].items() if n} == {"9": 2, "10": 2, "12": 1}
    assert data["asked_by_weekday"]["mon"] == 2


def test_text_by_hour_asked(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    """Asked at 10: B (first response 1h) and D (5m), median 32m 30s."""
    out = stats(week, capsys, "--by", "asked_hour")
    assert "By hour asked" in out
    row = next(line for line in out.splitlines() if line.startswith("│ 10 "))
    assert [cell.strip() for cell in row.strip("│").split("│")] == [
        "10",
        "2",
        "40%",
        "32m 30s",
        "11h 32m",
    ]


def test_csv_has_the_asked_rows(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    """Asked on Wednesday: C's second (30m) and D (5m)."""
    rows = stats(week, capsys, "--format", "csv").splitlines()
    assert "asked_weekday,wed,2,1050,1050" in rows
    assert "weekday,wed,2,1050,1050" in rows
    assert "asked_hour,10,2,1950,41550" in rows


HOURS = """[library]
name = "Eastside"
hours = { mon = "9:30-17:00", tue = "9:30-17:00", wed = "9:30-17:00" }
"""


def test_first_response_asked_while_open_and_closed(
    week: Week, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Opening at 9:30, A (Mon 9:00, 20m) and C's second (Wed 9:00, 30m) were asked while
    closed; B (1h), C's first (10m) and D (5m) while open."""
    config = tmp_path / "config.toml"
    config.write_text(HOURS, encoding="utf-8")
    data = json.loads(stats(week, capsys, "--format", "json", "--config", str(config)))
    assert data["first_response_closed_s"] == {"median": 1500.0, "p90": 1800.0}
    assert data["first_response_open_s"] == {"median": 600.0, "p90": 3600.0}
    out = stats(week, capsys, "--config", str(config))
    rows = [line.strip("│ ") for line in out.splitlines()]
    assert any(
        r.startswith("asked while open (3)") and r.endswith("10m 00s / 1h 00m") for r in rows
    )
    assert any(
        r.startswith("asked while closed (2)") and r.endswith("25m 00s / 30m 00s") for r in rows
    )


def test_without_hours_the_text_has_no_split(
    week: Week, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "asked while" not in stats(week, capsys)
