"""Answering from the keyboard: composer, templates, send, send-and-resolve, and their guards.

The app runs on a temporary store with a real drop-folder channel as the
platform, so every reply that goes out is a line in that channel's outbox file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import TextArea
from tuikit import Recorder, screen_lines, settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.templates import starter_templates
from askdesk.model import Kind, QuestionType, ReplyStatus, Status
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.confirm import Choice
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.templates import TemplatePicker

SIZE = (120, 34)


@pytest.fixture
def channel(tmp_path: Path) -> DropFolderChannel:
    folder = tmp_path / "drop"
    folder.mkdir()
    return DropFolderChannel("web", folder)


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest(
        [
            make_message("1", "Are you open on Monday?", author="@reader", minutes_ago=50),
            make_message(
                "2", "Can I renew by phone?", author="@caller", minutes_ago=20, kind=Kind.DIRECT
            ),
        ]
    )
    return desk


def make_app(desk: Desk, clock: FixedClock, channel: DropFolderChannel) -> AskdeskApp:
    templates, variables = starter_templates()
    settings = ReplySettings(
        templates=templates,
        variables=variables,
        library="Anytown Public Library",
        platforms={"web": "twitter"},
    )
    app = AskdeskApp(
        desk,
        clock=clock,
        outbox=Outbox(desk, {"web": channel}),
        reply_settings=settings,
        refresh_seconds=3600,
    )
    app.animation_level = "none"
    return app


def sent_lines(channel: DropFolderChannel) -> list[dict[str, object]]:
    if not channel.outbox.exists():
        return []
    return [json.loads(line) for line in channel.outbox.read_text().splitlines()]


async def test_each_template_is_one_line_in_the_picker_on_a_narrow_terminal(
    seeded: Desk, clock: FixedClock, channel: DropFolderChannel
) -> None:
    """At 100 columns a wrapped body read like another entry under the names."""
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TemplatePicker)
        lines = screen_lines(app.export_screenshot())
        first = next(i for i, line in enumerate(lines) if " 1  Hours " in line)
        names = [t.name for t in app.screen.shown]
        for line, name in zip(lines[first : first + len(names)], names, strict=True):
            assert name in line and line.rstrip(" ▎█").endswith("…"), line


async def test_claim_reply_from_template_edit_and_send(
    seeded: Desk, clock: FixedClock, channel: DropFolderChannel
) -> None:
    """c, r, ctrl+t, pick Hours, add a line, ctrl+s: one reply goes out and is recorded."""
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("1")  # the Hours template's quick key
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert "open" in app.screen.query_one(TextArea).text
        await type_text(pilot, " See you Monday!")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    conversation = seeded.get("web:1")
    assert conversation is not None
    (reply,) = conversation.replies
    assert reply.status is ReplyStatus.SENT
    assert reply.templates == ("Hours",)
    # Typed where the staff member's own words go: before the sign-off, not after it.
    assert reply.text.endswith("See you Monday! ^ana")
    assert [line["reply_id"] for line in sent_lines(channel)] == [reply.id]
    assert "reply" in [e.action for e in conversation.events]


async def test_answer_and_done_in_four_keystrokes(
    seeded: Desk, clock: FixedClock, channel: DropFolderChannel
) -> None:
    """t, 1, ctrl+r, ctrl+s: claimed, answered from a template and resolved with its defaults."""
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE) as pilot:
        for key in ("t", "1", "ctrl+r", "ctrl+s"):
            await pilot.press(key)
            await settle(pilot)
    conversation = seeded.get("web:1")
    assert conversation is not None
    assert conversation.status is Status.RESOLVED and conversation.holder == "ana"
    resolution = conversation.resolution
    assert resolution is not None
    assert (resolution.question_type, resolution.read_level) == (QuestionType.DIRECTIONAL, 1)
    assert [r.status for r in conversation.replies] == [ReplyStatus.SENT]
    assert len(sent_lines(channel)) == 1


async def test_too_long_for_the_platform_is_refused(
    seeded: Desk, clock: FixedClock, channel: DropFolderChannel
) -> None:
    recorder = Recorder()
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("r")
        await settle(pilot)
        # 273 fit, but X will post "@reader " in front of them, and counts it.
        app.screen.query_one(TextArea).load_text("x" * 273)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)  # still open, nothing sent
    assert any("too long for twitter: 281/280" in text for _, text in recorder.notifications())
    conversation = seeded.get("web:1")
    assert conversation is not None and conversation.replies == ()


async def test_personal_data_in_a_public_reply_asks_first(
    seeded: Desk, clock: FixedClock, channel: DropFolderChannel
) -> None:
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).load_text("Write to jo.smith@example.org for help")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert any("email address" in line for line in app.screen.lines)
        assert app.screen.check_action("answer", ("p",)) is False  # no private route here
        await pilot.press("s")  # send publicly anyway, deliberately
        await settle(pilot)
    assert len(sent_lines(channel)) == 1


async def test_collision_stops_the_send_until_staff_decide(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, channel: DropFolderChannel
) -> None:
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        # A colleague notes the conversation while ana is writing.
        Desk(TinyDBStore(store.path), "bo", clock).note("web:1", "I called them back")
        app.screen.query_one(TextArea).load_text("We open at 9 on Monday.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert app.screen.lines == ["bo added a note"]
        assert sent_lines(channel) == []
        await pilot.press("s")
        await settle(pilot)
    assert len(sent_lines(channel)) == 1


async def test_reply_to_a_colleagues_conversation_is_not_offered(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, channel: DropFolderChannel
) -> None:
    Desk(TinyDBStore(store.path), "bo", clock).claim("web:1")
    app = make_app(seeded, clock, channel)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.check_action("reply", ()) is None
        assert app.screen.check_action("reply_from_template", ()) is None
