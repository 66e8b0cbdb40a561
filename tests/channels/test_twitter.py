"""Twitter/X: tweepy's real v2 Client against recorded X API responses (never a mock of ours)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses

from askdesk.channels.base import Fetched
from askdesk.channels.registry import build_channel
from askdesk.channels.twitter import TwitterChannel, load_credentials, public_reply_text
from askdesk.channels.twitter.text import weighted_length
from askdesk.cli import main
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig, load_config
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.desk.settings import check_config
from askdesk.desk.sync import Poller
from askdesk.errors import (
    AccessLevelTooLow,
    ConfigError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    UnexpectedPayload,
)
from askdesk.model import Kind, Outcome, QuestionType, Reply, ReplyStatus, Status
from askdesk.model.replying import take_for_sending
from tests.channels.twitter_api import (
    DM_EVENTS,
    DM_NURSE,
    DM_TOMAS,
    MARISOL,
    ME,
    MENTIONS,
    NEXT_TOKEN,
    RESET,
    SECRETS,
    TOMAS,
    XApi,
    event_id,
    first_poll,
    recorded_x_api,
    second_poll,
    tweet_id,
    use_test_credentials,
)
from tests.conftest import NOW

USER_TOKEN = "ut-bWVkaWEtdG9rZW4tZm9yLXRlc3Rz"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    use_test_credentials(monkeypatch)
    return SECRETS


@pytest.fixture
def x_api() -> Iterator[XApi]:
    with recorded_x_api() as api:
        yield api


def channel(**options: object) -> TwitterChannel:
    built = build_channel(ChannelConfig(type="twitter", name="twitter", options=options))
    assert isinstance(built, TwitterChannel)
    return built


# -- ingest --------------------------------------------------------------------------------


def test_first_fetch_reads_every_page_and_only_questions(x_api: XApi) -> None:
    first_poll(x_api)
    fetched = channel().fetch(None, NOW)

    assert fetched.problems == []
    assert [m.remote_id for m in fetched.messages] == [
        f"dm-{event_id(201)}",  # 12:30
        tweet_id(0),  # 13:05
        tweet_id(1),  # 13:10
        tweet_id(6),  # 13:40
        f"dm-{event_id(202)}",  # 13:45
    ]  # not the retweet (5), the quote (4), the account's own post (3) or its own DM (203)
    by_id = {m.remote_id: m for m in fetched.messages}
    follow_up = by_id[tweet_id(6)]
    assert follow_up.kind is Kind.MENTION
    assert follow_up.author == "@marisol_reads"
    assert follow_up.received_at == datetime(2026, 11, 23, 13, 40, tzinfo=UTC)
    assert follow_up.conversation == tweet_id(1)  # the thread's root
    assert follow_up.url == f"https://x.com/marisol_reads/status/{tweet_id(6)}"
    assert follow_up.label is None
    assert by_id[tweet_id(0)].text == (  # X escapes &, < and > in post text
        "@AnytownLibrary is the 3rd floor wifi down? & is the printer on 2 working? <3"
    )
    dm = by_id[f"dm-{event_id(202)}"]
    assert (dm.kind, dm.author, dm.conversation) == (Kind.DIRECT, "@tomas_g", f"dm-{DM_TOMAS}")
    assert by_id[f"dm-{event_id(201)}"].conversation == f"dm-{DM_NURSE}"

    assert json.loads(fetched.cursor or "") == {
        "account": ME,
        "since_id": tweet_id(6),  # meta.newest_id of the first page
        "dm_newest": event_id(203),
        "start": "2026-11-22T14:00:00+00:00",
    }
    first, second = x_api.calls_to(MENTIONS)
    assert first.params["start_time"] == "2026-11-22T14:00:00Z"  # backfill_hours = 24
    assert "since_id" not in first.params
    assert first.params["expansions"] == "author_id"
    assert first.params["user.fields"] == "username"
    assert set(first.params["tweet.fields"].split(",")) >= {
        "author_id",
        "conversation_id",
        "created_at",
        "referenced_tweets",
    }
    assert first.params["max_results"] == "100"
    assert first.headers["Authorization"].startswith("OAuth ")  # OAuth 1.0a user context
    assert second.params["pagination_token"] == NEXT_TOKEN
    (dms,) = x_api.calls_to(DM_EVENTS)  # the old event ended the first run's window
    assert dms.params["event_types"] == "MessageCreate"
    assert dms.params["expansions"] == "sender_id"
    assert {"dm_conversation_id", "sender_id", "created_at", "text"} <= set(
        dms.params["dm_event.fields"].split(",")
    )


def test_second_fetch_uses_the_cursor_and_brings_only_what_is_new(x_api: XApi) -> None:
    first_poll(x_api)
    adapter = channel()
    cursor = adapter.fetch(None, NOW).cursor
    second_poll(x_api)

    fetched = channel().fetch(cursor, NOW + timedelta(minutes=1))  # a restarted desk

    assert [m.remote_id for m in fetched.messages] == [tweet_id(7), f"dm-{event_id(205)}"]
    assert len(x_api.calls_to("/2/users/me")) == 1  # the account id came from the cursor
    since = x_api.calls_to(MENTIONS)[-1]
    assert since.params["since_id"] == tweet_id(6)
    assert "start_time" not in since.params
    saved = json.loads(fetched.cursor or "")
    assert (saved["since_id"], saved["dm_newest"]) == (tweet_id(7), event_id(205))


def test_nothing_new_keeps_the_cursor(x_api: XApi) -> None:
    first_poll(x_api)
    cursor = channel().fetch(None, NOW).cursor
    x_api.answer("mentions_empty")
    x_api.answer("dm_events_first")
    fetched = channel().fetch(cursor, NOW)
    assert fetched.messages == [] and fetched.problems == []
    assert json.loads(fetched.cursor or "") == json.loads(cursor or "")


def test_quotes_are_questions_when_configured(x_api: XApi) -> None:
    first_poll(x_api)
    fetched = channel(include_quotes=True, direct_messages=False).fetch(None, NOW)
    quote = next(m for m in fetched.messages if m.remote_id == tweet_id(4))
    assert quote.author == "@bookish_brenna"
    assert tweet_id(5) not in {m.remote_id for m in fetched.messages}  # retweets never
    assert x_api.calls_to(DM_EVENTS) == []


def test_a_malformed_tweet_is_reported_and_the_rest_arrive(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("mentions_malformed_item")
    fetched = channel(direct_messages=False).fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == [tweet_id(8)]
    (problem,) = fetched.problems
    assert problem.where == f"tweet {tweet_id(9)}"
    assert problem.reason == "author_id, created_at missing; skipped"
    assert json.loads(fetched.cursor or "")["since_id"] == tweet_id(9)  # never read again


def test_a_thread_and_a_dm_thread_join_their_conversations_on_the_desk(
    x_api: XApi, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel()
    poller = Poller(desk, [adapter])
    first_poll(x_api)
    result = poller.poll(adapter)
    assert (result.added, result.error) == (4, None)  # 2 mention threads, 2 DM threads

    thread = desk.get(f"twitter:{tweet_id(1)}")
    assert thread is not None
    assert [m.remote_id for m in thread.messages] == [tweet_id(1), tweet_id(6)]
    dm_key = f"twitter:dm-{DM_TOMAS}"
    desk.claim(dm_key)
    desk.resolve(dm_key, Outcome.ANSWERED, QuestionType.POLICY, 2)

    clock.advance(minutes=2)
    second_poll(x_api)
    result = poller.poll(adapter)  # the cursor comes from the store
    assert (result.added, result.joined) == (1, 1)
    reopened = desk.get(dm_key)
    assert reopened is not None and reopened.status is Status.NEW  # the patron wrote again
    assert reopened.latest.remote_id == f"dm-{event_id(205)}"
    health = poller.health["twitter"]
    assert health.rate_limit_remaining == 13  # the tightest quota: DM events
    assert health.rate_limit_reset == RESET


# -- replies -------------------------------------------------------------------------------


@pytest.fixture
def ingested(x_api: XApi, desk: Desk) -> tuple[Desk, TwitterChannel]:
    adapter = channel()
    first_poll(x_api)
    fetched = adapter.fetch(None, NOW)
    desk.ingest(fetched.messages, cursor=("twitter", fetched.cursor))
    return desk, adapter


def test_public_reply_answers_the_latest_post_with_the_handle(
    x_api: XApi, ingested: tuple[Desk, TwitterChannel]
) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter})
    _, reply = outbox.queue(f"twitter:{tweet_id(1)}", "Yes, Eastside keeps the same hours. ^AB")
    x_api.answer("post_tweet_created")

    (result,) = outbox.run_due()

    assert (result.status, result.detail) == (ReplyStatus.SENT, tweet_id(10))
    (post,) = x_api.calls_to("/2/tweets", "POST")
    assert post.body == {
        "text": "@marisol_reads Yes, Eastside keeps the same hours. ^AB",
        "reply": {"in_reply_to_tweet_id": tweet_id(6)},  # Marisol's latest post
    }
    stored = desk.get(f"twitter:{tweet_id(1)}")
    assert stored is not None
    sent = stored.reply(reply.id)
    assert sent is not None and sent.remote_id == tweet_id(10)


@pytest.mark.parametrize(
    ("text", "posted"),
    [
        ("We open at 9.", "@marisol_reads We open at 9."),
        ("@marisol_reads we open at 9.", "@marisol_reads we open at 9."),
        ("Hi @Marisol_Reads! We open at 9.", "Hi @Marisol_Reads! We open at 9."),
        ("Ask @marisol_reads_two", "@marisol_reads Ask @marisol_reads_two"),
    ],
)
def test_the_handle_is_added_once(text: str, posted: str) -> None:
    assert public_reply_text(text, "@marisol_reads") == posted


def test_a_reply_too_long_with_the_handle_is_refused_before_x(
    x_api: XApi, ingested: tuple[Desk, TwitterChannel]
) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter})
    outbox.queue(f"twitter:{tweet_id(1)}", "x" * 275)
    (result,) = outbox.run_due()
    assert result.status is ReplyStatus.FAILED
    assert "290/280 characters; shorten it" in result.detail
    assert x_api.calls_to("/2/tweets", "POST") == []


def test_dm_reply_goes_to_the_dm_thread(x_api: XApi, ingested: tuple[Desk, TwitterChannel]) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter})
    outbox.queue(f"twitter:dm-{DM_TOMAS}", "Of course! It will wait at Main Street until Saturday.")
    x_api.answer("post_dm_created")
    (result,) = outbox.run_due()
    assert (result.status, result.detail) == (ReplyStatus.SENT, f"dm-{event_id(206)}")
    (post,) = x_api.calls_to(f"/2/dm_conversations/{DM_TOMAS}/messages", "POST")
    assert post.body == {"text": "Of course! It will wait at Main Street until Saturday."}


def test_private_reply_to_a_mention_dms_its_author(
    x_api: XApi, ingested: tuple[Desk, TwitterChannel]
) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter})
    outbox.queue(f"twitter:{tweet_id(1)}", "Could you DM us your card number?", private=True)
    x_api.answer("user_by_username")
    x_api.answer("post_dm_with_participant")
    (result,) = outbox.run_due()
    assert (result.status, result.detail) == (ReplyStatus.SENT, f"dm-{event_id(207)}")
    (post,) = x_api.calls_to(f"/2/dm_conversations/with/{MARISOL}/messages", "POST")
    assert post.body == {"text": "Could you DM us your card number?"}
    assert x_api.calls_to("/2/tweets", "POST") == []


def reply(text: str, *, private: bool = False) -> Reply:
    return Reply(id="r1", text=text, staff="ana", created_at=NOW, private=private)


def test_find_sent_finds_the_reply_on_x(x_api: XApi, ingested: tuple[Desk, TwitterChannel]) -> None:
    desk, adapter = ingested
    conversation = desk.get(f"twitter:{tweet_id(1)}")
    assert conversation is not None
    x_api.answer("users_tweets_with_reply")
    found = adapter.find_sent(conversation, reply("Yes, Eastside keeps the same hours. ^AB"))
    assert found is not None and found.remote_id == tweet_id(10)
    (lookup,) = x_api.calls_to(f"/2/users/{ME}/tweets")
    assert lookup.params["since_id"] == tweet_id(1)


def test_find_sent_says_none_when_it_is_not_there(
    x_api: XApi, ingested: tuple[Desk, TwitterChannel]
) -> None:
    desk, adapter = ingested
    conversation = desk.get(f"twitter:{tweet_id(1)}")
    assert conversation is not None
    x_api.answer("users_tweets_without_reply")
    assert adapter.find_sent(conversation, reply("Yes, Eastside keeps the same hours. ^AB")) is None
    x_api.answer("users_tweets_with_reply")
    assert adapter.find_sent(conversation, reply("Different words entirely.")) is None


def test_find_sent_finds_a_dm(x_api: XApi, ingested: tuple[Desk, TwitterChannel]) -> None:
    desk, adapter = ingested
    conversation = desk.get(f"twitter:dm-{DM_TOMAS}")
    assert conversation is not None
    x_api.answer("dm_conversation_events")
    text = "Of course! It will wait at Main Street until Saturday. ^AB"
    found = adapter.find_sent(conversation, reply(text))
    assert found is not None and found.remote_id == f"dm-{event_id(206)}"
    x_api.answer("dm_conversation_events")
    assert adapter.find_sent(conversation, reply("Something else.")) is None


def test_a_retry_looks_on_x_before_posting_again(
    x_api: XApi, ingested: tuple[Desk, TwitterChannel], clock: FixedClock
) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter}, backoff=(15,))
    outbox.queue(f"twitter:{tweet_id(1)}", "Yes, Eastside keeps the same hours. ^AB")
    x_api.answer("error_503_service_unavailable", method="POST", path="/2/tweets")
    (failed,) = outbox.run_due()
    assert failed.status is ReplyStatus.PENDING  # 503: X may or may not have posted it
    assert "X is having trouble (503 Service Unavailable) while posting a reply" in failed.detail

    clock.advance(seconds=16)
    x_api.answer("users_tweets_with_reply")  # it did go out
    (result,) = outbox.run_due()
    assert (result.status, result.detail) == (ReplyStatus.SENT, tweet_id(10))
    assert len(x_api.calls_to("/2/tweets", "POST")) == 1  # never posted twice


def test_a_duplicate_refusal_is_settled_by_looking_it_up(
    x_api: XApi, ingested: tuple[Desk, TwitterChannel]
) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter})
    outbox.queue(f"twitter:{tweet_id(1)}", "Yes, Eastside keeps the same hours. ^AB")
    x_api.answer("error_403_duplicate", method="POST", path="/2/tweets")
    x_api.answer("users_tweets_with_reply")
    (result,) = outbox.run_due()
    assert (result.status, result.detail) == (ReplyStatus.SENT, tweet_id(10))


def test_send_errors_in_plain_words(x_api: XApi, ingested: tuple[Desk, TwitterChannel]) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter})
    outbox.queue(f"twitter:{tweet_id(1)}", "We open at 9.")
    x_api.answer("error_429_too_many_requests", method="POST", path="/2/tweets")
    (limited,) = outbox.run_due()
    assert limited.status is ReplyStatus.PENDING
    assert "X's rate limit for posting a reply is used up; askdesk waits until 14:15:00 UTC" in (
        limited.detail
    )
    stored = desk.get(f"twitter:{tweet_id(1)}")
    assert stored is not None and stored.replies[0].next_attempt_at == RESET

    outbox.queue(f"twitter:{tweet_id(0)}", "The wifi is back.")
    x_api.answer("error_401_unauthorized", method="POST", path="/2/tweets")
    (rejected,) = outbox.run_due()
    assert rejected.status is ReplyStatus.FAILED  # permanent: waits for staff
    assert rejected.detail.startswith(
        "credentials rejected by X (401): check the ASKDESK_TWITTER_*"
    )


# -- errors ----------------------------------------------------------------------------


def test_401_says_the_credentials_were_rejected(x_api: XApi) -> None:
    x_api.answer("error_401_unauthorized", method="GET", path="/2/users/me")
    with pytest.raises(CredentialsRejected) as caught:
        channel().fetch(None, NOW)
    message = str(caught.value)
    assert message.startswith("credentials rejected by X (401): check the ASKDESK_TWITTER_* values")
    assert caught.value.permanent is True
    assert not any(secret in message for secret in SECRETS.values())


def test_403_names_the_access_level_needed(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("error_403_client_not_enrolled", method="GET", path=MENTIONS)
    with pytest.raises(AccessLevelTooLow) as caught:
        channel(direct_messages=False).fetch(None, NOW)
    assert str(caught.value) == (
        "reading mentions needs X API Basic access or higher "
        "(your app's access level does not include it)"
    )
    assert caught.value.permanent is True


def test_dms_outside_the_access_level_do_not_stop_mentions(x_api: XApi) -> None:
    adapter = channel()
    first_poll(x_api)
    x_api.mock.replace(
        responses.GET,
        "https://api.twitter.com/2/dm_events",
        status=403,
        json={
            "title": "Client Forbidden",
            "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
        },
    )
    fetched = adapter.fetch(None, NOW)
    assert len(fetched.messages) == 3  # the mentions
    (problem,) = fetched.problems
    assert str(problem) == (
        "direct messages: reading direct messages needs X API Basic access or higher "
        "(your app's access level does not include it)"
    )
    # The refusal rests for a while: the next poll does not ask again, and still says why.
    x_api.answer("mentions_empty")
    again = adapter.fetch(fetched.cursor, NOW + timedelta(minutes=1))
    assert [str(p) for p in again.problems] == [str(problem)]
    assert len(x_api.calls_to(DM_EVENTS)) == 1


def test_429_waits_until_the_reset_in_the_headers(x_api: XApi, desk: Desk) -> None:
    adapter = channel(direct_messages=False)
    x_api.answer("users_me")
    x_api.answer("error_429_too_many_requests", method="GET", path=MENTIONS)
    with pytest.raises(RateLimited) as caught:
        adapter.fetch(None, NOW)
    assert caught.value.reset_at == RESET
    assert str(caught.value) == (
        "X's rate limit for reading mentions is used up; askdesk waits until 14:15:00 UTC"
    )
    assert adapter.rate_limit == (0, RESET)

    poller = Poller(desk, [adapter])
    result = poller.poll(adapter)  # no request: the adapter knows the wait
    assert result.error is not None and "14:15:00" in result.error
    health = poller.health["twitter"]
    assert (health.next_poll, health.rate_limit_remaining, health.rate_limit_reset) == (
        RESET,
        0,
        RESET,
    )
    assert len(x_api.calls_to(MENTIONS)) == 1


def test_a_rate_limited_endpoint_does_not_hold_back_the_other(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("error_429_too_many_requests", method="GET", path=MENTIONS)
    x_api.answer("dm_events_first")
    fetched = channel().fetch(None, NOW)
    assert [m.kind for m in fetched.messages] == [Kind.DIRECT, Kind.DIRECT]
    assert [p.where for p in fetched.problems] == ["mentions"]
    assert json.loads(fetched.cursor or "")["since_id"] is None  # mentions not yet read


def test_5xx_and_network_errors_retry_with_backoff(x_api: XApi) -> None:
    adapter = channel(direct_messages=False, poll_seconds=60)
    x_api.answer("users_me")
    x_api.answer("error_503_service_unavailable", method="GET", path=MENTIONS)
    with pytest.raises(PlatformUnavailable) as caught:
        adapter.fetch(None, NOW)
    assert str(caught.value) == (
        "X is having trouble (503 Service Unavailable) while reading mentions; "
        "askdesk tries again later"
    )
    assert caught.value.permanent is False

    x_api.unreachable("GET", MENTIONS)
    at = NOW + timedelta(seconds=60)
    with pytest.raises(PlatformUnavailable, match="could not connect to X while reading mentions"):
        adapter.fetch(None, at)
    with pytest.raises(PlatformUnavailable, match=r"next try at 14:03:00 UTC"):
        adapter.fetch(None, at + timedelta(seconds=60))  # backing off: 120 s, no request
    assert len(x_api.calls_to(MENTIONS)) == 2

    x_api.answer("mentions_since")
    fetched = adapter.fetch(None, at + timedelta(seconds=120))
    assert [m.remote_id for m in fetched.messages] == [tweet_id(7)]


def test_malformed_json_is_reported_without_crashing(x_api: XApi, desk: Desk) -> None:
    adapter = channel(direct_messages=False)
    x_api.answer("users_me")
    x_api.answer("malformed_200", method="GET", path=MENTIONS)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error == (
        "X answered reading mentions with something that is not JSON; askdesk tries again later"
    )
    with pytest.raises(UnexpectedPayload):
        x_api.answer("malformed_200", method="GET", path=MENTIONS)
        adapter.fetch(None, NOW)


def test_a_malformed_later_page_keeps_what_came_and_reads_the_gap_again(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("mentions_page1", absent=("pagination_token",))
    x_api.answer(
        "malformed_200", method="GET", path=MENTIONS, query={"pagination_token": NEXT_TOKEN}
    )
    fetched = channel(direct_messages=False).fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == [tweet_id(6)]
    (problem,) = fetched.problems
    assert problem.where == "mentions" and "the rest come next poll" in problem.reason
    cursor = json.loads(fetched.cursor or "")
    assert cursor["since_id"] is None  # the first-run window is read again, nothing is lost


def test_an_unreadable_cursor_starts_over_and_says_so(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("mentions_empty")
    fetched = channel(direct_messages=False).fetch("{not ours", NOW)
    assert [p.where for p in fetched.problems] == ["twitter cursor"]


# -- credentials, config and logs --------------------------------------------------------


def write_secrets(path: Path, mode: int, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_secrets_file_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SECRETS:
        monkeypatch.delenv(name)
    lines = "".join(f"{name}={value}\n" for name, value in SECRETS.items())
    path = write_secrets(tmp_path / "twitter.env", 0o644, lines)
    with pytest.raises(ConfigError) as caught:
        channel(secrets_file=str(path))
    assert str(caught.value) == (
        f"secrets file {path} can be read by other users (mode 0644); "
        f"askdesk uses it only when just its owner can: chmod 600 {path}"
    )
    path.chmod(0o600)
    assert isinstance(channel(secrets_file=str(path)), TwitterChannel)
    assert load_credentials("twitter", secrets_file=path, env={}).oauth1


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_toml_secrets_file_and_the_environment_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SECRETS:
        monkeypatch.delenv(name)
    path = write_secrets(
        tmp_path / "twitter.toml",
        0o600,
        f'# user context\nASKDESK_TWITTER_USER_TOKEN = "{USER_TOKEN}"\n',
    )
    creds = load_credentials("twitter", secrets_file=path, env={})
    assert creds.user_token == USER_TOKEN and not creds.oauth1
    assert USER_TOKEN not in repr(creds)
    creds = load_credentials("twitter", secrets_file=path, env={"ASKDESK_TWITTER_USER_TOKEN": "e"})
    assert creds.user_token == "e"


def test_missing_credentials_are_named_never_shown() -> None:
    with pytest.raises(ConfigError) as caught:
        load_credentials("twitter", env={})
    assert str(caught.value) == (
        "channel 'twitter' needs X credentials in the environment: "
        "ASKDESK_TWITTER_CONSUMER_KEY, ASKDESK_TWITTER_CONSUMER_SECRET, "
        "ASKDESK_TWITTER_ACCESS_TOKEN, ASKDESK_TWITTER_ACCESS_TOKEN_SECRET (OAuth 1.0a), "
        "or ASKDESK_TWITTER_USER_TOKEN (an OAuth 2.0 user access token)"
    )
    partial = {k: v for k, v in SECRETS.items() if not k.endswith("TOKEN_SECRET")}
    with pytest.raises(ConfigError) as caught:
        load_credentials("twitter", env=partial)
    assert str(caught.value) == (
        "channel 'twitter': the OAuth 1.0a credentials are incomplete; "
        "ASKDESK_TWITTER_ACCESS_TOKEN_SECRET is not set in the environment"
    )
    assert not any(value in str(caught.value) for value in partial.values())


def test_a_second_account_reads_its_own_prefix(
    x_api: XApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASKDESK_TWITTER_BRANCH_USER_TOKEN", USER_TOKEN)
    branch = channel(env_prefix="ASKDESK_TWITTER_BRANCH_", direct_messages=False)
    main_desk = channel(direct_messages=False)
    for _ in range(2):
        x_api.answer("users_me")
        x_api.answer("mentions_empty")
    branch.fetch(None, NOW)
    main_desk.fetch(None, NOW)
    branch_call, main_call = x_api.calls_to(MENTIONS)
    assert branch_call.headers["Authorization"] == f"Bearer {USER_TOKEN}"  # OAuth 2.0 user token
    assert main_call.headers["Authorization"].startswith("OAuth ")
    assert (
        f'oauth_consumer_key="{SECRETS["ASKDESK_TWITTER_CONSUMER_KEY"]}"'
        in (main_call.headers["Authorization"])
    )
    with pytest.raises(ConfigError, match="ASKDESK_TWITTER_OTHER_USER_TOKEN"):
        channel(env_prefix="ASKDESK_TWITTER_OTHER_")


def test_tokens_never_reach_the_logs(
    x_api: XApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ASKDESK_TWITTER_BRANCH_USER_TOKEN", USER_TOKEN)
    first_poll(x_api)
    channel().fetch(None, NOW)  # OAuth 1.0a: requests_oauthlib and oauthlib log the signing
    x_api.answer("users_me")
    x_api.answer("error_401_unauthorized", method="GET", path=MENTIONS)
    with pytest.raises(CredentialsRejected) as caught:
        channel(env_prefix="ASKDESK_TWITTER_BRANCH_").fetch(None, NOW)  # tweepy logs "Bearer …"
    logged = caplog.text
    assert "Making API request" in logged and "Signing request" in logged  # DEBUG was on
    assert "'Authorization': '********'" in logged
    for secret in [*SECRETS.values(), USER_TOKEN]:
        assert secret not in logged
        assert secret not in str(caught.value)


def test_config_validates_twitter_options(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[channels]]\ntype = "twitter"\nname = "twitter"\nbackfill_hours = 6\n'
        "include_quotes = true\ndirect_messages = false\npoll_seconds = 90\n",
        encoding="utf-8",
    )
    (config,) = load_config(path, env={}).channels
    adapter = build_channel(config)
    assert isinstance(adapter, TwitterChannel)
    assert (adapter.poll_seconds, adapter.backfill, adapter.include_quotes) == (
        90,
        timedelta(hours=6),
        True,
    )
    assert adapter.can_send_private is False
    path.write_text(
        '[[channels]]\ntype = "twitter"\nname = "twitter"\ninclude_quotes = "yes"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="include_quotes should be whether quote posts"):
        check_config(load_config(path, env={}))


def test_a_desk_without_twitter_never_imports_tweepy() -> None:
    code = (
        "import sys, askdesk.cli, askdesk.channels.registry, askdesk.config\n"
        "from askdesk.channels.registry import build_channel\n"
        "from askdesk.config import ChannelConfig\n"
        "build_channel(ChannelConfig(type='demo', name='demo'))\n"
        "print('tweepy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_askdesk_fetch_polls_twitter_once(
    x_api: XApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[channels]]\ntype = "twitter"\nname = "twitter"\ndirect_messages = false\n',
        encoding="utf-8",
    )
    store = tmp_path / "desk.json"
    first_poll(x_api)
    code = main(["fetch", "--config", str(config), "--store", str(store), "--as", "ana"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out.strip() == "twitter: 2 new, 0 follow-ups"
    x_api.answer("mentions_empty", query={"since_id": tweet_id(6)})
    assert main(["fetch", "--config", str(config), "--store", str(store), "--as", "ana"]) == 0
    assert capsys.readouterr().out.strip() == "twitter: 0 new, 0 follow-ups"
    assert len(x_api.calls_to("/2/users/me")) == 1  # the account id lives in the stored cursor


def test_fetched_is_what_the_protocol_says(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("mentions_empty")
    assert isinstance(channel(direct_messages=False).fetch(None, NOW), Fetched)


def test_an_interrupted_send_is_settled_by_looking_on_x(
    x_api: XApi, ingested: tuple[Desk, TwitterChannel], clock: FixedClock
) -> None:
    desk, adapter = ingested
    outbox = Outbox(desk, {"twitter": adapter})
    key = f"twitter:{tweet_id(1)}"
    _, queued = outbox.queue(key, "Yes, Eastside keeps the same hours. ^AB")
    # The process died mid-send: the reply stays "sending" with nobody on it.
    desk.store.update(key, lambda c: take_for_sending(c, queued.id, clock.now(), "gone:1"))
    clock.advance(minutes=5)
    x_api.answer("users_tweets_with_reply")
    (settled,) = outbox.recover()
    assert (settled.status, settled.detail) == (ReplyStatus.SENT, "found on the platform")
    stored = desk.get(key)
    assert stored is not None and stored.replies[0].remote_id == tweet_id(10)
    assert x_api.calls_to("/2/tweets", "POST") == []


def test_a_malformed_dm_event_is_reported_and_skipped(x_api: XApi) -> None:
    x_api.answer("users_me")
    x_api.answer("mentions_empty")
    x_api.mock.add(
        responses.GET,
        "https://api.twitter.com/2/dm_events",
        json={
            "data": [
                {"id": event_id(209), "event_type": "MessageCreate", "text": "hi"},
                {
                    "id": event_id(208),
                    "event_type": "MessageCreate",
                    "text": "Is the library open today?",
                    "sender_id": TOMAS,
                    "dm_conversation_id": "../../2/tweets",
                    "created_at": "2026-11-23T13:58:00.000Z",
                },
            ],
            "includes": {"users": [{"id": TOMAS, "name": "Tomás G.", "username": "tomas_g"}]},
            "meta": {"result_count": 2},
        },
    )
    fetched = channel().fetch(None, NOW)
    assert fetched.messages == []
    assert [str(p) for p in fetched.problems] == [
        f"direct message {event_id(209)}: sender_id, dm_conversation_id, created_at missing; "
        "skipped",
        f"direct message {event_id(208)}: its id, created_at or dm_conversation_id is "
        "malformed; skipped",
    ]
    assert json.loads(fetched.cursor or "")["dm_newest"] == event_id(209)


def test_a_send_beside_a_fetch_shares_one_client_of_the_channel(
    x_api: XApi, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox's thread sends while the poller's thread fetches, on one channel object.

    tweepy's real Client is made a little slow to build (as on a loaded
    machine): both threads still get the channel's one client, so one session
    and one quota count, never two made side by side.
    """
    import tweepy

    first_poll(x_api)
    fetched = channel().fetch(None, NOW)
    desk.ingest(fetched.messages, cursor=("twitter", fetched.cursor))
    built: list[object] = []

    class SlowToBuild(tweepy.Client):  # type: ignore[misc]  # tweepy ships no type hints
        def __init__(self, *args: object, **kwargs: object) -> None:
            built.append(self)
            time.sleep(0.5)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tweepy, "Client", SlowToBuild)
    weighted_length("twitter-text compiles its patterns on first use")  # not inside the race
    adapter = channel()
    outbox = Outbox(desk, {"twitter": adapter})
    outbox.queue(f"twitter:{tweet_id(1)}", "Yes, Eastside keeps the same hours. ^AB")
    second_poll(x_api)
    x_api.answer("post_tweet_created")
    polled: list[Fetched] = []
    fetching = threading.Thread(
        target=lambda: polled.append(adapter.fetch(desk.store.cursor("twitter"), NOW))
    )
    fetching.start()
    (sent,) = outbox.run_due()
    fetching.join(timeout=10)
    assert sent.status is ReplyStatus.SENT
    assert len(polled) == 1 and polled[0].problems == []
    assert len(built) == 1
