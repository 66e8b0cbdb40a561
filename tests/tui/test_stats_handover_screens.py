"""The statistics screen (``s``), the handover screen (``h``) and retention at start-up.

The app runs on the statsweek store (``tests/desk/statsweek.py``) with its
fixed clock and no poller; tests wait on workers, never on wall time.
"""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from textual_plotext import PlotextPlot

from askdesk.channels.drop import DropFolderChannel
from askdesk.desk.retention import ANONYMIZED, RetentionPolicy, channel_copies
from askdesk.model import Status
from askdesk.tui.app import AskdeskApp
from askdesk.tui.keys import binding_ids
from askdesk.tui.screens.handover import HandoverScreen
from askdesk.tui.screens.prompts import TextPrompt
from askdesk.tui.screens.stats import StatsScreen
from tests.desk.statsweek import Week, at, build_week, message

SIZE = (140, 45)


@pytest.fixture
def week(tmp_path: Path) -> Week:
    return build_week(tmp_path / "desk.json")


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)

    def of(self, kind: type[Message]) -> list[Message]:
        """Each message once (the hook may see one message at more than one node)."""
        unique = {id(m): m for m in self.messages if isinstance(m, kind)}
        return list(unique.values())


def make_app(week: Week, retention: RetentionPolicy | None = None) -> AskdeskApp:
    return AskdeskApp(
        week.ana, clock=week.clock, poller=None, refresh_seconds=3600, tz=UTC, retention=retention
    )


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(10):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return


def static_text(app: AskdeskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_s_shows_the_figures_and_charts(week: Week) -> None:
    """Last 30 days: 5 transactions, medians, backlog; four plotext charts; r changes range."""
    recorder = Recorder()
    app = make_app(week)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        (computed,) = recorder.of(StatsScreen.Computed)
        assert isinstance(computed, StatsScreen.Computed)
        assert computed.stats.transaction_count == 5
        assert "last 30 days" in static_text(app, "#stats-title")
        assert len(app.screen.query(PlotextPlot)) == 4

        await pilot.press("r")
        await settle(pilot)
        assert "last 365 days" in static_text(app, "#stats-title")
        assert len(recorder.of(StatsScreen.Computed)) == 2

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StatsScreen)


async def test_a_short_range_counts_only_what_was_resolved_in_it(week: Week) -> None:
    week.clock.advance(days=5)  # Tue 24th: the last 7 days start on Wed 18th
    recorder = Recorder()
    app = make_app(week)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        app.push_screen(StatsScreen(range_index=0))
        await settle(pilot)
        (computed,) = recorder.of(StatsScreen.Computed)
        assert isinstance(computed, StatsScreen.Computed)
        assert computed.stats.transaction_count == 2  # C again and D, on Wednesday


async def test_h_hands_over_in_one_pass_and_shows_the_summary(week: Week) -> None:
    week.ana.claim("web:e1")
    week.ana.ingest([message("web", "g1", at(3, 10))])
    week.ana.claim("web:g1")
    app = make_app(week)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HandoverScreen)
        assert app.screen.query_one(OptionList).option_count == 2

        await pilot.press("space")  # e1: keep -> release
        await pilot.press("n")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"call back at 3", "enter")
        await pilot.press("down", "a")  # g1: hand to...
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"bo", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HandoverScreen)
        assert [d.describe() for d in screen.decisions.values()] == [
            "release to New",
            "hand to bo",
        ]

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.summary is not None
        assert "web:e1: released to New" in screen.summary
        assert "web:g1: handed to bo" in screen.summary
        assert "Still open: you hold 0" in screen.summary
        assert screen.query_one("#handover-summary").display

    e1, g1 = week.store.get("web:e1"), week.store.get("web:g1")
    assert e1 is not None and e1.status is Status.NEW
    assert [n.details["text"] for n in e1.notes] == ["call back at 3"]
    assert g1 is not None and (g1.status, g1.holder) == (Status.CLAIMED, "bo")


async def test_space_cycles_keep_release_hand(week: Week) -> None:
    week.ana.claim("web:e1")
    app = make_app(week)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HandoverScreen)
        await pilot.press("space")
        assert screen.decisions["web:e1"].describe() == "release to New"
        await pilot.press("space")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")  # no name: back to keep
        await pilot.pause()
        assert screen.decisions["web:e1"].describe() == "keep"


async def test_retention_runs_when_the_desk_starts(week: Week) -> None:
    recorder = Recorder()
    app = make_app(week, retention=RetentionPolicy(default_days=0))
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot)
        notes = [m.notification.message for m in recorder.of(Notify) if isinstance(m, Notify)]
        assert "Retention: anonymized 4 conversations (drop 1, twitter 1, web 2)" in notes
    a = week.store.get("twitter:1001")
    assert a is not None and a.latest.author == ANONYMIZED


def test_new_keys_can_be_remapped() -> None:
    ids = binding_ids()
    for key in ("statistics", "handover", "stats_range", "handover_cycle", "handover_confirm"):
        assert key in ids


async def test_retention_at_start_also_cleans_the_drop_folder(week: Week, tmp_path: Path) -> None:
    folder = tmp_path / "drop-folder"
    folder.mkdir()
    read = folder / "gateway.jsonl"
    line = '{"id": "b9", "author": "x", "text": "hi", "received_at": "2026-11-16T10:00:00Z"}\n'
    read.write_text(line, "utf-8")
    os.utime(read, (at(0, 10).timestamp(),) * 2)
    channel = DropFolderChannel("drop", folder)
    week.store.save_cursor("drop", channel.fetch(None, week.clock.now()).cursor)
    policy = RetentionPolicy(default_days=0)
    app = AskdeskApp(
        week.ana,
        clock=week.clock,
        refresh_seconds=3600,
        retention=policy,
        retention_elsewhere=channel_copies([channel], week.store, policy),
    )
    recorder = Recorder()
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot)
        notes = [m.notification.message for m in recorder.of(Notify) if isinstance(m, Notify)]
    assert any("removed 1 processed files of drop folder drop" in note for note in notes)
    assert not read.exists()


async def test_a_day_hour_or_weekday_without_transactions_draws_no_bar(week: Week) -> None:
    """Every cell a chart paints in a bar's colour is part of a bar: a zero leaves plain
    cells (plotext painted blanks in the bar's colour, which an SVG showed as a bar at 0)."""
    app = make_app(week)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(pilot)
        for chart_id in ("#chart-day", "#chart-hour", "#chart-weekday"):
            chart = app.screen.query_one(chart_id, PlotextPlot)
            segments = [s for strip in chart.render_lines(chart.region.reset_offset) for s in strip]
            axis = next(s.style.color for s in segments if "└" in s.text and s.style)
            painted = [s.text for s in segments if s.style and s.style.color not in (None, axis)]
            assert painted, chart_id  # the week has bars in every chart
            assert all(set(text) <= {"█", "▌", "▐"} for text in painted), (chart_id, painted)
