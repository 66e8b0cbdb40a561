"""Help lists every key in force, the ones for this row first, and says q quits."""

from __future__ import annotations

from tuikit import screen_lines, settle

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.help import HelpScreen


async def test_help_lists_every_key_with_all_its_names_and_q_quits(
    desk: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1")])
    app = AskdeskApp(desk, clock=clock, poller=None, refresh_seconds=3600)
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        lines = screen_lines(app.export_screenshot())
        shown = "\n".join(lines)

        def line_of(description: str) -> str:
            return next(line for line in lines if f" {description} " in line)

        assert "↓ j" in line_of("Down") or "j ↓" in line_of("Down")
        assert "↑ k" in line_of("Up") or "k ↑" in line_of("Up")
        assert " u " in line_of("Release") and " U " in line_of("Reopen")
        assert "Leave askdesk" in line_of("Quit") and " q" in line_of("Quit")
        assert "q quits askdesk" in shown
        await pilot.press("q")
    assert app.return_code is not None  # q quit the app from help too


async def test_help_names_every_part_of_the_resolve_dialog(
    desk: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    """The `d` key lists what resolving asks: minutes spent and the library's own fields
    too, not only type, READ level and outcome; so does the guide under the keys."""
    desk.ingest([make_message("1")])
    app = AskdeskApp(desk, clock=clock, poller=None, refresh_seconds=3600)
    async with app.run_test(size=(120, 80)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        lines = screen_lines(app.export_screenshot())
        shown = " ".join(" ".join(line.strip(" █") for line in lines).split())
        assert (
            "Resolve Done: record question type, READ level, outcome, minutes spent "
            "and your library's own fields"
        ) in shown
        assert "the minutes you spent" in shown and "any fields your library asks" in shown
