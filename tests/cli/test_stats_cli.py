"""``askdesk stats``, ``export``, ``purge`` and ``handover`` on the statsweek, fixed clock."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from askdesk import cli, cli_stats
from askdesk.clock import FixedClock
from askdesk.desk.export import FIELDS
from askdesk.model import Status
from askdesk.store import TinyDBStore
from tests.cli.test_list_streaming import RecordingStdout
from tests.desk.statsweek import NOW, PATRON_STRINGS, Week, at, build_week, message


@pytest.fixture
def week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Week:
    """The statsweek in ``tmp_path/desk.json``; the command line runs at its NOW in UTC."""
    w = build_week(tmp_path / "desk.json")
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(NOW))
    monkeypatch.setenv("TZ", "UTC")
    return w


def run(
    week: Week, capsys: pytest.CaptureFixture[str], *args: str, staff: str = "ana"
) -> tuple[int, str, str]:
    code = cli.main([*args, "--store", week.store.location, "--as", staff])
    out, err = capsys.readouterr()
    return code, out, err


def stats_json(week: Week, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(week, capsys, "stats", "--format", "json", *args)
    assert (code, err) == (0, "")
    data: dict[str, Any] = json.loads(out)
    return data


def test_stats_json_for_a_range(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    data = stats_json(week, capsys, "--since", "2026-11-17", "--until", "2026-11-18")
    assert data["transactions"] == 4
    assert data["by_staff"] == {"ana": 3, "bo": 1}
    assert data["by_read"] == {"1": 1, "2": 2, "3": 0, "4": 1, "5": 0, "6": 0}
    assert data["since"] == "2026-11-17T00:00:00+00:00"
    assert data["until"] == "2026-11-19T00:00:00+00:00"  # --until takes in the whole day
    assert data["backlog"] == {"open": 0, "oldest_s": None, "as_of": data["until"]}


def test_stats_json_puts_reference_transactions_first(
    week: Week, capsys: pytest.CaptureFixture[str]
) -> None:
    """A's directional question is a transaction but not a reference transaction."""
    data = stats_json(week, capsys)
    figures = [k for k in data if k not in ("generated_at", "since", "until", "timezone")]
    assert figures[:2] == ["reference_transactions", "transactions"]
    assert (data["reference_transactions"], data["transactions"]) == (4, 5)


def test_the_same_range_gives_the_same_json(
    week: Week, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = stats_json(week, capsys, "--since", "2026-11-16", "--until", "2026-11-18")
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(at(6, 18)))
    second = stats_json(week, capsys, "--since", "2026-11-16", "--until", "2026-11-18")
    assert first.pop("generated_at") != second.pop("generated_at")
    assert first == second


