"""``askdesk stats`` gives the same figures on a TinyDB file and on PostgreSQL.

A busy fortnight is built in a TinyDB store, moved to PostgreSQL with
``askdesk store copy``, and every statistics output is compared between the
two, byte for byte but for the moment it was generated: JSON and CSV, in time
zones on both sides of UTC, over ranges that cut days in two. PostgreSQL
works the figures out in SQL; TinyDB in Python from the conversations.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askdesk import cli
from askdesk.clock import FixedClock
from askdesk.store import TinyDBStore
from tests.busy_fortnight import FIELDS_TOML, HOURS_TOML, NOW, fill

ZONES = ("UTC", "America/New_York", "Asia/Kathmandu")
ASKS = [
    ("stats", "--format", "json"),
    ("stats", "--format", "json", "--since", "2026-10-24", "--until", "2026-11-01"),
    ("stats", "--format", "json", "--since", "2026-11-01T07:30"),
    ("stats", "--format", "csv"),
    ("stats", "--format", "csv", "--field", "branch", "--until", "2026-10-28"),
    ("stats", "--by", "day"),
    ("stats", "--by", "asked_weekday", "--since", "2026-10-30"),
    ("stats", "--field", "patron_type"),
    ("stats",),
]


def without_moment(out: str) -> str:
    """The output without the line that says when it was generated."""
    return "\n".join(line for line in out.splitlines() if '"generated_at"' not in line)


@pytest.fixture
def stores(tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    path = tmp_path / "desk.json"
    store = TinyDBStore(path)
    fill(store)
    store.close()
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(NOW))
    assert cli.main(["store", "copy", "--to", postgres_url, "--store", str(path)]) == 0
    return str(path), postgres_url


@pytest.mark.parametrize("zone", ZONES)
def test_every_statistics_output_is_the_same_on_both_stores(
    stores: tuple[str, str],
    zone: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[library]\nname = "Anytown"\n{HOURS_TOML}\n[stats]\ntimezone = "{zone}"\n{FIELDS_TOML}',
        encoding="utf-8",
    )
    capsys.readouterr()
    for ask in ASKS:
        outputs = []
        for store in stores:
            code = cli.main([*ask, "--store", store, "--config", str(config), "--as", "ana"])
            out, err = capsys.readouterr()
            assert (code, err) == (0, ""), ask
            outputs.append(without_moment(out))
        tinydb, postgres = outputs
        assert postgres == tinydb, ask
        if ask == ASKS[0]:  # the opening hours split the first response: both halves there
            record = json.loads(tinydb)
            assert record["first_response_open_s"]["median"] is not None
            assert record["first_response_closed_s"]["median"] is not None


def test_the_figures_compared_are_not_empty(
    stores: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert cli.main(["stats", "--format", "json", "--store", stores[1]]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["transactions"] > 150
    assert record["time_spent_min"]["total"] > 0
    assert record["flagged"] > 0
    assert record["backlog"]["open"] > 0
    assert record["first_response_s"]["median"] % 1 == 0.5  # the mean of the two middle ones
