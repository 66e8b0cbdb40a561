"""An 80x24 terminal: nothing staff need is cut off, and no label wraps into nonsense.

The desk is the snapshot tests' Monday afternoon (``seed``) with an outbox, so
every screen that has a key can be reached.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_snapshots import EXAMPLE_FIELDS, NOW, seed
from tuikit import screen_lines, settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.sync import Poller
from askdesk.desk.templates import starter_templates
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.channels import ChannelsScreen
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.handover import HandoverScreen
from askdesk.tui.screens.prompts import ResolveDialog
from askdesk.tui.screens.stats import StatsScreen

SMALL = (80, 24)


@pytest.fixture
def app(tmp_path: Path) -> AskdeskApp:
    path = tmp_path / "desk.json"
    seed(path)
    desk = Desk(TinyDBStore(path), "ana", FixedClock(NOW))
    templates, variables = starter_templates()
    drop = tmp_path / "drop"
    drop.mkdir()
    channel = DropFolderChannel("webform", drop)
    app = AskdeskApp(
        desk,
        clock=desk.clock,
        poller=Poller(desk, [channel]),
        outbox=Outbox(desk, {"webform": channel}),
        reply_settings=ReplySettings(
            templates=templates, variables=variables, library="Anytown Public Library"
        ),
        library="Anytown Public Library",
        refresh_seconds=3600,
        stats_fields=EXAMPLE_FIELDS,
    )
    app.animation_level = "none"
    return app


def lines(app: AskdeskApp) -> list[str]:
    return screen_lines(app.export_screenshot())


async def test_the_composer_keeps_its_counter_and_route_in_view(app: AskdeskApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("2", "r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        for _ in range(12):  # a reply longer than the text area
            await type_text(pilot, "More words.")
            await pilot.press("enter")
        await settle(pilot)
        shown = "\n".join(lines(app))
        assert "characters · " in shown and "reply" in shown
        assert "esc  Close" in shown


async def test_the_resolve_dialog_shows_minutes_and_fields_whole(app: AskdeskApp) -> None:
    """With the example config's two fields every line of the dialog is in view:
    the last READ level, minutes spent, each field with all its choices, the hint."""
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("2", "d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        shown = "\n".join(lines(app))
        for words in (
            "6  in-depth",
            "Minutes spent",
            "patron type*",
            "5 other",
            "branch",
            "4 online",
            "esc: cancel",
        ):
            assert words in shown, words


async def test_the_words_get_what_empty_columns_do_not_need(app: AskdeskApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = lines(app)
        header = next(line for line in screen if "CHANNEL" in line)
        assert "HOLDER" not in header  # nobody holds a New question
        text_at = header.index("TEXT")
        assert text_at <= 36, header
        row = next(line for line in screen if "quiet study room" in line)
        assert "where is the quiet study room?" in row
        await pilot.press("2")
        await settle(pilot)
        header = next(line for line in lines(app) if "CHANNEL" in line)
        assert "HOLDER" in header and "LATE" not in header


async def test_the_footer_keeps_quit_help_and_the_way_back(app: AskdeskApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        footer = lines(app)[-1]
        assert footer.rstrip().endswith("q  Quit  ?  Help"), footer
        await pilot.press("2", "enter")
        await settle(pilot)
        footer = lines(app)[-1]
        assert "esc  Back" in footer and footer.rstrip().endswith("q  Quit  ?  Help"), footer


async def test_statistics_labels_are_whole(app: AskdeskApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        screen = lines(app)
        assert screen[0].rstrip().endswith("(UTC)"), screen[0]  # the title whole
        shown = "\n".join(screen)
        for label in ("Channel", "Question type", "READ", "Outcome", "Staff", "First response"):
            assert label in shown, label
        assert "…" not in shown


async def test_channels_do_not_wrap_their_values(app: AskdeskApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ChannelsScreen)
        screen = lines(app)
        line = next(line for line in screen if "next poll" in line)
        assert "in " in line.split("next poll", 1)[1] or "due now" in line
        assert any("last good poll" in line for line in screen)


async def test_handover_is_one_line_a_conversation(app: AskdeskApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HandoverScreen)
        screen = lines(app)
        assert "ctrl+s: apply all" in screen[0]
        row = next(i for i, line in enumerate(screen) if "webform:118" in line)
        assert screen[row].rstrip(" ▎").endswith("…")
        assert "appointment" not in screen[row + 1]


async def test_handover_summary_fits_the_width_and_scrolls_to_its_end(app: AskdeskApp) -> None:
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("h", "ctrl+s")
        await settle(pilot)
        first = lines(app)
        assert any(line.strip() == "Waiting in New: 4 (1 LATE)" for line in first)
        assert not any("Still open" in line for line in first)  # below the fold
        await pilot.press("end")
        await settle(pilot)
        last = "\n".join(lines(app))
        assert "Flagged for review: 1" in last and "Still open: you hold 1" in last
        note = next(line for line in lines(app) if "note (ana)" in line)
        assert note.rstrip(" ▎▁▇").endswith("vault.")  # whole, not wrapped or cut
