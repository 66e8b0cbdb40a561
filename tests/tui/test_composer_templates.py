"""Templates in the composer: the cursor where staff's own words go, one greeting, its defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea
from tuikit import settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.templates import starter_templates
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.prompts import ResolveDialog


@pytest.fixture
def app(desk: Desk, clock: FixedClock, make_message, tmp_path: Path) -> AskdeskApp:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "Are you open Monday, and can I renew?", author="@reader")])
    folder = tmp_path / "drop"
    folder.mkdir()
    templates, variables = starter_templates()
    settings = ReplySettings(
        templates=templates,
        variables=variables,
        library="Anytown Public Library",
        platforms={"web": "mastodon"},
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


def reply_text(app: AskdeskApp) -> str:
    assert isinstance(app.screen, ComposerScreen)
    return app.screen.query_one(TextArea).text


async def test_the_cursor_lands_before_the_sign_off(app: AskdeskApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t", "1")  # Hours
        await settle(pilot)
        await type_text(pilot, " See you Monday!")
        text = reply_text(app)
    assert text.startswith("Hi @reader, we're open")
    assert text.endswith("hours. See you Monday! - ana, Anytown Public Library")


async def test_a_second_template_adds_its_answer_without_a_second_greeting(
    app: AskdeskApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t", "1")  # Hours
        await settle(pilot)
        await pilot.press("ctrl+t", "2")  # Renewal, at the cursor
        await settle(pilot)
        text = reply_text(app)
    assert text.count("Hi @reader") == 1
    assert text.count("- ana, Anytown Public Library") == 1
    assert text.index("we're open") < text.index("renew most items") < text.index("- ana")


async def test_ctrl_t_proposes_the_templates_type_and_read_level(app: AskdeskApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "Hello!")
        await pilot.press("ctrl+t", "2")  # Renewal: policy, READ 1
        await settle(pilot)
        assert reply_text(app).startswith("Hello! You can renew most items")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        assert app.screen.defaults == {"type": "policy", "read": "1"}
