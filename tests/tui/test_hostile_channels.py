"""Hostile patrons on the channels added after issue 11, through the app's own poller.

Facebook, SMS and Bluesky adapters (their real HTTP clients, against the loopback
stand-ins their own tests use) bring markup, escapes, C1 controls, bidi overrides and
10,000-character names; a thread whose id is a path and texts that cannot be read are set
aside. The desk shows every string inert, names what it set aside on the status bar and
the channels screen, and no bracket becomes an action.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from tuikit import Recorder, settle

from askdesk.channels.registry import build_channel
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.widgets.conversation_list import ConversationList
from tests.channels import bluesky_service
from tests.channels.standin import Answer, StandIn, serving
from tests.channels.test_facebook import KAY_THREAD, PAGE, SAM_THREAD, V
from tests.channels.test_facebook import recorded as facebook_recorded
from tests.channels.test_sms import ACCOUNT, AUTH_TOKEN, LIBRARY, MESSAGES
from tests.channels.test_sms import recorded as twilio_recorded
from tests.tui.test_hostile_text import (
    CLICK,
    SIZE,
    VALUE,
    assert_notifications_are_inert,
    assert_screen_is_inert,
    click_every,
)

NAME = VALUE + " " + "N" * 10_000


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandIn, bluesky_service.StandIn]]:
    monkeypatch.setenv("ASKDESK_FACEBOOK_PAGE_TOKEN", "EAAGm0PX4ZCpsBAPagetokenForTests")
    monkeypatch.setenv("ASKDESK_TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("ASKDESK_TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("ASKDESK_BLUESKY_APP_PASSWORD", bluesky_service.APP_PASSWORD)
    conversations = copy.deepcopy(facebook_recorded("conversations"))
    conversations["data"].insert(0, {**conversations["data"][0], "id": "../../me/accounts"})
    kay = copy.deepcopy(facebook_recorded("messages_odd"))
    hostile = {**kay["data"][0], "id": "m_hostile", "message": VALUE}
    kay["data"].insert(0, {**hostile, "from": {**hostile["from"], "name": NAME}})
    media = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/SM{12:032x}/Media.json".replace("SM", "MM")
    with serving(StandIn()) as web, bluesky_service.stand_in() as bluesky:
        web.on("GET", f"{V}/{PAGE}/conversations", Answer(200, conversations))
        web.on("GET", f"{V}/{KAY_THREAD}/messages", Answer(200, kay))
        web.on("GET", f"{V}/{SAM_THREAD}/messages", Answer(200, facebook_recorded("messages_sam")))
        web.on("GET", MESSAGES, Answer(200, twilio_recorded("messages_odd")))
        web.on("GET", media, Answer(200, twilio_recorded("media_list")))
        bluesky.answer(
            "app.bsky.notification.listNotifications", recorded="notifications_malformed"
        )
        yield web, bluesky


def channels(web: StandIn, bluesky: bluesky_service.StandIn) -> list[Any]:
    tables = [
        ("facebook", "fb", {"page_id": PAGE, "graph_url": web.url, "backfill_hours": 48}),
        ("sms", "text", {"number": LIBRARY, "api_base": web.url}),
        ("bluesky", "bsky", {"handle": bluesky_service.HANDLE, "service": bluesky.url}),
    ]
    return [build_channel(ChannelConfig(type=t, name=n, options=o)) for t, n, o in tables]


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
