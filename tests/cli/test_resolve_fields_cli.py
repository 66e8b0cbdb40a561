"""``askdesk resolve --minutes-spent N --field NAME=CHOICE``, and ``stats --field NAME``."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from askdesk import cli
from askdesk.clock import FixedClock
from askdesk.desk.export import FIELDS
from askdesk.store import TinyDBStore
from tests.conftest import NOW

Run = Callable[..., tuple[int, str, str]]

FIELDS_TOML = """
[[stats.fields]]
name = "patron_type"
choices = ["adult", "teen", "child"]
required = true

[[stats.fields]]
name = "branch"
choices = ["main", "east"]
"""


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    folder = tmp_path / "drop"
    folder.mkdir()
    lines = [
        {"id": str(n), "author": "Sam", "text": "Open Monday?", "received_at": "2026-11-23T13:00Z"}
        for n in (1, 2, 3)
    ]
    (folder / "a.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", "utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n'
        + '[stats]\ntimezone = "UTC"\n'
        + FIELDS_TOML,
        encoding="utf-8",
    )
    store = tmp_path / "desk.json"
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(NOW))

    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main([*args, "--store", str(store), "--config", str(config), "--as", "ana"])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("fetch")[0] == 0
    return run


RESOLVE = ("resolve", "web:1", "--type", "policy", "--read", "2")


def test_resolve_records_minutes_and_fields(run: Run, tmp_path: Path) -> None:
    code, out, err = run(
        *RESOLVE, "--minutes-spent", "12", "--field", "patron_type=Teen", "--field", "branch=east"
    )
    assert (code, err) == (0, "")
    assert "READ 2, 12 min, patron_type teen, branch east" in out
    conversation = TinyDBStore(tmp_path / "desk.json").get("web:1")
    assert conversation is not None
    [resolution] = conversation.resolutions
    assert (resolution.time_spent_min, resolution.fields) == (
        12,
        {"patron_type": "teen", "branch": "east"},
    )
    _, out, _ = run("show", "web:1", "--format", "json")
    shown = json.loads(out)["resolution"]
    assert (shown["time_spent_min"], shown["fields"]["branch"]) == (12, "east")


@pytest.mark.parametrize(
    ("extra", "sentence"),
    [
        (
            ("--field", "patron_type=adult", "--field", "topic=hours"),
            "askdesk: --field topic: no field of that name in [[stats.fields]] "
            "(configured: patron_type, branch)",
        ),
        (
            ("--field", "patron_type=senior"),
            "askdesk: --field patron_type=senior: not one of its choices in [[stats.fields]] "
            "(adult, teen, child)",
        ),
        (
            ("--field", "branch=main"),
            "askdesk: patron type is required ([[stats.fields]] patron_type): "
            "add --field patron_type=CHOICE, one of adult, teen, child",
        ),
        (
            ("--field", "patron_type"),
            "askdesk: --field patron_type: write it as NAME=CHOICE, e.g. branch=main",
        ),
    ],
)
def test_a_bad_answer_is_one_sentence_and_nothing_is_resolved(
    run: Run, tmp_path: Path, extra: tuple[str, ...], sentence: str
) -> None:
    code, out, err = run(*RESOLVE, *extra)
    assert (code, out, err.strip()) == (1, "", sentence)
    conversation = TinyDBStore(tmp_path / "desk.json").get("web:1")
    assert conversation is not None and not conversation.resolutions


def test_minutes_spent_must_be_a_number_of_minutes(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        run(*RESOLVE, "--minutes-spent", "lots", "--field", "patron_type=adult")
    assert usage.value.code == 2
    assert "--minutes-spent: 'lots' is not a whole number of minutes" in capsys.readouterr().err


def test_stats_and_export_carry_time_spent_and_fields(run: Run) -> None:
    run(*RESOLVE, "--minutes-spent", "12", "--field", "patron_type=adult")
    run("resolve", "web:2", "--type", "research", "--read", "4", "--minutes-spent", "30",
        "--field", "patron_type=adult", "--field", "branch=main")  # fmt: skip
    run("resolve", "web:3", "--type", "policy", "--read", "1", "--field", "patron_type=child")
    code, out, _ = run("stats", "--format", "json")
    data = json.loads(out)
    assert data["time_spent_min"] == {"total": 42, "median": 21.0}
    assert data["by_field"] == {
        "patron_type": {"adult": 2, "teen": 0, "child": 1, "(none)": 0},
        "branch": {"main": 1, "east": 0, "(none)": 2},
    }
    code, out, _ = run("stats")
    assert code == 0
    assert "Time spent (total / median)" in out and "42 min / 21 min (2 of 3 recorded)" in out
    assert "By patron type" in out and "By branch" in out
    code, out, _ = run("stats", "--field", "branch", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert [row[:3] for row in rows[2:]] == [
        ["field:branch", "main", "1"],
        ["field:branch", "east", "0"],
        ["field:branch", "(none)", "2"],
    ]
    code, out, _ = run("stats", "--field", "patron_type")
    assert "By patron type" in out and "Patron type" in out and "(median)" in out
    _, out, _ = run("export")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [*FIELDS, "patron_type", "branch"]
    spent = FIELDS.index("time_spent_min")
    assert [[row[spent], *row[-2:]] for row in rows[1:]] == [
        ["12", "adult", ""],
        ["30", "adult", "main"],
        ["", "child", ""],
    ]


def test_stats_refuses_an_unknown_field_naming_the_config_key(run: Run) -> None:
    code, out, err = run("stats", "--field", "topic")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "askdesk: stats --field topic: no field of that name in [[stats.fields]] "
        "(configured: patron_type, branch)"
    )
