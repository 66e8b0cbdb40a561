"""The desk on a Twitter/X channel: tweepy's real Client against recorded X API v2 traffic.

What a staff member sees: mentions and DMs in New with handles and threads, a
template reply posted under the right tweet, and X's errors in the status
line while the keys keep working.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tuikit import screen_lines, settle

from askdesk.channels.registry import build_channel
from askdesk.channels.twitter import TwitterChannel
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.sync import Poller
from askdesk.desk.templates import starter_templates
from askdesk.model import ReplyStatus
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.channels import ChannelsScreen
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.widgets.conversation_list import ConversationList
from tests.channels.twitter_api import (
    XApi,
    fail_every_read,
    first_poll,
    recorded_x_api,
    tweet_id,
    use_test_credentials,
)

SIZE = (120, 34)
THREAD = f"twitter:{tweet_id(1)}"


@pytest.fixture
def x_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[XApi]:
    use_test_credentials(monkeypatch)
    with recorded_x_api() as api:
        yield api


def make_app(desk: Desk) -> tuple[AskdeskApp, Poller]:
    channel = build_channel(ChannelConfig(type="twitter", name="twitter"))
    assert isinstance(channel, TwitterChannel)
    templates, variables = starter_templates()
    poller = Poller(desk, [channel])
    app = AskdeskApp(
        desk,
        clock=desk.clock,
        poller=poller,
        outbox=Outbox(desk, {"twitter": channel}),
        reply_settings=ReplySettings(
            templates=templates,
            variables=variables,
            library="Anytown Public Library",
            platforms={"twitter": "twitter"},
            private_routes=frozenset({"twitter"}),
        ),
        refresh_seconds=3600,
    )
    app.animation_level = "none"
    return app, poller


def shown(app: AskdeskApp) -> str:
    return "\n".join(screen_lines(app.export_screenshot()))


async def test_mentions_and_dms_arrive_and_a_template_reply_goes_under_the_right_tweet(
    x_api: XApi, desk: Desk
) -> None:
    first_poll(x_api)
    app, _ = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = {r.key: r for r in app.screen.query_one(ConversationList).rows}
        assert set(rows) == {
            f"twitter:{tweet_id(0)}",
            THREAD,  # Marisol's question and her follow-up, one conversation
            "twitter:dm-1298765432100000005-1460023857394458624",
            "twitter:dm-1298765432100000006-1460023857394458624",
        }
        assert rows[THREAD].author == "@marisol_reads"
        assert rows[THREAD].messages == 2
        screen = shown(app)
        assert "New (4)" in screen
        assert "twitter ✓" in screen

        # The thread is the oldest: the cursor starts on it. t, 1, ctrl+s.
        while app.screen.query_one(ConversationList).current.key != THREAD:  # type: ignore[union-attr]
            await pilot.press("j")
        x_api.answer("post_tweet_created")
        await pilot.press("t", "1")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)

        (post,) = x_api.calls_to("/2/tweets", "POST")
        assert post.body["reply"] == {"in_reply_to_tweet_id": tweet_id(6)}  # her latest post
        assert post.body["text"].startswith("Hi @marisol_reads!")  # the handle, once
        stored = desk.get(THREAD)
        assert stored is not None
        (reply,) = stored.replies
        assert (reply.status, reply.remote_id, reply.templates) == (
            ReplyStatus.SENT,
            tweet_id(10),
            ("Hours",),
        )
        assert stored.holder == desk.staff  # replying claimed it


@pytest.mark.parametrize(
    ("recording", "words"),
    [
        ("error_401_unauthorized", "credentials rejected by X (401)"),
        ("error_403_client_not_enrolled", "Basic"),
        ("error_429_too_many_requests", "rate limit"),
        ("error_503_service_unavailable", "X is having trouble (503"),
        ("malformed_200", "not JSON"),
    ],
)
async def test_every_x_error_shows_in_the_status_line_and_the_desk_stays_usable(
    x_api: XApi, desk: Desk, clock: FixedClock, recording: str, words: str
) -> None:
    first_poll(x_api)
    app, poller = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fail_every_read(x_api, recording)
        clock.advance(minutes=2)
        app.poll_channels()
        await settle(pilot)

        assert words in (poller.health["twitter"].last_error or "")
        assert "twitter ✗" in shown(app)
        # The keys still work: move, claim, switch panes.
        await pilot.press("j", "c")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert "Claimed (1)" in shown(app)


async def test_i_shows_each_channels_health_in_full(
    x_api: XApi, desk: Desk, clock: FixedClock
) -> None:
    first_poll(x_api)
    app, _ = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fail_every_read(x_api, "error_429_too_many_requests")
        clock.advance(minutes=2)
        app.poll_channels()
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ChannelsScreen)
        screen = shown(app)
        assert "rate limit for reading mentions is used up" in screen
        assert "14:15" in screen  # the reset time from the x-rate-limit-reset header
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ChannelsScreen)