def test_stats_table_shows_the_figures(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(week, capsys, "stats")
    assert code == 0
    rows = [line for line in out.splitlines() if "ransactions" in line]
    assert "Reference transactions" in rows[0] and rows[0].rstrip(" │|").endswith("4")
    assert "Transactions (all)" in rows[1] and rows[1].rstrip(" │|").endswith("5")
    assert "20m 00s / 1h 00m" in out  # first response median / 90th percentile
    assert "By staff" in out and "By READ level" in out


def test_stats_by_one_dimension(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(week, capsys, "stats", "--by", "hour")
    assert code == 0
    assert "By hour" in out and "First response (median)" in out
    code, out, _ = run(week, capsys, "stats", "--by", "read", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "dimension",
        "value",
        "transactions",
        "first_response_median_s",
        "resolve_median_s",
    ]
    assert rows[1] == ["all", "", "5", "1200", "1200"]
    assert rows[2:] == [
        ["read", "1", "2", "1500", "1500"],
        ["read", "2", "2", "450", "450"],
        ["read", "3", "0", "", ""],
        ["read", "4", "1", "3600", "82800"],
        ["read", "5", "0", "", ""],
        ["read", "6", "0", "", ""],
    ]


def test_export_csv(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(week, capsys, "export", "--since", "2026-11-17", "--until", "2026-11-17")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == list(FIELDS)
    assert len(rows) == 3  # B and C's first
    assert [s for s in PATRON_STRINGS if s in out] == []


def test_export_json(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(week, capsys, "export", "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert len(records) == 5
    assert list(records[0]) == list(FIELDS)


def test_export_excel_starts_with_a_byte_order_mark(
    week: Week, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(week, capsys, "export", "--excel")
    assert code == 0
    assert out.startswith("\ufeffdate,time,weekday,")
    code, plain, _ = run(week, capsys, "export")
    assert (code, out) == (0, "\ufeff" + plain)


def test_export_excel_is_refused_with_json(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(week, capsys, "export", "--format", "json", "--excel")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "askdesk: --excel is for CSV (it starts the file with a byte-order mark); "
        "leave it out with --format json"
    )


def test_export_is_utf8_whatever_the_locale(week: Week) -> None:
    """Under an ASCII locale the export is still UTF-8 (a staff name with an accent, the
    mark of --excel); the command does not die on the first character ASCII lacks."""
    week.store.update(
        "web:c-thread",
        lambda c: replace(
            c,
            resolutions=tuple(replace(r, staff="zoë") for r in c.resolutions),
        ),
    )
    done = subprocess.run(
        [sys.executable, "-m", "askdesk", "export", "--excel", "--store", week.store.location],
        env={**os.environ, "PYTHONIOENCODING": "ascii", "TZ": "UTC", "ASKDESK_AS": "ana"},
        capture_output=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.startswith(b"\xef\xbb\xbfdate,")
    assert b",zo\xc3\xab," in done.stdout


def test_stats_csv_writes_a_formula_like_value_as_text(
    week: Week, capsys: pytest.CaptureFixture[str]
) -> None:
    week.store.update(
        "web:c-thread",
        lambda c: replace(c, resolutions=tuple(replace(r, staff="=1+1") for r in c.resolutions)),
    )
    code, out, _ = run(week, capsys, "stats", "--format", "csv", "--by", "staff")
    assert code == 0
    assert ["staff", "'=1+1", "2", "1200", "1200"] in list(csv.reader(io.StringIO(out)))


def test_a_bad_date_is_one_sentence(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(week, capsys, "stats", "--since", "last tuesday")
    assert code == 1
    assert err.startswith("askdesk: 'last tuesday' is not a date")
    code, _, err = run(week, capsys, "stats", "--since", "2026-11-18", "--until", "2026-11-17")
    assert (code, err.strip()) == (1, "askdesk: --until must come after --since")


def test_purge_dry_run_then_purge_keeps_the_statistics(
    week: Week, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[retention]\nanonymize_after_days = 1.5\n", encoding="utf-8")
    before = stats_json(week, capsys)
    code, out, _ = run(week, capsys, "purge", "--dry-run", "--config", str(config))
    # At Thu 12:00, 36 hours after: A (Mon) and B (Tue 09:00) are due; C and D (Wed) not yet.
    assert code == 0
    # Counts and ages, no keys: a key can hold a phone number or a platform id.
    assert out.splitlines() == [
        "would anonymize 2 conversations (drop 1, twitter 1)",
        "  resolved 2 to 3 days ago",
        "would remove 0 log records naming a patron",
    ]
    _, out, _ = run(week, capsys, "purge", "--dry-run", "--verbose", "--config", str(config))
    assert out.splitlines()[-2:] == ["  twitter:1001", "  drop:dm-4711-patron"]
    code, out, _ = run(week, capsys, "purge", "--config", str(config))
    assert out.splitlines()[0] == "anonymized 2 conversations (drop 1, twitter 1)"
    after = stats_json(week, capsys)
    before.pop("generated_at"), after.pop("generated_at")
    assert after == before
    code, out, _ = run(week, capsys, "purge", "--config", str(config))
    assert out.splitlines()[0] == "nothing was due"


def test_a_channel_keeps_its_own_retention(
    week: Week, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[retention]\nanonymize_after_days = 365\n\n[[channels]]\ntype = "drop"\nname = "drop"\n'
        'path = "/nonexistent"\nanonymize_after_days = 0\n',
        encoding="utf-8",
    )
    code, out, _ = run(week, capsys, "purge", "--config", str(config))
    assert (code, out.splitlines()[0]) == (0, "anonymized 1 conversation (drop 1)")


def _hold_two(week: Week) -> None:
    week.ana.ingest([message("web", "g1", at(3, 10)), message("web", "h1", at(3, 11))])
    week.ana.claim("web:g1")
    week.ana.claim("web:h1")


def test_handover_release_all_with_a_note(
    week: Week, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _hold_two(week)
    save = tmp_path / "shift.txt"
    code, out, _ = run(
        week, capsys, "handover", "--release-all", "--note", "left for late shift",
        "--since", "2026-11-18", "--save", str(save),
    )  # fmt: skip
    assert code == 0
    assert "  web:g1: released to New" in out and "  web:h1: released to New" in out
    assert "Answered: 2" in out  # C again and D, on Wednesday
    assert save.read_text(encoding="utf-8") in out
    store = TinyDBStore(week.store.location)
    g = store.get("web:g1")
    assert g is not None and g.status is Status.NEW
    assert [n.details["text"] for n in g.notes] == ["left for late shift"]


def test_handover_to_a_colleague(week: Week, capsys: pytest.CaptureFixture[str]) -> None:
    _hold_two(week)
    code, out, _ = run(week, capsys, "handover", "--to", "bo")
    assert code == 0
    assert "Still open: you hold 0; 4 open on the desk in all" in out
    store = TinyDBStore(week.store.location)
    bo = {c.key for c in store.live() if c.holder == "bo" and c.status is Status.CLAIMED}
    assert bo == {"web:f1", "web:g1", "web:h1"}


def test_handover_asks_about_each_on_a_terminal(
    week: Week, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _hold_two(week)
    answers = iter(["what?", "h bo he knows the branch", "k"])
    monkeypatch.setattr(cli_stats, "_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    code, out, _ = run(week, capsys, "handover")
    assert code == 0
    assert "please answer" in out
    assert "  web:g1: handed to bo" in out and "  web:h1: kept" in out
    assert "Still open: you hold 1 (web:h1)" in out


def test_handover_off_a_terminal_keeps_everything(
    week: Week, capsys: pytest.CaptureFixture[str]
) -> None:
    _hold_two(week)
    code, out, err = run(week, capsys, "handover")
    assert code == 0
    assert "keeping everything" in err
    assert "you hold 2" in out


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("", ("keep", None, None)),
        ("k", ("keep", None, None)),
        ("r", ("release", None, None)),
        ("release call back Monday", ("release", None, "call back Monday")),
        ("h cy", ("hand", "cy", None)),
        ("h cy knows Welsh", ("hand", "cy", "knows Welsh")),
    ],
)
def test_handover_answers(answer: str, expected: tuple[str, str | None, str | None]) -> None:
    decision = cli_stats.parse_decision(answer)
    assert decision is not None
    assert (decision.choice.value, decision.to, decision.note) == expected


@pytest.mark.parametrize("answer", ["h", "x", "maybe"])
def test_unclear_handover_answers(answer: str) -> None:
    assert cli_stats.parse_decision(answer) is None


def test_stats_json_goes_out_in_one_write(week: Week, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a write per token: an unbuffered stdout (PYTHONUNBUFFERED) makes each a system
    call, 80,000 for a year's figures by day."""
    out = RecordingStdout()
    monkeypatch.setattr(sys, "stdout", out)
    code = cli.main(["stats", "--format", "json", "--store", week.store.location])
    assert code == 0
    assert len(out.writes) == 1
    assert json.loads(out.getvalue())["transactions"] > 0
