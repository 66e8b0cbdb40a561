"""Resolve, hand-off and release check, like the composer, that nothing changed meanwhile.

A patron's follow-up or a colleague's action that reaches the store while a
dialog is open stops the action and is named; it is never swallowed into a
resolved (or handed-on, or released) conversation.
"""

from __future__ import annotations

import pytest
from tuikit import Recorder, settle, type_text

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Status
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.prompts import ResolveDialog, TextPrompt

SIZE = (120, 34)
KEY = "web:1"


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "Are you open on Monday?", author="@reader", minutes_ago=50)])
    desk.claim(KEY)
    return desk


def make_app(desk: Desk, clock: FixedClock) -> AskdeskApp:
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600)
    app.animation_level = "none"
    return app


def follow_up(store: TinyDBStore, clock: FixedClock, make_message) -> None:  # type: ignore[no-untyped-def]
    """The patron writes again in the same conversation, through another process's store."""
    message = make_message("1b", "Sorry, I meant Tuesday", author="@reader", conversation="1")
    Desk(TinyDBStore(store.path), "poller", clock).ingest([message])


async def test_a_follow_up_while_the_resolve_dialog_is_open_stops_the_resolve(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("2", "d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        follow_up(store, clock, make_message)
        await pilot.press("enter", "1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    stored = seeded.get(KEY)
    assert stored is not None
    assert (stored.status, stored.holder) == (Status.CLAIMED, "ana")
    assert len(stored.messages) == 2
    assert ("warning", f"{KEY} was not resolved: meanwhile the patron wrote again") in (
        recorder.notifications()
    )


async def test_a_colleagues_note_while_handing_off_stops_the_hand_off(
    seeded: Desk, store: TinyDBStore, clock: FixedClock
) -> None:
    recorder = Recorder()
    Desk(TinyDBStore(store.path), "cy", clock).note(KEY, "seen before")  # cy is known here
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("2", "a")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        Desk(TinyDBStore(store.path), "bo", clock).note(KEY, "I know this patron")
        await type_text(pilot, "cy")
        await pilot.press("enter")
        await settle(pilot)
    stored = seeded.get(KEY)
    assert stored is not None and stored.holder == "ana"
    assert ("warning", f"{KEY} was not handed on: meanwhile bo added a note") in (
        recorder.notifications()
    )


async def test_release_stops_when_the_patron_wrote_since_the_screen_showed_it(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("2")
        await settle(pilot)
        follow_up(store, clock, make_message)
        await pilot.press("u")
        await settle(pilot)
    stored = seeded.get(KEY)
    assert stored is not None and stored.holder == "ana"
    assert ("warning", f"{KEY} was not released: meanwhile the patron wrote again") in (
        recorder.notifications()
    )
