"""Hostile Facebook, SMS and Bluesky payloads on the loopback stand-ins the channels' own
tests use: markup, escapes, C1, bidi and a 10,000-character Messenger name, a thread whose
id is a path, a text from no E.164 number, a post that fails its lexicon.
Shared by the desk's test (``tests/tui``) and the command line's (``tests/cli``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from askdesk.channels.registry import build_channel
from askdesk.config import ChannelConfig
from tests.channels import bluesky_service
from tests.channels.standin import Answer, StandIn, serving
from tests.channels.test_facebook import KAY_THREAD, PAGE, SAM_THREAD, V
from tests.channels.test_facebook import recorded as facebook_recorded
from tests.channels.test_sms import ACCOUNT, AUTH_TOKEN, LIBRARY, MESSAGES
from tests.channels.test_sms import recorded as twilio_recorded
from tests.cli.test_hostile_cli import VALUE

NAME = VALUE + " " + "N" * 10_000


@contextmanager
def hostile_services(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[StandIn, bluesky_service.StandIn]]:
    """The Graph API and Twilio stand-in (one server) and the Bluesky one, answering with
    hostile payloads, and the credentials each channel reads."""
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
