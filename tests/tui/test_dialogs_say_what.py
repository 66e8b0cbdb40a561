"""Dialogs say what they act on and what a key did, for a tired person on a busy shift.

A dialog covers the row it was opened on, so its title names the patron as
well as the key; an enter on an empty field that needs words keeps the dialog
open and says what to type, rather than closing with nothing done.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Label, Static
from tuikit import screen_lines, settle, type_text

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.templates import starter_templates
from askdesk.model import Kind, Status
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.handover import HandoverScreen
from askdesk.tui.screens.prompts import ResolveDialog, TextPrompt
from askdesk.tui.screens.templates import TemplatePicker

SIZE = (80, 24)
KEY = "web:1"


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "Are you open on Monday?", author="@reader", minutes_ago=50)])
    return desk


def make_app(desk: Desk, clock: FixedClock) -> AskdeskApp:
    templates, variables = starter_templates()
    app = AskdeskApp(
        desk,
        clock=clock,
        refresh_seconds=3600,
        reply_settings=ReplySettings(templates=templates, variables=variables),
    )
    app.animation_level = "none"
    return app


def title(app: AskdeskApp) -> str:
    return str(app.screen.query_one(".dialog-title", Label).render())


def hint(app: AskdeskApp) -> str:
    return str(app.screen.query_one(".dialog-hint", Label).render())


@pytest.mark.parametrize(
    ("key", "dialog", "says"),
    [
        ("d", ResolveDialog, f"Resolve @reader · {KEY}"),
        ("exclamation_mark", TextPrompt, f"Flag @reader · {KEY} for review"),
        ("n", TextPrompt, f"Note on @reader · {KEY}"),
        ("a", TextPrompt, f"Hand @reader · {KEY} to"),
    ],
)
async def test_a_dialog_names_the_patron_it_acts_on(
    seeded: Desk, clock: FixedClock, key: str, dialog: type, says: str
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, dialog)
        assert title(app) == says


async def test_the_template_picker_says_whom_the_reply_is_to(
    seeded: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    from askdesk.channels.drop import DropFolderChannel
    from askdesk.desk.outbox import Outbox

    (tmp_path / "drop").mkdir()
    app = make_app(seeded, clock)
    app.outbox = Outbox(seeded, {"web": DropFolderChannel("web", tmp_path / "drop")})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TemplatePicker)
        assert title(app) == "Template · reply to @reader"


async def test_a_texters_number_stays_masked_in_a_dialog_title(
    desk: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("9", "Hours?", author="+15555554321", kind=Kind.SMS)])
    app = make_app(desk, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert "4321" in title(app)
        assert "+15555554321" not in title(app)


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("exclamation_mark", "Type why it needs a review, or esc to cancel"),
        ("n", "Type the note, or esc to cancel"),
        ("a", "Type a colleague's name, or esc to cancel"),
    ],
)
async def test_enter_on_an_empty_prompt_says_what_to_type(
    seeded: Desk, clock: FixedClock, key: str, says: str
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        assert hint(app) == says
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    conversation = seeded.get(KEY)
    assert conversation is not None
    assert [e.action for e in conversation.events] == ["arrive"]


async def test_each_prompt_says_what_enter_does(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        assert hint(app).endswith("enter: hand it over · esc: cancel")


async def test_the_status_bar_says_how_to_clear_a_kept_filter(
    seeded: Desk, clock: FixedClock
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=(120, 34)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "monday")
        await pilot.press("enter")
        await settle(pilot)
        status = str(app.screen.query_one("#status-bar", Static).render())
        assert "filter: monday (esc clears)" in status


async def test_with_nothing_held_the_handover_shows_the_summary_at_once(
    seeded: Desk, clock: FixedClock
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HandoverScreen)
        assert app.screen.summary is not None
        assert "Nothing to hand over" in "\n".join(screen_lines(app.export_screenshot()))
    conversation = seeded.get(KEY)
    assert conversation is not None and conversation.status is Status.NEW


async def test_w_then_enter_saves_the_summary_where_the_prompt_says(
    seeded: Desk, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("enter")
        await settle(pilot)
    [saved] = tmp_path.glob("askdesk-shift-ana-*.txt")
    assert "Shift summary for ana" in saved.read_text()


async def test_minutes_typed_in_the_same_burst_as_the_type_land_in_minutes(
    seeded: Desk, clock: FixedClock
) -> None:
    """Enter on a type, 3, tab, tab, 5 typed faster than the desk: READ 3 and 5 minutes.

    The type list's "chosen" message came after the keys and pulled the focus
    back to READ, where the 5 became READ 5 and no minutes were recorded.
    """
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        burst = [("down", None), ("enter", "\r"), ("3", "3"), ("tab", "\t"), ("tab", "\t")]
        for key, char in burst:  # as a terminal delivers them
            app.post_message(events.Key(key, char))
        await settle(pilot)
        await pilot.press("5", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    conversation = seeded.get(KEY)
    assert conversation is not None and conversation.resolution is not None
    resolution = conversation.resolution
    assert (resolution.question_type.value, resolution.read_level) == ("ready-reference", 3)
    assert resolution.time_spent_min == 5


async def test_a_long_title_wraps_and_keeps_its_question_mark(
    desk: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    """At 80 columns "Hand … to zed?" was cut before the name it asks about."""
    long_id = "CAF3x9-" + "q" * 48 + "@mail.example.org"
    desk.ingest([make_message(long_id, "Hours?", author="someone.with.a.long.name@example.org")])
    app = make_app(desk, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "zed")
        await pilot.press("enter")
        await settle(pilot)
        shown = " ".join(" ".join(screen_lines(app.export_screenshot())).split())
        assert "to zed?" in shown
