"""The statistics screen with the library's opening hours: the first response asked while
open and while closed, under the first response (statsweek, fixed clock)."""

from __future__ import annotations

import io
from datetime import UTC
from pathlib import Path

from rich.console import Console
from textual.widgets import Static

from askdesk.model.opening_hours import parse_hours
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.stats import StatsScreen
from tests.desk.statsweek import build_week

SIZE = (140, 45)


async def figures(tmp_path: Path, hours: str | None) -> str:
    week = build_week(tmp_path / "desk.json")
    app = AskdeskApp(
        week.ana,
        clock=week.clock,
        poller=None,
        refresh_seconds=3600,
        tz=UTC,
        opening_hours=parse_hours({"mon": hours, "tue": hours, "wed": hours}) if hours else None,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        table = app.screen.query_one("#stats-summary", Static).content
        console = Console(width=60, record=True, file=io.StringIO())
        console.print(table)
        return console.export_text()


async def test_the_split_shows_with_opening_hours(tmp_path: Path) -> None:
    """Opening at 9:30: A (20m) and C's second (30m) were asked while closed."""
    text = await figures(tmp_path, "9:30-17:00")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert lines[lines.index("First response, 90% 1h 00m") + 1 :][:2] == [
        "asked while open, median 10m 00s",
        "asked while closed, median 25m 00s",
    ]


async def test_no_split_without_opening_hours(tmp_path: Path) -> None:
    assert "asked while" not in await figures(tmp_path, None)
