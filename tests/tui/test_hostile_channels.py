"""Hostile patrons on the channels added after issue 11, through the app's own poller.

Facebook, SMS and Bluesky adapters (their real HTTP clients, against the loopback
stand-ins their own tests use) bring markup, escapes, C1 controls, bidi overrides and
10,000-character names; a thread whose id is a path and texts that cannot be read are set
aside. The desk shows every string inert, names what it set aside on the status bar and
the channels screen, and no bracket becomes an action.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tuikit import Recorder, settle

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.widgets.conversation_list import ConversationList
from tests.channels import bluesky_service
from tests.channels.hostile_payloads import channels, hostile_services
from tests.channels.standin import StandIn
from tests.tui.test_hostile_text import (
    CLICK,
    SIZE,
    assert_notifications_are_inert,
    assert_screen_is_inert,
    click_every,
)


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandIn, bluesky_service.StandIn]]:
    with hostile_services(monkeypatch) as running:
        yield running


async def test_hostile_strings_from_facebook_sms_and_bluesky_reach_the_screen_inert(
    services: tuple[StandIn, bluesky_service.StandIn], desk: Desk, clock: FixedClock
) -> None:
    web, bluesky = services
    poller = Poller(desk, channels(web, bluesky))
    recorder = Recorder()
    app = AskdeskApp(desk, clock=clock, poller=poller, refresh_seconds=3600)
    app.animation_level = "none"
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await settle(pilot)
        await settle(pilot)  # the poll's notice starts a store check
        keys = [row.key for row in app.screen.query_one(ConversationList).rows]
        assert {key.partition(":")[0] for key in keys} == {"fb", "text", "bsky"}
        shown = assert_screen_is_inert(app, "the desk")
        assert "[bold red]free fines[/] ␛[31mred" in shown  # literally, not red
        # What was set aside is named on each channel's health, in a sentence.
        assert "../../me/accounts" in str(poller.health["fb"].last_error)
        assert "not an E.164 number" in str(poller.health["text"].last_error)
        assert "does not match its lexicon" in str(poller.health["bsky"].last_error)
        await pilot.press("i")
        await settle(pilot)
        assert "../../me/accounts" in assert_screen_is_inert(app, "the channels screen")
        await pilot.press("escape")
        await settle(pilot)
        clicked = 0
        for _ in keys:  # each conversation's detail, with the whole text
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen)
            assert_screen_is_inert(app, "a conversation's detail")
            clicked += await click_every(pilot, app, CLICK)
            assert_screen_is_inert(app, "after clicking the patron's brackets")
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("down")
        assert clicked  # the Facebook name and words, literally, and clicking did nothing
        assert app.is_running
    assert_notifications_are_inert(recorder)
