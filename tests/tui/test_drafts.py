"""A typed reply is not thrown away by one key: esc asks, and a kept draft outlives the desk."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import TextArea
from tuikit import screen_lines, settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.model import ReplyStatus
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.confirm import Choice
from askdesk.tui.screens.desk import DeskScreen

SIZE = (120, 34)
KEY = "web:1"


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "Is the Le Guin biography in?", author="@reader")])
    return desk


def make_app(desk: Desk, clock: FixedClock, tmp_path: Path) -> AskdeskApp:
    folder = tmp_path / "drop"
    folder.mkdir(exist_ok=True)
    app = AskdeskApp(
        desk,
        clock=clock,
        outbox=Outbox(desk, {"web": DropFolderChannel("web", folder)}),
        reply_settings=ReplySettings(platforms={"web": "drop"}),
        refresh_seconds=3600,
    )
    app.animation_level = "none"
    return app


def row_of(app: AskdeskApp) -> str:
    return next(line for line in screen_lines(app.export_screenshot()) if "@reader" in line)


async def test_esc_asks_and_a_kept_draft_comes_back_after_a_restart_until_sent(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, tmp_path: Path
) -> None:
    app = make_app(seeded, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "It is on order")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert app.screen.title_text == "Keep this reply as a draft?"
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        assert "✎" in row_of(app)
        # Opened again: the draft; closed unchanged: no question.
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "It is on order"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    assert TinyDBStore(store.path).drafts("ana") == {(KEY, "ana"): "It is on order"}

    restarted = make_app(Desk(TinyDBStore(store.path), "ana", clock), clock, tmp_path)
    async with restarted.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✎" in row_of(restarted)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(restarted.screen, ComposerScreen)
        area = restarted.screen.query_one(TextArea)
        assert area.text == "It is on order"
        area.move_cursor(area.document.end)
        await type_text(pilot, " for you.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # The reply claimed it, and the cursor went with it to Claimed.
        assert "✎" not in row_of(restarted)
    conversation = seeded.get(KEY)
    assert conversation is not None
    assert [(r.text, r.status) for r in conversation.replies] == [
        ("It is on order for you.", ReplyStatus.SENT)
    ]
    assert TinyDBStore(store.path).drafts() == {}


async def test_esc_then_discard_keeps_nothing_and_an_empty_composer_just_closes(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, tmp_path: Path
) -> None:
    app = make_app(seeded, clock, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("escape")  # nothing typed: nothing to ask about
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "Wrong patron")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        assert "✎" not in row_of(app)
    assert store.drafts() == {}
    assert seeded.get(KEY).replies == ()  # type: ignore[union-attr]
