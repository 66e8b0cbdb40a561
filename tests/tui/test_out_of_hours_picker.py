"""On the desk, ``t`` on a question asked while the library is closed offers the out-of-hours
template first; taking it fills the composer, and nothing goes to the patron."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Label, OptionList, TextArea
from tuikit import settle

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.config import TemplateTables
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.templates import load_templates
from askdesk.model.opening_hours import parse_hours
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.templates import TemplatePicker

# The clock says Monday 14:00: closed since noon, open again tomorrow at 9:00.
MORNINGS = parse_hours({"mon": "9:00-12:00", "tue": "9:00-12:00"})


@pytest.fixture
def app(desk: Desk, clock: FixedClock, make_message, tmp_path: Path) -> AskdeskApp:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "Can I renew my books?", author="@reader")])  # at 13:55
    folder = tmp_path / "drop"
    folder.mkdir()
    templates, variables = load_templates(TemplateTables(), (), MORNINGS)
    settings = ReplySettings(
        templates=templates,
        variables=variables,
        library="Anytown Public Library",
        platforms={"web": "mastodon"},
        hours=MORNINGS,
    )
    app = AskdeskApp(
        desk,
        clock=clock,
        outbox=Outbox(desk, {"web": DropFolderChannel("web", folder)}),
        reply_settings=settings,
        refresh_seconds=3600,
    )
    app.animation_level = "none"
    return app


async def test_t_offers_the_out_of_hours_template_first(app: AskdeskApp, desk: Desk) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TemplatePicker)
        title = str(picker.query_one(".dialog-title", Label).render())
        assert title == "Template · reply to @reader · asked while the library is closed"
        assert picker.shown[0].name == "Out of hours"
        assert picker.query_one(OptionList).highlighted == 0

        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        text = app.screen.query_one(TextArea).text
    assert "we open again tomorrow at 9:00 and will answer you then" in text
    assert "Our opening hours are Mon-Tue 9:00-12:00, Wed-Sun closed." in text
    conversation = desk.store.get("web:1")
    assert conversation is not None
    assert not [e for e in conversation.events if e.action == "reply"]  # only proposed


def test_the_picker_at_80x24(snap_compare, app: AskdeskApp) -> None:  # type: ignore[no-untyped-def]  # snapshot fixture
    """The template picker at 80x24 over the New pane for a question asked at 13:55 on a
    Monday whose library closed at noon: the title says whom the reply is to and "asked
    while the library is closed", "9 Out of hours" leads the list and is highlighted, the
    eight other starter templates follow in their order, and the hint shows under the list.
    """
    assert snap_compare(app, press=["t"], terminal_size=(80, 24))
