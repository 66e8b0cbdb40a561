"""Patron text is shown, never obeyed: markup, escapes, controls and bidi arrive through a real
drop folder and reach the screen as literal, inert characters without breaking the layout.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Static
from tuikit import screen_lines, settle, svg_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.widgets.conversation_list import ConversationList
from askdesk.tui.widgets.conversation_view import ConversationView
from askdesk.tui.widgets.footer import KeysFooter

SIZE = (120, 34)
WIDTH = SIZE[0]

MARKUP = "[bold red]x[/] [link=https://evil.example]click[/link]"
ANSI = "\u001b[2J\u001b[31mALL RED\u001b[0m"
CONTROLS = "ding\u0007 back\u0008\u0008 over\rwrite"
BIDI = "invoice \u202egnp.exe"
LONG = ("The quick brown fox asks about interlibrary loans. " * 400)[:20_000]

# Nothing here may reach the terminal: ESC starts escape sequences, BEL rings,
# BS and CR move the cursor, U+202E reverses what follows.
FORBIDDEN = {"\u001b": "ESC", "\u0007": "BEL", "\u0008": "BS", "\r": "CR", "\u202e": "RLO"}


def record(
    now: datetime, remote_id: str, text: str, author: str, minutes_ago: int
) -> dict[str, Any]:
    """One drop-file line, in the shape a web form would write."""
    return {
        "id": remote_id,
        "author": author,
        "text": text,
        "received_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
        "kind": "direct",
        "channel": "form",
    }


def write_drop_file(folder: Path, now: datetime) -> None:
    """One .jsonl file, written aside and renamed in, as the drop folder asks.

    The ANSI line carries its escapes raw (not as ``\\u001b``): the channel reads
    JSON leniently, so a tool that writes them unescaped is heard too.
    """
    lines = [
        json.dumps(record(now, "markup", MARKUP, "[b]mallory[/b]", 50)),
        json.dumps(record(now, "ansi", ANSI, "\u001b[31meve\u001b[0m", 40)).replace(
            "\\u001b", "\u001b"
        ),
        json.dumps(record(now, "controls", CONTROLS, "bell\u0007ringer", 30)),
        json.dumps(record(now, "bidi", BIDI, "\u202etneilc", 20)),
        json.dumps(record(now, "long", LONG, "verbose", 10)),
    ]
    assert "\u001b" in lines[1]  # really raw on disk
    part = folder / ".hostile.part"
    part.write_text("\n".join(lines) + "\n", encoding="utf-8")
    part.replace(folder / "hostile.jsonl")


KEYS = ["webform:markup", "webform:ansi", "webform:controls", "webform:bidi", "webform:long"]


@pytest.fixture
def channel(tmp_path: Path, clock: FixedClock) -> DropFolderChannel:
    folder = tmp_path / "drop"
    folder.mkdir()
    write_drop_file(folder, clock.now())
    return DropFolderChannel(name="webform", path=folder)


@pytest.fixture
def hostile(desk: Desk, channel: DropFolderChannel, clock: FixedClock) -> Desk:
    fetched = channel.fetch(None, clock.now())
    assert fetched.problems == []
    result = desk.ingest(fetched.messages, cursor=(channel.name, fetched.cursor))
    assert sorted(result.added) == sorted(KEYS)
    return desk


def make_app(desk: Desk, clock: FixedClock, poller: Poller | None = None) -> AskdeskApp:
    app = AskdeskApp(desk, clock=clock, poller=poller, refresh_seconds=3600)
    app.animation_level = "none"  # the pane underline would slide; Pilot waits for it
    return app


def text_of(strips: list[Strip]) -> str:
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def segments_of(strips: list[Strip]) -> list[Segment]:
    return [segment for strip in strips for segment in strip]


def assert_inert(text: str, where: str) -> None:
    found = [name for char, name in FORBIDDEN.items() if char in text]
    assert not found, f"{', '.join(found)} reached the {where}"


def list_strips(app: AskdeskApp) -> list[Strip]:
    rows = app.screen.query_one(ConversationList)
    return [rows.render_line(y) for y in range(rows.size.height)]


async def test_the_list_shows_one_inert_line_per_conversation(
    hostile: Desk, clock: FixedClock
) -> None:
    app = make_app(hostile, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = app.screen.query_one(ConversationList)
        assert [r.key for r in rows.rows] == KEYS
        assert rows.virtual_size.height == len(KEYS)

        strips = list_strips(app)
        # Each conversation is exactly one full-width line; nothing spills below.
        for strip in strips[: len(KEYS)]:
            assert strip.cell_length == rows.size.width
        assert text_of(strips[len(KEYS) :]).strip() == ""
        lines = text_of(strips).splitlines()
        assert "[b]mallory[/b]" in lines[0] and "[bold red]x[/]" in lines[0]
        assert "␛[31meve␛[0m" in lines[1] and "␛[2J␛[31mALL RED" in lines[1]
        assert "bell␇ringer" in lines[2] and "ding␇ back␈␈ over write" in lines[2]
        assert "invoice \ufffdgnp.exe" in lines[3]
        assert lines[4].rstrip().endswith("…")

        text = text_of(strips)
        assert_inert(text, "conversation list")
        # Markup was not parsed: no link, no bold red from the patron's brackets.
        assert all(
            segment.style is None or segment.style.link is None for segment in segments_of(strips)
        )


async def test_the_screen_output_holds_no_control_characters(
    hostile: Desk, clock: FixedClock
) -> None:
    app = make_app(hostile, clock)
    async with app.run_test(size=SIZE) as pilot:
        for _ in KEYS:  # the preview shows each in turn
            await pilot.pause()
            svg = app.export_screenshot()
            assert_inert(svg_text(svg), "screen")
            assert "&#27;" not in svg and "&#x1b;" not in svg.lower()
            await pilot.press("down")

        await pilot.press("home")
        await pilot.pause()
        screen = screen_lines(app.export_screenshot())
        assert len(screen) == SIZE[1]
        assert all(len(line) <= WIDTH for line in screen)
        shown = "\n".join(screen)
        # The whole markup text, literally, in the preview below the list.
        assert MARKUP in shown
        assert "[b]mallory[/b]" in shown


async def test_the_preview_and_status_keep_their_size(hostile: Desk, clock: FixedClock) -> None:
    app = make_app(hostile, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")  # the 20,000-character message
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DeskScreen)
        preview = screen.query_one("#preview", Static)
        assert preview.outer_size.height == 7  # as for any short question
        assert screen.query_one("#status-bar", Static).size.height == 1
        assert screen.query_one(ConversationList).size.height >= 5
        # The footer still owns the last line.
        assert screen.query_one(KeysFooter).region.y == SIZE[1] - 1


SHOWN_IN_DETAIL = {
    "webform:markup": "[bold red]x[/] [link=https://evil.example]click[/link]",
    "webform:ansi": "␛[2J␛[31mALL RED␛[0m",
    "webform:controls": "ding␇ back␈␈ over␍write",
    "webform:bidi": "invoice \ufffdgnp.exe",
}


def message_text_strips(app: AskdeskApp) -> list[Strip]:
    view = app.screen.query_one(ConversationView)
    [text] = [s for s in view.query(Static) if s.has_class("message-text")]
    return [text.render_line(y) for y in range(text.size.height)]


async def test_the_detail_screen_shows_each_message_literally(
    hostile: Desk, clock: FixedClock
) -> None:
    app = make_app(hostile, clock)
    async with app.run_test(size=SIZE) as pilot:
        for index, (key, literal) in enumerate(SHOWN_IN_DETAIL.items()):
            await pilot.press("home", *["down"] * index, "enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen)
            assert app.screen.key == key
            svg = app.export_screenshot()
            assert_inert(svg_text(svg), f"detail screen of {key}")
            shown = screen_lines(svg)
            assert key in shown[0]  # the heading is on top
            assert literal in "\n".join(shown), key
            strips = message_text_strips(app)
            assert_inert(text_of(strips), f"message text of {key}")
            assert all(s.style is None or s.style.link is None for s in segments_of(strips))
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, DeskScreen)


async def test_a_20000_character_message_scrolls_in_the_detail(
    hostile: Desk, clock: FixedClock
) -> None:
    app = make_app(hostile, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.key == "webform:long"
        strips = message_text_strips(app)
        # Wrapped into many lines (none lost), in a view that scrolls; the footer stays.
        assert len(strips) > 100
        assert len(text_of(strips).replace("\n", "").replace(" ", "")) == len(LONG.replace(" ", ""))
        assert app.screen.query_one(ConversationView).max_scroll_y > 0
        assert "webform:long" in screen_lines(app.export_screenshot())[0]
        assert app.screen.query_one(KeysFooter).region.y == SIZE[1] - 1


async def test_hostile_text_arrives_through_the_apps_own_poller(
    desk: Desk, channel: DropFolderChannel, clock: FixedClock
) -> None:
    app = make_app(desk, clock, poller=Poller(desk, [channel]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await settle(pilot)  # the poll's notice starts a store check
        assert [r.key for r in app.screen.query_one(ConversationList).rows] == KEYS
        svg = app.export_screenshot()
        assert_inert(svg_text(svg), "screen")
        assert "[bold red]x[/]" in "\n".join(screen_lines(svg))
        # The status bar names the channel and says it is healthy.
        assert "webform ✓" in screen_lines(svg)[0]


async def test_a_flag_reason_with_markup_is_shown_literally(
    hostile: Desk, clock: FixedClock
) -> None:
    hostile.flag("webform:bidi", "[blink]check[/blink] \u001b[5m")
    app = make_app(hostile, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "down")
        await pilot.pause()
        svg = app.export_screenshot()
        assert_inert(svg_text(svg), "screen")
        assert "⚑ flagged: [blink]check[/blink] ␛[5m" in "\n".join(screen_lines(svg))
