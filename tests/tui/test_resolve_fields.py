"""The resolve dialog's "minutes spent" and the library's own fields, all by keyboard.

Minutes spent is proposed from how long the conversation was open on this desk
(its view, or a reply in the composer) and can be typed over; a field is
answered by a digit or the first letters; a required one left open stops the
resolve; a template proposes answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input
from tuikit import settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.config import StatsField
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.templates import Template
from askdesk.model import Kind, QuestionType, Status
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.prompts import ResolveDialog
from askdesk.tui.widgets.choice_row import ChoiceRow

SIZE = (120, 34)
KEY = "web:1"
FIELDS = (
    StatsField("patron_type", ("adult", "teen", "child"), required=True),
    StatsField("branch", ("main", "east", "eastgate")),
)
HOURS = Template(
    name="Hours",
    body="We open at 9.",
    key="1",
    question_type="directional",
    read=1,
    fields={"branch": "east"},
)


@pytest.fixture
def app(desk: Desk, clock: FixedClock, make_message, tmp_path: Path) -> AskdeskApp:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "When do you open?", kind=Kind.DIRECT)])
    folder = tmp_path / "drop"
    folder.mkdir()
    channel = DropFolderChannel("web", folder, outbox=tmp_path / "replies.jsonl")
    app = AskdeskApp(
        desk,
        clock=clock,
        outbox=Outbox(desk, {"web": channel}),
        reply_settings=ReplySettings(templates=(HOURS,), platforms={"web": "drop"}),
        refresh_seconds=3600,
        stats_fields=FIELDS,
    )
    app.animation_level = "none"
    return app


def dialog(app: AskdeskApp) -> ResolveDialog:
    assert isinstance(app.screen, ResolveDialog)
    return app.screen


def row(app: AskdeskApp, name: str) -> ChoiceRow:
    return next(r for r in dialog(app).query(ChoiceRow) if r.field.name == name)


async def test_minutes_are_proposed_from_open_time_and_fields_chosen_by_keys(
    app: AskdeskApp, desk: Desk, clock: FixedClock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # the conversation's own view
        await settle(pilot)
        clock.advance(minutes=7)
        await pilot.press("d")
        await settle(pilot)
        assert dialog(app).query_one("#minutes", Input).value == "7"
        await pilot.press("enter", "2")  # directional, READ 2
        await pilot.press("tab", "tab")  # outcome, then minutes
        await pilot.press("backspace", "1", "2")  # 7 becomes 12
        await pilot.press("tab", "t")  # patron type: first letter
        assert row(app, "patron_type").value == "teen"
        await pilot.press("tab", "e")  # branch: "e" is east...
        assert row(app, "branch").value == "east"
        await type_text(pilot, "astg")  # ...and typed on, eastgate
        assert row(app, "branch").value == "eastgate"
        await pilot.press("2")  # a digit picks by place
        assert row(app, "branch").value == "east"
        await pilot.press("enter")
        await settle(pilot)
    stored = desk.get(KEY)
    assert stored is not None and stored.status is Status.RESOLVED
    [resolution] = stored.resolutions
    assert (resolution.question_type, resolution.read_level) == (QuestionType.DIRECTIONAL, 2)
    assert resolution.time_spent_min == 12
    assert resolution.fields == {"patron_type": "teen", "branch": "east"}


async def test_a_required_field_left_open_stops_the_resolve(app: AskdeskApp, desk: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await settle(pilot)
        assert dialog(app).query_one("#minutes", Input).value == ""  # never opened here
        await pilot.press("enter", "1", "enter")
        await settle(pilot)
        assert app.focused is row(app, "patron_type")
        hint = str(dialog(app).query_one(".dialog-hint").render())
        assert "patron type is required" in hint
        stored = desk.get(KEY)
        assert stored is not None and stored.status is Status.NEW
        await pilot.press("3", "enter")  # child, by its digit
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    stored = desk.get(KEY)
    assert stored is not None and stored.status is Status.RESOLVED
    assert stored.resolutions[0].fields == {"patron_type": "child"}
    assert stored.resolutions[0].time_spent_min is None


async def test_a_template_proposes_answers_and_the_composer_counts_as_open(
    app: AskdeskApp, desk: Desk, clock: FixedClock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "1")  # the Hours template in the composer
        await settle(pilot)
        clock.advance(minutes=3)
        await pilot.press("ctrl+r")  # send and resolve
        await settle(pilot)
        assert row(app, "branch").value == "east"  # proposed by the template
        assert dialog(app).query_one("#minutes", Input).value == "3"
        await pilot.press("enter")  # READ 1, as the template says: patron type is missing
        await pilot.press("a", "enter")
        await settle(pilot)
    stored = desk.get(KEY)
    assert stored is not None and stored.status is Status.RESOLVED
    [resolution] = stored.resolutions
    assert resolution.fields == {"patron_type": "adult", "branch": "east"}
    assert resolution.time_spent_min == 3


async def test_keys_typed_in_one_burst_answer_the_field_focused_at_the_time(
    app: AskdeskApp,
) -> None:
    """ "t", tab, "e" arriving together (a fast typist, a busy desk): teen, then east."""
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await settle(pilot)
        dialog(app).set_focus(row(app, "patron_type"))
        for key, character in (("t", "t"), ("tab", "\t"), ("e", "e")):
            app.post_message(events.Key(key, character))
        await settle(pilot)
        assert (row(app, "patron_type").value, row(app, "branch").value) == ("teen", "east")
