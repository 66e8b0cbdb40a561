"""The filter matches what a row shows, and says how much it hides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tuikit import screen_lines, settle, type_text

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Kind, Message
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.widgets.conversation_list import ConversationList


@pytest.fixture
def seeded(desk: Desk) -> Desk:
    """A web-form question (label "form"), an email and a chat; bo holds the chat."""

    def message(channel: str, remote_id: str, kind: Kind, author: str, text: str) -> Message:
        return Message(
            channel=channel,
            remote_id=remote_id,
            kind=kind,
            author=author,
            text=text,
            received_at=desk.clock.now() - timedelta(minutes=int(remote_id)),
            label="form" if channel == "webform" else None,
        )

    desk.ingest(
        [
            message("webform", "30", Kind.DIRECT, "Priya N.", "Do you hold the first edition?"),
            message("email", "20", Kind.EMAIL, "Sam Ortiz", "Library card without a bill?"),
            message("xmpp", "10", Kind.CHAT, "guest42", "where is the quiet room?"),
        ]
    )
    Desk(desk.store, "bo", desk.clock).claim("xmpp:10")
    return desk


def make_app(desk: Desk, clock: FixedClock) -> AskdeskApp:
    app = AskdeskApp(desk, clock=clock, poller=None, refresh_seconds=3600)
    app.animation_level = "none"
    return app


def keys_shown(app: AskdeskApp) -> list[str]:
    return [row.key for row in app.screen.query_one(ConversationList).rows]


@pytest.mark.parametrize(
    ("needle", "pane", "expected"),
    [
        ("form", "1", ["webform:30"]),  # the channel's label, shown as webform/form
        ("email", "1", ["email:20"]),  # the kind
        ("ortiz", "1", ["email:20"]),  # the author
        ("first edition", "1", ["webform:30"]),  # the words
        ("bo", "2", ["xmpp:10"]),  # the holder
        ("chat", "2", ["xmpp:10"]),  # the kind of a chat
    ],
)
async def test_the_filter_matches_what_the_row_shows(
    seeded: Desk, clock: FixedClock, needle: str, pane: str, expected: list[str]
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press(pane, "slash")
        await type_text(pilot, needle)
        await pilot.press("enter")
        await settle(pilot)
        assert keys_shown(app) == expected


async def test_rows_hidden_by_the_filter_are_counted_not_called_empty(
    seeded: Desk, clock: FixedClock
) -> None:
    """A filter that hides every row of a pane says how many, on every pane it is kept on."""
    app = make_app(seeded, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "zzz")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        text = "\n".join(screen_lines(app.export_screenshot()))
        assert "2 hidden by the filter (esc clears)" in text
        assert "No new questions" not in text
        await pilot.press("2")  # the filter stays on when the pane changes
        await settle(pilot)
        text = "\n".join(screen_lines(app.export_screenshot()))
        assert "1 hidden by the filter (esc clears)" in text
        assert "Nothing claimed" not in text


async def test_the_header_counts_what_a_filter_hides_beside_what_it_shows(
    seeded: Desk, clock: FixedClock
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "form")
        await pilot.press("enter")
        await settle(pilot)
        header = next(line for line in screen_lines(app.export_screenshot()) if "CHANNEL" in line)
        assert header.endswith("1 hidden by the filter")


async def test_the_status_line_names_the_filter_before_what_80_columns_cut(
    seeded: Desk, clock: FixedClock
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash")
        await type_text(pilot, "first edition")
        await pilot.press("enter")
        await settle(pilot)
        assert "filter: first edition" in screen_lines(app.export_screenshot())[0]
