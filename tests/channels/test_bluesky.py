"""The bluesky channel against the real atproto SDK and a stand-in service on loopback.

The stand-in (``bluesky_service``) keeps sessions the way a PDS does and
answers from recordings in the AT Protocol lexicons' shapes.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bluesky_service import APP_PASSWORD, CHAT_PROXY, HANDLE, ME, StandIn, stand_in

from askdesk.channels.bluesky import BlueskyChannel, SessionFile
from askdesk.channels.bluesky.record_key import reply_record_key
from askdesk.channels.registry import build_channel
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.errors import (
    ConfigError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
)
from askdesk.model import Conversation, Kind, Message, Reply, ReplyStatus
from askdesk.model.replying import take_for_sending

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
LIST = "app.bsky.notification.listNotifications"
CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"
MARISOL_MENTION = "at://did:plc:marisolreads5xq3hk2v/app.bsky.feed.post/3lholiday7k2a"
MARISOL_REPLY = "at://did:plc:marisolreads5xq3hk2v/app.bsky.feed.post/3lbookdrop9c1"
ANNOUNCE = f"at://{ME}/app.bsky.feed.post/3lannounce22a"


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    monkeypatch.setenv("ASKDESK_BLUESKY_APP_PASSWORD", APP_PASSWORD)
    with stand_in() as running:
        yield running


def channel(service: StandIn, **options: object) -> BlueskyChannel:
    """The channel as ``askdesk`` builds it from a ``[[channels]]`` table (a new one per run)."""
    values = {"handle": HANDLE, "service": service.url, **options}
    built = build_channel(ChannelConfig(type="bluesky", name="bsky", options=values))
    assert isinstance(built, BlueskyChannel)
    return built


def first_poll(service: StandIn) -> None:
    service.answer(LIST, recorded="notifications_page1")
    service.answer(LIST, recorded="notifications_page2")


def by_key(messages: list[Message]) -> dict[str, Message]:
    return {m.remote_id: m for m in messages}


# -- notifications in -------------------------------------------------------------------


def test_pages_of_notifications_arrive_once_and_likes_follows_and_own_posts_do_not(
    service: StandIn,
) -> None:
    first_poll(service)
    fetched = channel(service).fetch(None, NOW)

    got = by_key(fetched.messages)
    assert sorted(got) == sorted(
        [
            MARISOL_MENTION,
            "at://did:plc:jowrites4ta8nqe2ld/app.bsky.feed.post/3lteenreads8",
            "at://did:plc:oldmillhistory3kd9zp/app.bsky.feed.post/3lmillfire2b",
            "at://did:plc:quietpages7hb2mcdw4q/app.bsky.feed.post/3lpiranesi4d",
            MARISOL_REPLY,
        ]
    )  # no like, repost, follow, nor the library's own post
    assert fetched.problems == []
    mention = got[MARISOL_MENTION]
    assert mention.key == f"bsky:{MARISOL_MENTION}"
    assert (mention.kind, mention.author, mention.label) == (
        Kind.MENTION,
        "@marisol.bsky.social",
        "Marisol Reyes",
    )
    assert mention.received_at == datetime(2026, 11, 23, 13, 10, tzinfo=UTC)
    assert mention.url == "https://bsky.app/profile/marisol.bsky.social/post/3lholiday7k2a"
    # Oldest first, as they happened.
    assert [m.received_at for m in fetched.messages] == sorted(
        m.received_at for m in fetched.messages
    )
    # The request asked only for the reasons that can be questions, 50 at a time, page 2 by cursor.
    calls = service.calls_to(LIST)
    assert [c.params.get("reasons") for c in calls] == [["mention", "quote", "reply"]] * 2
    assert "cursor" not in calls[0].params
    assert calls[1].params["cursor"] == ["2026-11-23T13:40:00.000Z::bafyreiown"]

    # The next poll: the same newest page again reads nothing twice and stops at page one.
    service.answer(LIST, recorded="notifications_page1")
    again = channel(service).fetch(fetched.cursor, NOW + timedelta(minutes=1))
    assert again.messages == []
    assert service.count(LIST) == 3


def test_a_post_reads_as_written_with_its_links_whole_and_images_by_alt_text(
    service: StandIn,
) -> None:
    first_poll(service)
    got = by_key(channel(service).fetch(None, NOW).messages)
    piranesi = got["at://did:plc:quietpages7hb2mcdw4q/app.bsky.feed.post/3lpiranesi4d"]
    assert piranesi.text == (
        "📚 just finished Piranesi! Anything like it? Reviews: "
        "https://example.org/reviews/piranesi-by-susanna-clarke"
        "\n[image: A hardback of Piranesi on a windowsill]"
    )
    assert piranesi.label == "Quiet Pages 📖"


def test_a_reply_joins_its_thread_by_root_and_replies_to_the_library_are_per_patron(
    service: StandIn,
) -> None:
    first_poll(service)
    got = by_key(channel(service).fetch(None, NOW).messages)
    mention, follow_up = got[MARISOL_MENTION], got[MARISOL_REPLY]
    # The follow-up's root is Marisol's first post: one conversation.
    assert follow_up.conversation_key == mention.conversation_key == mention.key
    # A reply under the library's own announcement is that patron's conversation, not everybody's.
    jo = got["at://did:plc:jowrites4ta8nqe2ld/app.bsky.feed.post/3lteenreads8"]
    assert jo.conversation == f"{ANNOUNCE}?patron=did:plc:jowrites4ta8nqe2ld"
    # A quote post stands on its own.
    quote = got["at://did:plc:oldmillhistory3kd9zp/app.bsky.feed.post/3lmillfire2b"]
    assert quote.conversation_key == quote.key


def test_a_malformed_notification_is_skipped_with_its_reason_and_the_rest_arrive(
    service: StandIn,
) -> None:
    service.answer(LIST, recorded="notifications_malformed")
    fetched = channel(service).fetch(None, NOW)

    got = by_key(fetched.messages)
    assert sorted(got) == [
        "at://did:plc:oldmillhistory3kd9zp/app.bsky.feed.post/3lhostile",
        "at://did:plc:quietpages7hb2mcdw4q/app.bsky.feed.post/3lgood1",
    ]
    problems = [str(p) for p in fetched.problems]
    assert len(problems) == 4
    jo = "notification at://did:plc:jowrites4ta8nqe2ld/app.bsky.feed.post"
    assert problems[0] == f"{jo}/3lnocid: does not match its lexicon (cid); skipped"
    assert problems[1] == f"{jo}/3lbadrecord: does not match its lexicon (text); skipped"
    assert problems[2] == f"{jo}/3lpoke: unknown notification reason 'poke'; skipped"
    assert problems[3] == "a notification without an id: not a notification object"
    # Markup, escape codes, bidi overrides and 10,000 characters arrive literally.
    hostile = got["at://did:plc:oldmillhistory3kd9zp/app.bsky.feed.post/3lhostile"]
    assert hostile.text == (
        "[bold red]free books[/] \x1b[31mred\x1b[0m \u202eevil\u202c " + "x" * 10000
    )
    assert hostile.label == "[blink]Old Mill[/blink]"


# -- the session: logged in once, kept, refreshed, made again only when refused ------------


def test_a_cron_fetch_every_minute_for_an_hour_logs_in_once(service: StandIn) -> None:
    """Sixty runs, each a new process's channel: one createSession; refreshes when the service
    lets access tokens lapse; the session lives in an owner-only file, never in the cursor."""
    cursor = None
    for minute in range(60):
        if minute in (20, 40):
            service.expire_access_tokens()  # the service's two-hour tokens, sped up
        fetched = channel(service).fetch(cursor, NOW + timedelta(minutes=minute))
        cursor = fetched.cursor
    assert service.count(CREATE_SESSION) == 1
    assert service.count(REFRESH_SESSION) == 2
    assert service.count(LIST) == 60 + 2  # each refused call made again, once

    files = list((Path(os.environ["XDG_STATE_HOME"]) / "askdesk" / "bluesky").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].parent.stat().st_mode) == 0o700
    session = json.loads(files[0].read_text())["session"]
    assert session.split(":::")[:2] == [HANDLE, ME]
    assert APP_PASSWORD not in files[0].read_text()
    assert cursor is not None and "eyJ" not in cursor and APP_PASSWORD not in cursor


def test_a_refused_refresh_token_logs_in_again(service: StandIn) -> None:
    channel(service).fetch(None, NOW)
    service.expire_access_tokens()
    service.revoke_refresh_tokens()
    channel(service).fetch(None, NOW)
    assert service.count(CREATE_SESSION) == 2
    assert service.count(LIST) == 3  # the refused call was made again with the new session


def test_a_session_file_others_can_read_is_not_used(service: StandIn) -> None:
    channel(service).fetch(None, NOW)
    session_file = SessionFile.of(service.url, HANDLE)
    session_file.path.chmod(0o644)
    channel(service).fetch(None, NOW)
    assert service.count(CREATE_SESSION) == 2
    assert stat.S_IMODE(session_file.path.stat().st_mode) == 0o600


def test_a_refused_app_password_says_which_variable_without_its_value(service: StandIn) -> None:
    service.password = "zzzz-zzzz-zzzz-zzzz"
    with pytest.raises(CredentialsRejected) as refused:
        channel(service).fetch(None, NOW)
    assert "ASKDESK_BLUESKY_APP_PASSWORD" in str(refused.value)
    assert "401" in str(refused.value)
    assert APP_PASSWORD not in str(refused.value)


def test_an_account_password_or_none_is_refused_when_the_desk_starts(
    service: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASKDESK_BLUESKY_APP_PASSWORD", "my secret Passw0rd!")
    with pytest.raises(ConfigError, match="does not look like an app password"):
        channel(service)
    monkeypatch.delenv("ASKDESK_BLUESKY_APP_PASSWORD")
    with pytest.raises(
        ConfigError, match="needs a Bluesky app password in ASKDESK_BLUESKY_APP_PASSWORD"
    ):
        channel(service)
    assert service.calls == []


def test_a_service_over_plain_http_is_refused_unless_on_this_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASKDESK_BLUESKY_APP_PASSWORD", APP_PASSWORD)
    values = {"handle": HANDLE, "service": "http://pds.example.org"}
    with pytest.raises(ConfigError, match="service should start with https://"):
        build_channel(ChannelConfig(type="bluesky", name="bsky", options=values))


# -- the service failing ---------------------------------------------------------------


def test_429_is_a_rate_limit_until_the_reset_header_and_nobody_sleeps(service: StandIn) -> None:
    reset = int((NOW + timedelta(minutes=5)).timestamp())
    service.answer(
        LIST,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        status=429,
        headers={
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(reset),
            "ratelimit-policy": "3000;w=300",
        },
    )
    bsky = channel(service)
    with pytest.raises(RateLimited) as limited:
        bsky.fetch(None, NOW)
    assert limited.value.reset_at == NOW + timedelta(minutes=5)
    assert "14:05:00 UTC" in str(limited.value)
    assert bsky.rate_limit == (0, NOW + timedelta(minutes=5))


def test_the_quota_left_is_on_the_health_line(service: StandIn) -> None:
    reset = int((NOW + timedelta(minutes=4)).timestamp())
    service.answer(
        LIST,
        {"notifications": []},
        headers={"ratelimit-remaining": "2990", "ratelimit-reset": str(reset)},
    )
    bsky = channel(service)
    bsky.fetch(None, NOW)
    assert bsky.rate_limit == (2990, NOW + timedelta(minutes=4))


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_failing_service_is_tried_again_later_not_at_once(service: StandIn, status: int) -> None:
    service.answer(
        LIST, {"error": "InternalServerError", "message": "Internal Server Error"}, status=status
    )
    bsky = channel(service)
    with pytest.raises(PlatformUnavailable, match=f"having trouble \\({status}\\)"):
        bsky.fetch(None, NOW)
    asked = service.count(LIST)
    with pytest.raises(PlatformUnavailable, match="next try at 14:01:00 UTC"):
        bsky.fetch(None, NOW + timedelta(seconds=30))
    assert service.count(LIST) == asked
    bsky.fetch(None, NOW + timedelta(minutes=1))
    assert service.count(LIST) == asked + 1


def test_an_unreachable_service_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDESK_BLUESKY_APP_PASSWORD", APP_PASSWORD)
    with stand_in() as gone:
        url = gone.url
    values = {"handle": HANDLE, "service": url}
    bsky = build_channel(ChannelConfig(type="bluesky", name="bsky", options=values))
    assert isinstance(bsky, BlueskyChannel)
    with pytest.raises(PlatformUnavailable, match="unreachable"):
        bsky.fetch(None, NOW)


# -- replies out -------------------------------------------------------------------------


def test_a_reply_has_the_thread_root_and_the_patron_post_as_parent_and_byte_facets(
    service: StandIn,
) -> None:
    bsky = channel(service)
    first_poll(service)
    messages = bsky.fetch(None, NOW).messages
    thread = [m for m in messages if m.conversation_key == f"bsky:{MARISOL_MENTION}"]
    service.answer("app.bsky.feed.getPosts", recorded="posts_reply")
    text = "📚 Yes! Hours: https://example.org/hours cc @marisol.bsky.social"
    receipt = bsky.send(_conversation(thread), _reply(text), NOW)

    (record_call,) = service.calls_to("com.atproto.repo.createRecord")
    body = record_call.body
    assert body["repo"] == ME and body["collection"] == "app.bsky.feed.post"
    record = body["record"]
    assert record["text"] == text
    assert untyped(record["reply"]) == {
        "root": {"uri": MARISOL_MENTION, "cid": "bafyreihol1dayq7vxn4kz2m3wd5a"},
        "parent": {"uri": MARISOL_REPLY, "cid": "bafyreibookdrop9c1x"},
    }
    # The link starts at character 14 but at byte 17: the emoji is one character, four bytes.
    assert text.index("https") == 14
    facets = sorted(record["facets"], key=lambda f: f["index"]["byteStart"])
    assert untyped(facets[0]["index"]) == {
        "byteStart": 17,
        "byteEnd": 17 + len("https://example.org/hours"),
    }
    assert facets[0]["features"] == [
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/hours"}
    ]
    mention_start = len(text.encode()) - len("@marisol.bsky.social")
    assert untyped(facets[1]["index"]) == {
        "byteStart": mention_start,
        "byteEnd": len(text.encode()),
    }
    assert facets[1]["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:marisolreads5xq3hk2v"}
    ]
    assert receipt.remote_id.startswith(f"at://{ME}/app.bsky.feed.post/")
    (looked_up,) = service.calls_to("app.bsky.feed.getPosts")
    assert looked_up.params["uris"] == [MARISOL_REPLY]


def test_a_reply_to_a_post_that_is_not_a_reply_has_it_as_root_and_parent(
    service: StandIn,
) -> None:
    bsky = channel(service)
    first_poll(service)
    mention = by_key(bsky.fetch(None, NOW).messages)[MARISOL_MENTION]
    service.answer("app.bsky.feed.getPosts", recorded="posts_mention")
    bsky.send(_conversation([mention]), _reply("We're open 10-4 on Monday."), NOW)
    (record_call,) = service.calls_to("com.atproto.repo.createRecord")
    ref = {"uri": MARISOL_MENTION, "cid": "bafyreihol1dayq7vxn4kz2m3wd5a"}
    assert untyped(record_call.body["record"]["reply"]) == {"root": ref, "parent": ref}
    assert "facets" not in record_call.body["record"]


def test_a_reply_over_300_graphemes_is_refused_before_anything_is_sent(service: StandIn) -> None:
    bsky = channel(service)
    first_poll(service)
    mention = by_key(bsky.fetch(None, NOW).messages)[MARISOL_MENTION]
    flag = "\U0001f1f3\U0001f1f4"  # one grapheme, two code points, 8 UTF-8 bytes
    service.answer("app.bsky.feed.getPosts", recorded="posts_mention")
    bsky.send(_conversation([mention]), _reply(flag * 300), NOW)  # 300 graphemes: fine
    with pytest.raises(RefusedByPlatform, match="301/300 graphemes"):
        bsky.send(_conversation([mention]), _reply(flag * 301, id="r2"), NOW)
    assert service.count("com.atproto.repo.createRecord") == 1


def test_a_reply_over_the_lexicons_3000_bytes_is_refused_though_its_graphemes_fit(
    service: StandIn,
) -> None:
    bsky = channel(service)
    first_poll(service)
    mention = by_key(bsky.fetch(None, NOW).messages)[MARISOL_MENTION]
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme, 18 UTF-8 bytes
    with pytest.raises(RefusedByPlatform, match="3,006/3,000 bytes"):
        bsky.send(_conversation([mention]), _reply(family * 167), NOW)
    assert service.count("com.atproto.repo.createRecord") == 0


# -- a send whose answer was lost is never made twice ------------------------------------

CREATE_RECORD = "com.atproto.repo.createRecord"
SEND_MESSAGE = "chat.bsky.convo.sendMessage"
MENTION_KEY = f"bsky:{MARISOL_MENTION}"
CHAT_KEY = "bsky:chat:3lconvotomas"


@pytest.fixture
def ingested(service: StandIn, desk: Desk) -> BlueskyChannel:
    """The desk holding a first poll's mentions and Tomás's chat, the way the poller stores them."""
    first_poll(service)
    service.answer("chat.bsky.convo.listConvos", recorded="chat_convos")
    service.answer("chat.bsky.convo.getMessages", recorded="chat_messages")
    bsky = channel(service)
    fetched = bsky.fetch(None, NOW)
    desk.ingest(fetched.messages, cursor=("bsky", fetched.cursor))
    return bsky


def test_the_record_key_is_a_tid_and_the_same_for_every_attempt_of_one_reply() -> None:
    from atproto_client.models.string_formats import TID_RE

    first = reply_record_key(_reply("We open at 9."))
    assert TID_RE.match(first)
    assert reply_record_key(_reply("We open at 9.", attempts=3)) == first
    assert reply_record_key(_reply("We open at 9.", id="r2")) != first
    later = Reply(id="r1", text="x", staff="ana", created_at=NOW + timedelta(seconds=1))
    assert reply_record_key(later) > first  # TIDs sort by time, as the lexicon's keys do


def test_a_post_whose_answer_was_lost_is_found_on_retry_not_posted_twice(
    service: StandIn, ingested: BlueskyChannel, desk: Desk, clock: FixedClock
) -> None:
    outbox = Outbox(desk, {"bsky": ingested}, backoff=(15,))
    _, queued = outbox.queue(MENTION_KEY, "We're open 10-4 on Monday.")
    service.answer("app.bsky.feed.getPosts", recorded="posts_mention")
    service.lose_answers.add(CREATE_RECORD)  # stored, then the answer is lost on the way
    (failed,) = outbox.run_due()
    assert failed.status is ReplyStatus.PENDING
    assert "having trouble (504)" in failed.detail

    clock.advance(seconds=16)
    (result,) = outbox.run_due()
    uri = f"at://{ME}/app.bsky.feed.post/{reply_record_key(queued)}"
    assert (result.status, result.detail) == (ReplyStatus.SENT, uri)
    assert len(service.records) == 1  # one post on Bluesky
    assert service.count(CREATE_RECORD) == 1  # and no second try at it
    (looked_up,) = service.calls_to("com.atproto.repo.getRecord")
    assert looked_up.params["rkey"] == [reply_record_key(queued)]


def test_a_send_cut_short_by_a_crash_is_looked_up_by_its_record_key(
    service: StandIn, ingested: BlueskyChannel, desk: Desk, clock: FixedClock
) -> None:
    outbox = Outbox(desk, {"bsky": ingested})
    _, queued = outbox.queue(MENTION_KEY, "We're open 10-4 on Monday.")
    # The process posted it and died before recording the send.
    taken = desk.store.update(
        MENTION_KEY, lambda c: take_for_sending(c, queued.id, clock.now(), "gone:1")
    )
    service.answer("app.bsky.feed.getPosts", recorded="posts_mention")
    posted = ingested.send(taken, taken.replies[0], clock.now())
    clock.advance(minutes=5)

    (settled,) = outbox.recover()
    assert (settled.status, settled.detail) == (ReplyStatus.SENT, "found on the platform")
    stored = desk.get(MENTION_KEY)
    assert stored is not None and stored.replies[0].remote_id == posted.remote_id
    assert outbox.run_due() == []
    assert len(service.records) == 1


def test_a_send_cut_short_before_it_reached_bluesky_is_sent_once_after_the_lookup(
    service: StandIn, ingested: BlueskyChannel, desk: Desk, clock: FixedClock
) -> None:
    outbox = Outbox(desk, {"bsky": ingested})
    _, queued = outbox.queue(MENTION_KEY, "We're open 10-4 on Monday.")
    desk.store.update(MENTION_KEY, lambda c: take_for_sending(c, queued.id, clock.now(), "gone:1"))
    clock.advance(minutes=5)
    (settled,) = outbox.recover()
    assert (settled.status, settled.detail) == (ReplyStatus.PENDING, "not on the platform")
    service.answer("app.bsky.feed.getPosts", recorded="posts_mention")
    (sent,) = outbox.run_due()
    assert sent.status is ReplyStatus.SENT
    assert len(service.records) == 1


def test_a_post_sent_again_under_its_taken_record_key_is_settled_by_the_one_there(
    service: StandIn, ingested: BlueskyChannel, desk: Desk
) -> None:
    conversation = desk.get(MENTION_KEY)
    assert conversation is not None
    service.answer("app.bsky.feed.getPosts", recorded="posts_mention")
    first = ingested.send(conversation, _reply("We're open 10-4 on Monday."), NOW)
    # Staff sent it again after an "uncertain" (its attempts start over): same key.
    service.answer("app.bsky.feed.getPosts", recorded="posts_mention")
    again = ingested.send(conversation, _reply("We're open 10-4 on Monday."), NOW)
    assert again == first
    assert service.count(CREATE_RECORD) == 2 and len(service.records) == 1


def test_a_chat_message_whose_answer_was_lost_is_found_by_its_words_on_retry(
    service: StandIn, ingested: BlueskyChannel, desk: Desk, clock: FixedClock
) -> None:
    outbox = Outbox(desk, {"bsky": ingested}, backoff=(15,))
    outbox.queue(CHAT_KEY, "Yes, until Saturday.")
    service.lose_answers.add(SEND_MESSAGE)
    (failed,) = outbox.run_due()
    assert failed.status is ReplyStatus.PENDING

    clock.advance(seconds=16)
    (result,) = outbox.run_due()
    (message,) = service.chat_sent["3lconvotomas"]
    assert (result.status, result.detail) == (
        ReplyStatus.SENT,
        f"chat:3lconvotomas:{message['id']}",
    )
    assert service.count(SEND_MESSAGE) == 1


def test_a_chat_message_recorded_for_an_earlier_reply_is_not_taken_for_this_one(
    service: StandIn, ingested: BlueskyChannel, desk: Desk, clock: FixedClock
) -> None:
    outbox = Outbox(desk, {"bsky": ingested}, backoff=(15,))
    outbox.queue(CHAT_KEY, "Thank you!")
    (first,) = outbox.run_due()
    assert first.status is ReplyStatus.SENT
    clock.advance(minutes=1)
    outbox.queue(CHAT_KEY, "Thank you!")  # the same words again, on purpose
    service.lose_answers.add(SEND_MESSAGE)
    (failed,) = outbox.run_due()
    assert failed.status is ReplyStatus.PENDING
    clock.advance(seconds=16)
    (second,) = outbox.run_due()
    assert second.status is ReplyStatus.SENT and second.detail != first.detail
    assert service.count(SEND_MESSAGE) == 2  # the lost one, found; never a third


# -- direct messages -------------------------------------------------------------------


def test_chats_arrive_as_direct_messages_through_the_chat_proxy(service: StandIn) -> None:
    service.answer("chat.bsky.convo.listConvos", recorded="chat_convos")
    service.answer("chat.bsky.convo.getMessages", recorded="chat_messages")
    bsky = channel(service)
    fetched = bsky.fetch(None, NOW)
    chats = [m for m in fetched.messages if m.kind is Kind.DIRECT]
    assert [(m.remote_id, m.author, m.label) for m in chats] == [
        ("chat:3lconvotomas:3lmsgtomas1", "@tomasg.bsky.social", "Tomás G."),
        ("chat:3lconvotomas:3lmsgtomas3", "@tomasg.bsky.social", "Tomás G."),
    ]  # not the library's own message, not last year's
    assert {m.conversation_key for m in chats} == {"bsky:chat:3lconvotomas"}
    for nsid in ("chat.bsky.convo.listConvos", "chat.bsky.convo.getMessages"):
        (call,) = service.calls_to(nsid)
        assert call.headers["atproto-proxy"] == CHAT_PROXY
    assert service.calls_to(LIST)[0].headers.get("atproto-proxy") is None

    # Nothing new: listConvos only, no getMessages.
    service.answer("chat.bsky.convo.listConvos", recorded="chat_convos")
    assert bsky.fetch(fetched.cursor, NOW + timedelta(minutes=1)).messages == []
    assert service.count("chat.bsky.convo.getMessages") == 1

    sent = bsky.send(_conversation(chats), _reply("Yes, until Saturday."), NOW)
    (call,) = service.calls_to("chat.bsky.convo.sendMessage")
    assert call.headers["atproto-proxy"] == CHAT_PROXY
    assert call.body["convoId"] == "3lconvotomas"
    assert call.body["message"]["text"] == "Yes, until Saturday."
    assert sent.remote_id.startswith("chat:3lconvotomas:3lmsg")


def test_an_app_password_without_dm_access_is_said_once(service: StandIn) -> None:
    refused = {"error": "InvalidToken", "message": "Bad token method"}
    service.answer("chat.bsky.convo.listConvos", refused, status=400)
    first_poll(service)
    bsky = channel(service)
    fetched = bsky.fetch(None, NOW)
    assert len(fetched.messages) == 5  # mentions still arrive
    (problem,) = fetched.problems
    assert problem.where == "direct messages"
    assert "no access to direct messages" in problem.reason
    assert "Allow access to your direct messages" in problem.reason
    later = channel(service).fetch(fetched.cursor, NOW + timedelta(minutes=1))
    assert later.problems == []
    assert service.count("chat.bsky.convo.listConvos") == 1  # not asked again every poll
    assert service.count(CREATE_SESSION) == 1  # a refused DM scope is not a refused session
    service.answer("chat.bsky.convo.listConvos", refused, status=400)
    next_day = channel(service).fetch(later.cursor, NOW + timedelta(hours=25))
    assert service.count("chat.bsky.convo.listConvos") == 2  # asked again a day later
    assert [p.where for p in next_day.problems] == ["direct messages"]
    channel(service).fetch(next_day.cursor, NOW + timedelta(hours=49))  # a new app password
    assert service.count("chat.bsky.convo.listConvos") == 3


def test_a_chat_message_may_hold_1000_graphemes_where_a_post_holds_300(
    service: StandIn,
) -> None:
    service.answer("chat.bsky.convo.listConvos", recorded="chat_convos")
    service.answer("chat.bsky.convo.getMessages", recorded="chat_messages")
    bsky = channel(service)
    chats = [m for m in bsky.fetch(None, NOW).messages if m.kind is Kind.DIRECT]
    bsky.send(_conversation(chats), _reply("a" * 1000), NOW)
    with pytest.raises(RefusedByPlatform, match="direct message is 1001/1000 graphemes"):
        bsky.send(_conversation(chats), _reply("a" * 1001, id="r2"), NOW)
    assert service.count(SEND_MESSAGE) == 1


def test_a_private_reply_to_a_mention_goes_by_chat_with_the_chat_limit(
    service: StandIn,
) -> None:
    bsky = channel(service)
    first_poll(service)
    mention = by_key(bsky.fetch(None, NOW).messages)[MARISOL_MENTION]
    service.answer("chat.bsky.convo.getConvoForMembers", recorded="chat_convo_for_members")
    sent = bsky.send(_conversation([mention]), _reply("b" * 800, private=True), NOW)
    assert sent.remote_id.startswith("chat:3lconvomarisol:")
    (opened,) = service.calls_to("chat.bsky.convo.getConvoForMembers")
    assert opened.params["members"] == ["did:plc:marisolreads5xq3hk2v"]
    with pytest.raises(RefusedByPlatform, match="the reply is 800/300 graphemes"):
        bsky.send(_conversation([mention]), _reply("b" * 800, id="r2"), NOW)


def untyped(value: Any) -> Any:
    """``value`` without the ``$type`` fields the SDK writes beside the lexicon's own."""
    if isinstance(value, dict):
        return {k: untyped(v) for k, v in value.items() if k != "$type"}
    return value


def _conversation(messages: list[Message]) -> Conversation:
    ordered = tuple(sorted(messages, key=lambda m: m.received_at))
    first = ordered[0]
    return Conversation(
        key=first.conversation_key, channel="bsky", kind=first.kind, messages=ordered
    )


def _reply(text: str, *, private: bool = False, id: str = "r1", attempts: int = 1) -> Reply:
    return Reply(id=id, text=text, staff="ana", created_at=NOW, private=private, attempts=attempts)
