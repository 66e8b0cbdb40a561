"""Strings from outside are shown, never obeyed: markup, escapes, controls and bidi in patron
text (through a real drop folder), in every other field of a message, in the staff name and in
what staff type reach the screen as literal, inert characters, through every action.
"""

from __future__ import annotations

import json
import webbrowser
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Input, Static
from tuikit import Recorder, screen_lines, settle, svg_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.sync import Poller
from askdesk.desk.templates import Template
from askdesk.model import Kind, Message, Status
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.screens.prompts import ResolveDialog, TextPrompt
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


# -- every field, every action ------------------------------------------------------------
#
# Not only the text: the id, the conversation, the url, the channel label and the author of a
# message, the staff name, and what staff type into the prompts all come from outside.

CLICK = "[@click=app.quit]"
VALUE = f"[/b] {CLICK}quit[/] \u001b]0;title\u0007 \u001b[2J \u009b31m \u202egnp.exe end"
"""One value with every kind of trouble: unbalanced and action markup, an OSC title, a CSI
clear screen, a C1 CSI, a bidi override."""
LONG_VALUE = "W" * 10_000
HOSTILE_FORBIDDEN = {**FORBIDDEN, "\u009b": "C1 CSI"}
ACTOR = f"ana {CLICK}[/i] \u001b[7m"
"""Who runs the desk (from --as or the config)."""


def hostile_message(remote_id: str, value: str, minutes_ago: int, now: datetime) -> Message:
    return Message(
        channel="web",
        remote_id=remote_id,
        kind=Kind.DIRECT,
        author=value,
        text=value,
        received_at=now - timedelta(minutes=minutes_ago),
        conversation=remote_id,
        url=f"https://example.org/{value}",
        label=value,
    )


@pytest.fixture
def everywhere(store: TinyDBStore, clock: FixedClock) -> Desk:
    """A desk run by a hostile staff name, two conversations with every field hostile
    (one of them 10,000 characters a field) and a colleague with a hostile name."""
    desk = Desk(store, ACTOR, clock)
    now = clock.now()
    desk.ingest(
        [
            hostile_message(VALUE, VALUE, 50, now),
            hostile_message(LONG_VALUE, LONG_VALUE, 40, now),
            hostile_message("plain", VALUE, 30, now),
        ]
    )
    Desk(store, VALUE, clock).note(f"web:{VALUE}", VALUE)
    return desk


def assert_screen_is_inert(app: AskdeskApp, where: str) -> str:
    """The screen holds none of the forbidden characters and the app still runs."""
    assert app.is_running and app.return_code is None, f"the app stopped at {where}"
    svg = app.export_screenshot()
    text = svg_text(svg)
    found = [name for char, name in HOSTILE_FORBIDDEN.items() if char in text]
    assert not found, f"{', '.join(found)} reached the screen at {where}"
    return "\n".join(screen_lines(svg))


def assert_notifications_are_inert(recorder: Recorder) -> None:
    notes = [m.notification for m in recorder.messages if isinstance(m, Notify)]
    for note in notes:
        assert note.markup is False, note.message
        found = [n for c, n in HOSTILE_FORBIDDEN.items() if c in note.message + note.title]
        assert not found, f"{', '.join(found)} in the notification {note.message!r}"


async def answer_prompt(pilot: Pilot[None], app: AskdeskApp, value: str, where: str) -> None:
    """Type ``value`` into the open one-line prompt (as a paste would) and save it."""
    await pilot.pause()
    assert isinstance(app.screen, TextPrompt), where
    shown = assert_screen_is_inert(app, f"the {where} prompt")
    assert CLICK in shown, f"the {where} prompt's title lost its brackets"
    app.screen.query_one(Input).value = value
    await pilot.press("enter")
    await settle(pilot)
    assert_screen_is_inert(app, f"after the {where}")


async def select(pilot: Pilot[None], app: AskdeskApp, pane: str, key: str) -> None:
    """Show ``pane`` (1, 2 or 3) and move the cursor to ``key``'s row."""
    await pilot.press(pane, "home")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, DeskScreen)
    for _ in screen.query_one(ConversationList).rows:
        current = screen.current()
        if current is not None and current.key == key:
            return
        await pilot.press("down")
        await pilot.pause()
    raise AssertionError(f"{key[:40]!r} is not in pane {pane}")


async def click_every(pilot: Pilot[None], app: AskdeskApp, literal: str) -> int:
    """Click each place ``literal`` is shown; return how many there were."""
    clicks = 0
    for y, line in enumerate(screen_lines(app.export_screenshot())):
        x = line.find(literal)
        if x >= 0:
            await pilot.click(offset=(x + 2, y))
            await pilot.pause()
            clicks += 1
    return clicks


async def test_every_hostile_field_through_every_action_stays_inert(
    everywhere: Desk, clock: FixedClock
) -> None:
    """Claim, release, note, flag, unflag, hand, resolve, the detail, the composer, stats
    and handover screens, with every field hostile: nothing crashes, no escape reaches the
    screen, every notification is plain text, and no bracket becomes an action."""
    recorder = Recorder()
    app = AskdeskApp(everywhere, clock=clock, refresh_seconds=3600, outbox=Outbox(everywhere, {}))
    app.animation_level = "none"
    key, long_key = f"web:{VALUE}", f"web:{LONG_VALUE}"
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot)
        shown = assert_screen_is_inert(app, "the desk")
        assert CLICK in shown  # the author, label and text in the list and preview, literally

        await select(pilot, app, "1", key)
        await pilot.press("c")
        await settle(pilot)
        assert everywhere.store.get(key).holder == ACTOR
        await pilot.press("2")
        await pilot.pause()
        assert CLICK in assert_screen_is_inert(app, "the Claimed pane")  # holder and staff
        await pilot.press("u")  # release: its notification names the key
        await settle(pilot)
        assert everywhere.store.get(key).status is Status.NEW
        await select(pilot, app, "1", key)
        await pilot.press("c")
        await settle(pilot)
        await select(pilot, app, "2", key)

        await pilot.press("n")
        await answer_prompt(pilot, app, VALUE, "note")
        await pilot.press("exclamation_mark")
        await answer_prompt(pilot, app, VALUE, "flag")
        assert everywhere.store.get(key).flag == VALUE
        await pilot.press("exclamation_mark")  # clearing says what the flag was
        await settle(pilot)
        assert everywhere.store.get(key).flag is None

        await pilot.press("enter")  # the whole conversation
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        shown = assert_screen_is_inert(app, "the detail screen")
        assert CLICK in shown
        await pilot.press("r")  # the composer: its title names the author and key
        await pilot.pause()
        assert isinstance(app.screen, ComposerScreen)
        assert CLICK in assert_screen_is_inert(app, "the composer")
        await pilot.press("escape", "escape")
        await settle(pilot)

        await pilot.press("a")  # hand it to a colleague with a hostile name
        await answer_prompt(pilot, app, VALUE, "hand-off")
        assert everywhere.store.get(key).holder == VALUE

        await select(pilot, app, "1", long_key)  # the 10,000-character one
        await pilot.press("c")
        await settle(pilot)
        await select(pilot, app, "2", long_key)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ResolveDialog)
        assert_screen_is_inert(app, "the resolve dialog")
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert everywhere.store.get(long_key).status is Status.RESOLVED

        await select(pilot, app, "1", "web:plain")
        await pilot.press("d")  # resolving straight from New
        await pilot.pause()
        assert CLICK in assert_screen_is_inert(app, "the resolve dialog")
        await pilot.press("escape", "c")  # kept, for the handover
        await settle(pilot)

        await pilot.press("s")  # statistics count the hostile staff and channel label
        await settle(pilot)
        assert_screen_is_inert(app, "the statistics")
        await pilot.press("escape", "h")
        await settle(pilot)
        assert CLICK in assert_screen_is_inert(app, "the handover")
        await pilot.press("ctrl+s")  # keep it; the shift summary names the staff
        await settle(pilot)
        assert "Handover done" in assert_screen_is_inert(app, "the shift summary")
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("3")
        await pilot.pause()
        assert await click_every(pilot, app, CLICK) > 0
        assert_screen_is_inert(app, "after clicking every bracket")
        assert_notifications_are_inert(recorder)
        shown_notes = [n.message for n in (m.notification for m in recorder.of(Notify))]
        assert any("released to New" in n and CLICK in n for n in shown_notes)
        assert any("flag cleared" in n and CLICK in n for n in shown_notes)
        assert any("handed to" in n and CLICK in n for n in shown_notes)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "javascript:alert(1)", "-oProxyCommand=evil", "http://[", "https:///x"],
)
async def test_a_link_that_is_not_a_web_address_is_never_opened(
    desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """``o`` hands the browser only an http(s) address: a relay's url is not a command."""
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "get", lambda using=None: object())
    monkeypatch.setattr(webbrowser, "open", lambda u, *a, **k: opened.append(u) or True)
    now = clock.now()
    desk.ingest([Message("web", "1", Kind.MENTION, "@reader", "Open?", now, url=url)])
    recorder = Recorder()
    app = make_app(desk, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("o")
        await settle(pilot)
    assert opened == []
    [note] = [m.notification for m in recorder.of(Notify)]
    assert note.severity == "warning" and "not a web address" in note.message


async def test_template_names_and_a_channels_error_are_shown_inert(
    everywhere: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    """A template named with markup and escapes (the config is typed by staff) whose body
    brings in the patron's hostile name, and a channel whose error names a folder called that
    way: the status bar, the "Channel problem" notification, the channels screen (i), the
    template picker (t) and the composer it fills show them inert."""
    missing = tmp_path / VALUE.replace("/", "|")  # a folder name may hold all but "/"
    poller = Poller(everywhere, [DropFolderChannel(name="web", path=missing)])
    # {patron} brings the patron's (hostile) name into the composer's text area.
    body = "Hello {patron}, we open at nine."
    settings = ReplySettings(templates=(Template(name=VALUE, body=body, key="1"),))
    recorder = Recorder()
    app = AskdeskApp(
        everywhere,
        clock=clock,
        poller=poller,
        refresh_seconds=3600,
        outbox=Outbox(everywhere, {}),
        reply_settings=settings,
    )
    app.animation_level = "none"
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot)
        assert "does not exist" in str(poller.health["web"].last_error)
        assert_screen_is_inert(app, "the desk with a failing channel")
        await pilot.press("i")
        await settle(pilot)
        assert CLICK in assert_screen_is_inert(app, "the channels screen")
        await pilot.press("escape")
        await select(pilot, app, "1", "web:plain")
        await pilot.press("t")
        await settle(pilot)
        assert CLICK in assert_screen_is_inert(app, "the template picker")
        await pilot.press("1")  # the template, into the composer
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert CLICK in assert_screen_is_inert(app, "the composer with the template")
        await pilot.press("escape")
        await settle(pilot)
        assert_screen_is_inert(app, "back on the desk")
    assert_notifications_are_inert(recorder)
    assert any(m.notification.title == "Channel problem" for m in recorder.of(Notify))
