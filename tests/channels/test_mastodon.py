"""Mastodon: the real Mastodon.py against recorded Mastodon REST answers (never a mock of ours)."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from askdesk import cli
from askdesk.channels.demo import SCRIPT
from askdesk.channels.mastodon import MastodonChannel, status_length
from askdesk.channels.registry import build_channel
from askdesk.cli import main
from askdesk.cli_replies import length_limits
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig, load_config
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.settings import check_config
from askdesk.desk.sync import Poller
from askdesk.errors import (
    AccessLevelTooLow,
    ConfigError,
    CredentialsRejected,
    PlatformUnavailable,
    RateLimited,
    RefusedByPlatform,
)
from askdesk.model import Conversation, Kind, Message, Reply, ReplyStatus, transitions
from askdesk.model.replying import take_for_sending
from tests.channels.mastodon_api import (
    LIBRARY_ID,
    MARISOL_FOLLOWUP,
    MARISOL_QUESTION,
    NEWEST_FIRST_RUN,
    NOTIFICATIONS,
    NURSE_QUESTION,
    STATUSES,
    TOKEN,
    TOMAS_ANNOUNCEMENT_REPLY,
    TOMAS_DIRECT,
    VERIFY,
    MastodonApi,
    first_poll,
    mention_page,
    recorded_instance,
    use_test_token,
)
from tests.conftest import NOW

RESET = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
CURSOR = json.dumps(
    {"min_id": NEWEST_FIRST_RUN, "account_id": LIBRARY_ID, "username": "anytownlibrary"}
)


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_token(monkeypatch)


@pytest.fixture(autouse=True)
def never_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mastodon.py's default ratelimit_method="wait" sleeps in the call: a fetch must not."""

    def refuse(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s inside a Mastodon call")

    monkeypatch.setattr(time, "sleep", refuse)


@pytest.fixture
def api() -> Iterator[MastodonApi]:
    with recorded_instance() as instance:
        yield instance


def channel(**options: object) -> MastodonChannel:
    built = build_channel(
        ChannelConfig(
            type="mastodon",
            name="mastodon",
            options={"instance": "https://social.anytown.example", **options},
        )
    )
    assert isinstance(built, MastodonChannel)
    return built


def by_id(messages: list[Message]) -> dict[str, Message]:
    return {m.remote_id: m for m in messages}


# -- in ----------------------------------------------------------------------------------


def test_first_poll_brings_mentions_and_direct_statuses_as_plain_text(api: MastodonApi) -> None:
    first_poll(api)
    fetched = channel().fetch(None, NOW)
    found = by_id(fetched.messages)
    assert [m.remote_id for m in fetched.messages] == [
        MARISOL_QUESTION,
        TOMAS_DIRECT,
        NURSE_QUESTION,
    ]  # oldest first; the library's own, the favourite and the follow never arrive
    question = found[MARISOL_QUESTION]
    assert (question.kind, question.author) == (Kind.MENTION, "@marisol@mastodon.social")
    assert question.text == (
        'Do you have "The Overstory" & can I reserve it?\nI\'m in Millbrook.\n\nThanks!'
    )
    assert question.received_at == datetime(2026, 11, 23, 13, 2, 11, tzinfo=UTC)
    assert question.url == f"https://mastodon.social/@marisol/{MARISOL_QUESTION}"
    assert question.conversation is None  # a thread of its own
    direct = found[TOMAS_DIRECT]
    assert (direct.kind, direct.author) == (Kind.DIRECT, "@tomas")
    assert direct.text == (
        "CW: library fines\n\n"
        "how much do I owe? The receipt says "
        "https://catalogue.anytown.example/account/fines?card=ABC\n\n"
        "[image: A receipt: overdue fine, $2.50] https://files.anytown.example/"
        "media_attachments/files/113/500/000/original/receipt.png"
    )
    assert found[NURSE_QUESTION].text.endswith("around 3am. #nightshift")


def test_a_malformed_or_unknown_notification_is_skipped_and_said(api: MastodonApi) -> None:
    first_poll(api)
    fetched = channel().fetch(None, NOW)
    assert len(fetched.messages) == 3  # the rest arrive
    assert [str(p) for p in fetched.problems] == [
        "notification 34975867: a mention without its status; skipped",
        "notification 34975868: unknown notification type 'emoji_reaction'; skipped",
    ]
    assert json.loads(fetched.cursor or "")["min_id"] == NEWEST_FIRST_RUN  # not read again


def test_first_poll_asks_for_mentions_and_the_account_once(api: MastodonApi) -> None:
    first_poll(api)
    fetched = channel().fetch(None, NOW)
    (call,) = api.calls_to(NOTIFICATIONS)
    assert call.params == {"types[]": ["mention"], "limit": ["40"]}
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    api.answer("notifications_empty")
    channel().fetch(fetched.cursor, NOW)  # a new process (a cron fetch) with the stored cursor
    assert len(api.calls_to(VERIFY)) == 1  # the account lives in the cursor
    assert api.calls_to(NOTIFICATIONS)[1].params["min_id"] == [NEWEST_FIRST_RUN]


def aged_page(newest_id: int, count: int, newest_at: datetime) -> list[dict[str, Any]]:
    """A full page of mentions newest first, one a minute back from ``newest_at``."""
    page = mention_page(newest_id - count + 1, count)
    for n, item in enumerate(page):
        item["created_at"] = (newest_at - timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    return page


def test_the_first_run_pages_back_through_the_last_24_hours_and_says_what_it_left(
    api: MastodonApi,
) -> None:
    api.answer("verify_credentials")
    newest = 35000000
    pages = [
        aged_page(newest, 40, NOW - timedelta(minutes=5)),
        aged_page(newest - 40, 40, NOW - timedelta(hours=6)),
        aged_page(newest - 80, 40, NOW - timedelta(hours=23, minutes=51)),  # 10 in the 24 h
    ]
    api.answer("notifications_empty", json_body=pages[0])
    for page in pages[1:]:
        older_than = str(int(page[0]["id"]) + 1)
        api.answer("notifications_empty", json_body=page, query={"max_id": older_than})
    fetched = channel().fetch(None, NOW)

    assert len(fetched.messages) == 90  # two whole pages and the ten of the third in the 24 h
    calls = api.calls_to(NOTIFICATIONS)
    assert [c.params.get("max_id") for c in calls] == [None, ["34999961"], ["34999921"]]
    assert json.loads(fetched.cursor or "")["min_id"] == str(newest)  # on from the newest
    assert [str(p) for p in fetched.problems] == [
        "first run: mentions from before the last 24 hours were left unread "
        "(a first run reads back that far)"
    ]


def test_the_first_run_reads_at_most_five_pages_and_says_the_rest_were_left(
    api: MastodonApi,
) -> None:
    api.answer("verify_credentials")
    newest = 35000000
    for n in range(6):
        query = {"max_id": str(newest - 40 * n + 1)} if n else None
        page = aged_page(newest - 40 * n, 40, NOW - timedelta(minutes=40 * n))
        api.answer("notifications_empty", json_body=page, query=query)
    fetched = channel().fetch(None, NOW)
    assert len(fetched.messages) == 200
    assert len(api.calls_to(NOTIFICATIONS)) == 5
    assert "more than 200 mentions in the last 24 hours; the older ones were left unread" in (
        str(fetched.problems[-1])
    )


def test_the_first_run_keeps_what_it_read_when_an_older_page_fails(api: MastodonApi) -> None:
    api.answer("verify_credentials")
    newest = 35000000
    api.answer("notifications_empty", json_body=aged_page(newest, 40, NOW))
    api.answer("error_503", method="GET", path=NOTIFICATIONS)
    fetched = channel().fetch(None, NOW)
    assert len(fetched.messages) == 40
    assert json.loads(fetched.cursor or "")["min_id"] == str(newest)
    assert "older mentions could not be read" in str(fetched.problems[-1])


def test_pages_are_read_oldest_first_until_one_is_not_full(api: MastodonApi) -> None:
    first = int(NEWEST_FIRST_RUN) + 1
    api.answer("notifications_empty", json_body=mention_page(first, 40))
    api.answer("notifications_empty", json_body=mention_page(first + 40, 3))
    fetched = channel().fetch(CURSOR, NOW)
    assert len(fetched.messages) == 43
    first_call, second_call = api.calls_to(NOTIFICATIONS)
    assert first_call.params["min_id"] == [NEWEST_FIRST_RUN]
    assert second_call.params["min_id"] == [str(first + 39)]  # the newest of the full page
    assert json.loads(fetched.cursor or "")["min_id"] == str(first + 42)
    assert fetched.messages[0].remote_id < fetched.messages[-1].remote_id


def test_a_failing_later_page_keeps_what_arrived_and_the_place(api: MastodonApi) -> None:
    first = int(NEWEST_FIRST_RUN) + 1
    api.answer("notifications_empty", json_body=mention_page(first, 40))
    api.answer("error_503", method="GET", path=NOTIFICATIONS)
    fetched = channel().fetch(CURSOR, NOW)
    assert len(fetched.messages) == 40
    assert json.loads(fetched.cursor or "")["min_id"] == str(first + 39)
    assert "the rest come next poll" in str(fetched.problems[-1])


def test_a_reply_joins_the_conversation_it_answers(api: MastodonApi, desk: Desk) -> None:
    adapter = channel()
    first_poll(api)
    desk.ingest(adapter.fetch(None, NOW).messages)
    api.answer("notifications_replies")
    api.answer("context_followup")
    api.answer("context_announcement")
    fetched = adapter.fetch(CURSOR, NOW)
    followup = by_id(fetched.messages)[MARISOL_FOLLOWUP]
    announcement_reply = by_id(fetched.messages)[TOMAS_ANNOUNCEMENT_REPLY]
    assert followup.conversation == MARISOL_QUESTION  # under the library's answer to her
    assert announcement_reply.conversation is None  # the library's own post, though it names
    # the library, starts no conversation: each patron answering it has their own
    result = desk.ingest(fetched.messages)
    assert result.joined == [f"mastodon:{MARISOL_QUESTION}"]
    assert result.added == [f"mastodon:{TOMAS_ANNOUNCEMENT_REPLY}"]
    conversation = desk.get(f"mastodon:{MARISOL_QUESTION}")
    assert conversation is not None
    assert [m.remote_id for m in conversation.messages] == [MARISOL_QUESTION, MARISOL_FOLLOWUP]


def test_a_reply_to_a_thread_that_is_gone_starts_its_own_conversation(api: MastodonApi) -> None:
    api.answer("notifications_replies")
    api.answer("error_404", method="GET", path=f"{STATUSES}/{MARISOL_FOLLOWUP}/context")
    api.answer("context_announcement")
    fetched = channel().fetch(CURSOR, NOW)
    assert by_id(fetched.messages)[MARISOL_FOLLOWUP].conversation is None
    assert fetched.problems == []


def test_an_unreadable_cursor_or_a_notification_without_id_is_said(api: MastodonApi) -> None:
    page = mention_page(int(NEWEST_FIRST_RUN) + 1, 2)
    del page[0]["id"]
    api.answer("verify_credentials")
    api.answer("notifications_empty", json_body=page)
    fetched = channel().fetch('{"min_id": "1; DROP"}', NOW)
    assert [str(p) for p in fetched.problems] == [
        "mastodon cursor: could not read it; the latest mentions are read again "
        "(duplicates skipped)",
        "a notification without an id: skipped",
    ]
    assert len(fetched.messages) == 1
    assert api.calls_to(NOTIFICATIONS)[0].params == {"types[]": ["mention"], "limit": ["40"]}


def test_markup_escape_codes_bidi_and_long_statuses_arrive_literally(api: MastodonApi) -> None:
    hostile = "[bold red]x[/] \x1b[2J\u202etxt.exe\u202c <b>" + "ä" * 10_000
    page = mention_page(int(NEWEST_FIRST_RUN) + 1, 1)
    page[0]["status"]["content"] = (
        "<p>[bold red]x[/] \x1b[2J\u202etxt.exe\u202c &lt;b&gt;" + "ä" * 10_000 + "</p>"
    )
    page[0]["status"]["spoiler_text"] = "[link=https://evil.example]cw[/link]"
    api.answer("notifications_empty", json_body=page)
    (arrived,) = channel().fetch(CURSOR, NOW).messages
    assert arrived.text == "CW: [link=https://evil.example]cw[/link]\n\n" + hostile


# -- errors ------------------------------------------------------------------------------


def test_a_refused_token_says_which_variable(
    api: MastodonApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.answer("error_401", method="GET", path=VERIFY)
    with pytest.raises(CredentialsRejected) as caught:
        channel().fetch(None, NOW)
    said = str(caught.value)
    assert "social.anytown.example refused the access token (401)" in said
    assert "ASKDESK_MASTODON_ACCESS_TOKEN" in said and TOKEN not in said
    assert TOKEN not in caplog.text


def test_a_token_without_the_scope_says_which_scopes(api: MastodonApi) -> None:
    api.answer("error_403_scope", method="GET", path=NOTIFICATIONS)
    with pytest.raises(AccessLevelTooLow, match="read:notifications read:statuses write:statuses"):
        channel().fetch(CURSOR, NOW)


def test_a_rate_limit_is_waited_out_without_sleeping_or_asking(api: MastodonApi) -> None:
    adapter = channel()
    api.answer("error_429", method="GET", path=NOTIFICATIONS)
    with pytest.raises(RateLimited) as caught:
        adapter.fetch(CURSOR, NOW)
    assert caught.value.reset_at == RESET
    assert "waits until 14:05:00 UTC" in str(caught.value)
    assert adapter.rate_limit == (0, RESET)
    with pytest.raises(RateLimited):
        adapter.fetch(CURSOR, NOW + timedelta(minutes=2))
    assert len(api.calls_to(NOTIFICATIONS)) == 1  # nothing asked before the reset
    api.answer("notifications_empty")
    assert adapter.fetch(CURSOR, RESET).messages == []
    assert adapter.rate_limit == (297, RESET)


def test_a_rate_limit_on_a_later_page_keeps_what_arrived_and_waits(api: MastodonApi) -> None:
    adapter = channel()
    first = int(NEWEST_FIRST_RUN) + 1
    api.answer("notifications_empty", json_body=mention_page(first, 40))
    api.answer("error_429", method="GET", path=NOTIFICATIONS)
    fetched = adapter.fetch(CURSOR, NOW)
    assert len(fetched.messages) == 40
    assert "waits until 14:05:00 UTC; the rest come next poll" in str(fetched.problems[-1])
    with pytest.raises(RateLimited):
        adapter.fetch(fetched.cursor, NOW + timedelta(minutes=1))
    assert len(api.calls_to(NOTIFICATIONS)) == 2  # nothing asked before the reset


def test_a_failing_instance_is_tried_again_later(api: MastodonApi) -> None:
    adapter = channel()
    api.answer("error_503", method="GET", path=NOTIFICATIONS)
    with pytest.raises(
        PlatformUnavailable, match=r"social.anytown.example is having trouble \(503"
    ):
        adapter.fetch(CURSOR, NOW)
    with pytest.raises(PlatformUnavailable):
        adapter.fetch(CURSOR, NOW + timedelta(seconds=30))
    assert len(api.calls_to(NOTIFICATIONS)) == 1
    api.unreachable("GET", NOTIFICATIONS)
    with pytest.raises(PlatformUnavailable, match=r"could not reach social\.anytown\.example"):
        adapter.fetch(CURSOR, NOW + timedelta(minutes=2))


# -- out ---------------------------------------------------------------------------------


def conversation_of(message_id: str, *, kind: Kind, author: str) -> Conversation:
    message = Message(
        channel="mastodon",
        remote_id=message_id,
        kind=kind,
        author=author,
        text="a question",
        received_at=NOW - timedelta(minutes=30),
    )
    return transitions.start(message, NOW)


def reply(text: str, *, private: bool = False) -> Reply:
    return Reply(id="r-7f3a", text=text, staff="ana", created_at=NOW, private=private)


def test_a_reply_goes_under_the_patrons_status_to_them_only(api: MastodonApi) -> None:
    api.answer("instance_v2")
    api.answer("status_posted")
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    receipt = channel().send(question, reply("Yes! It is on hold for you at Millbrook."), NOW)
    assert receipt.remote_id == "113500000000000201"
    (call,) = api.calls_to(STATUSES, "POST")
    assert call.form["status"] == [
        "@marisol@mastodon.social Yes! It is on hold for you at Millbrook."
    ]
    assert call.form["in_reply_to_id"] == [MARISOL_QUESTION]
    assert call.form["visibility"] == ["unlisted"]
    assert call.headers["Idempotency-Key"] == "askdesk-r-7f3a"  # a retry cannot post it twice


def test_an_answer_to_a_direct_status_stays_direct(api: MastodonApi) -> None:
    api.answer("instance_v2")
    api.answer("status_posted")
    api.answer("status_posted")
    direct = conversation_of(TOMAS_DIRECT, kind=Kind.DIRECT, author="@tomas")
    channel(reply_visibility="public").send(direct, reply("@tomas It is $2.50."), NOW)
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    channel(reply_visibility="public").send(question, reply("Yes.", private=True), NOW)
    first, second = api.calls_to(STATUSES, "POST")
    assert (first.form["visibility"], first.form["status"]) == (["direct"], ["@tomas It is $2.50."])
    assert second.form["visibility"] == ["direct"]  # a private answer to a public mention


def test_public_replies_when_configured(api: MastodonApi) -> None:
    api.answer("instance_v2")
    api.answer("status_posted")
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    channel(reply_visibility="public").send(question, reply("Yes."), NOW)
    assert api.calls_to(STATUSES, "POST")[0].form["visibility"] == ["public"]


OWN_STATUSES = f"/api/v1/accounts/{LIBRARY_ID}/statuses"
POSTED_BEFORE = "113500000000000201"  # in account_statuses: the reply, under Marisol's question


def cut_short(desk: Desk, clock: FixedClock, text: str) -> tuple[Outbox, str]:
    """Marisol's question on the desk and a reply to it whose send died after posting."""
    desk.ingest(
        conversation_of(
            MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
        ).messages
    )
    outbox = Outbox(desk, {"mastodon": channel()})
    key = f"mastodon:{MARISOL_QUESTION}"
    _, queued = outbox.queue(key, text)
    desk.store.update(key, lambda c: take_for_sending(c, queued.id, clock.now(), "gone:1"))
    clock.advance(minutes=90)  # longer than Mastodon keeps an Idempotency-Key
    return outbox, key


def test_a_send_cut_short_is_found_among_the_accounts_own_statuses(
    api: MastodonApi, desk: Desk, clock: FixedClock
) -> None:
    outbox, key = cut_short(desk, clock, "Yes! It is on hold for you at Millbrook.")
    api.answer("verify_credentials")
    api.answer("account_statuses")
    (settled,) = outbox.recover()
    assert (settled.status, settled.detail) == (ReplyStatus.SENT, "found on the platform")
    stored = desk.get(key)
    assert stored is not None and stored.replies[0].remote_id == POSTED_BEFORE
    assert outbox.run_due() == []
    assert api.calls_to(STATUSES, "POST") == []  # never posted twice
    (lookup,) = api.calls_to(OWN_STATUSES)
    assert lookup.params["exclude_reblogs"] == ["1"]


def test_a_retry_after_a_lost_answer_returns_the_status_already_posted(api: MastodonApi) -> None:
    api.answer("verify_credentials")
    api.answer("account_statuses")
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    again = Reply(
        id="r-7f3a",
        text="Yes!   It is on hold\nfor you at Millbrook.",  # as typed; the instance reflows it
        staff="ana",
        created_at=NOW,
        attempts=2,
    )
    assert channel().send(question, again, NOW).remote_id == POSTED_BEFORE
    assert api.calls_to(STATUSES, "POST") == []


def test_the_same_words_under_another_status_or_taken_by_another_reply_are_not_it(
    api: MastodonApi,
) -> None:
    adapter = channel()
    api.answer("verify_credentials")
    api.answer("account_statuses")
    tomas = conversation_of(TOMAS_DIRECT, kind=Kind.DIRECT, author="@tomas")
    found = adapter.find_sent(tomas, reply("Yes! It is on hold for you at Millbrook."))
    assert found is not None and found.remote_id == "113500000000000203"  # under his, not hers

    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    earlier = Reply(
        id="r-0001",
        text="Yes! It is on hold for you at Millbrook.",
        staff="bo",
        created_at=NOW,
        status=ReplyStatus.SENT,
        remote_id=POSTED_BEFORE,
    )
    answered = dataclasses.replace(question, replies=(earlier,))
    api.answer("account_statuses")
    assert adapter.find_sent(answered, reply("Yes! It is on hold for you at Millbrook.")) is None
    api.answer("account_statuses")
    api.answer("status_source")  # hers, not taken, other words: asked how it was typed
    assert adapter.find_sent(question, reply("Three weeks.")) is None


def test_a_reply_the_server_rendered_otherwise_is_found_by_how_it_was_typed(
    api: MastodonApi,
) -> None:
    """A server that renders Markdown (glitch-soc, Akkoma) shows **Yes!** as bold "Yes!":
    the status under her question is asked for its source before the reply is taken as lost."""
    page = api.recording("account_statuses")["response"]["json"]
    page[1]["content"] = (
        '<p><span class="h-card"><a href="https://mastodon.social/@marisol" class="u-url '
        'mention">@<span>marisol</span></a></span> <strong>Yes!</strong> It is on hold for '
        "you at Millbrook.</p>"
    )
    source = api.recording("status_source")["response"]["json"]
    source["text"] = "@marisol@mastodon.social **Yes!** It is on hold for you at Millbrook."
    api.answer("verify_credentials")
    api.answer("account_statuses", json_body=page)
    api.answer("status_source", json_body=source)
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    found = channel().find_sent(question, reply("**Yes!** It is on hold for you at Millbrook."))
    assert found is not None and found.remote_id == POSTED_BEFORE


def test_a_reply_not_on_the_instance_is_queued_again_and_posted_once(
    api: MastodonApi, desk: Desk, clock: FixedClock
) -> None:
    outbox, _ = cut_short(desk, clock, "Three weeks, and you can renew it twice.")
    api.answer("verify_credentials")
    api.answer("account_statuses")
    api.answer("status_source")
    (settled,) = outbox.recover()
    assert (settled.status, settled.detail) == (ReplyStatus.PENDING, "not on the platform")
    api.answer("instance_v2")
    api.answer("status_posted")
    (sent,) = outbox.run_due()
    assert sent.status is ReplyStatus.SENT
    assert len(api.calls_to(STATUSES, "POST")) == 1


def test_more_statuses_since_the_reply_than_a_lookup_reads_are_left_to_staff(
    api: MastodonApi, desk: Desk, clock: FixedClock
) -> None:
    outbox, _ = cut_short(desk, clock, "Three weeks, and you can renew it twice.")
    template = api.recording("account_statuses")["response"]["json"][0]
    api.answer("verify_credentials")
    for page in range(5):
        busy = [{**template, "id": str(113500000000100000 - page * 40 - n)} for n in range(40)]
        api.answer("account_statuses", json_body=busy)
    (settled,) = outbox.recover()
    assert settled.status is ReplyStatus.UNCERTAIN
    assert "more than 200 statuses since it was written" in settled.detail
    lookups = api.calls_to(OWN_STATUSES)
    assert [c.params.get("max_id") for c in lookups[:2]] == [None, ["113500000000099961"]]
    assert api.calls_to(STATUSES, "POST") == []


def test_the_instances_own_limit_counts_as_mastodon_does(api: MastodonApi) -> None:
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    long_text = "a" * 560 + " https://catalogue.anytownlibrary.org/" + "x" * 300
    # "@marisol " (a remote mention counts as its local part) + 560 + " " + 23 for the URL.
    assert status_length("@marisol@mastodon.social " + long_text) == 9 + 560 + 1 + 23
    api.answer("instance_v2")  # max_characters 1000
    api.answer("status_posted")
    bigger = channel()
    bigger.send(question, reply(long_text), NOW)
    bigger.send(question, reply("again"), NOW)  # the limits are asked once
    assert len(api.calls_to("/api/v2/instance/")) == 1
    api.mock.reset()
    api.answer("error_404", method="GET", path="/api/v2/instance/")
    api.answer("instance_v1_old")  # glitch-soc 3.5: 580
    with pytest.raises(RefusedByPlatform, match=r"593/580 characters, over social.anytown"):
        channel().send(question, reply(long_text), NOW)
    assert api.calls_to(STATUSES, "POST") == []


def test_without_instance_limits_mastodons_500_holds(api: MastodonApi) -> None:
    api.answer("error_404", method="GET", path="/api/v2/instance/")
    api.answer("error_404", method="GET", path="/api/v1/instance/")
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    with pytest.raises(RefusedByPlatform, match=r"/500 characters"):
        channel().send(question, reply("a" * 495), NOW)


# -- configuration -----------------------------------------------------------------------


def test_config_checks_mastodon_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[channels]]\ntype = "mastodon"\nname = "mastodon"\n'
        'instance = "https://social.anytown.example"\nreply_visibility = "public"\n'
        "poll_seconds = 90\n",
        encoding="utf-8",
    )
    (config,) = load_config(path, env={}).channels
    adapter = build_channel(config)
    assert isinstance(adapter, MastodonChannel)
    assert (adapter.poll_seconds, adapter.reply_visibility) == (90, "public")
    path.write_text(
        '[[channels]]\ntype = "mastodon"\nname = "mastodon"\n'
        'instance = "https://social.anytown.example"\nreply_visibility = "private"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="reply_visibility should be how public replies are"):
        check_config(load_config(path, env={}))
    monkeypatch.delenv("ASKDESK_MASTODON_ACCESS_TOKEN")
    with pytest.raises(ConfigError, match="needs ASKDESK_MASTODON_ACCESS_TOKEN in the environment"):
        channel()


def test_the_demo_feeds_mastodon_examples_look_like_what_the_channel_brings(
    api: MastodonApi,
) -> None:
    first_poll(api)
    real = channel().fetch(None, NOW).messages
    acct = re.compile(r"@[a-z0-9_]+(@[a-z0-9.-]+)?")
    shown = [item for item in SCRIPT if item.label == "mastodon"]
    assert {item.kind for item in shown} == {m.kind for m in real} == {Kind.MENTION, Kind.DIRECT}
    for text, author in [(m.text, m.author) for m in real] + [(i.text, i.author) for i in shown]:
        assert acct.fullmatch(author), author
        assert not text.lower().startswith("@anytownlibrary"), text  # the adapter drops it
        assert not text.startswith("CW:") or "\n\n" in text  # a warning stands before the words


def test_a_desk_without_mastodon_never_imports_mastodon_py() -> None:
    code = (
        "import sys, askdesk.cli, askdesk.channels.registry\n"
        "from askdesk.channels.registry import build_channel\n"
        "from askdesk.config import ChannelConfig\n"
        "build_channel(ChannelConfig(type='demo', name='demo'))\n"
        "print('mastodon' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_askdesk_fetch_every_minute_asks_one_request_a_run(
    api: MastodonApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(NOW))  # the recordings' day
    config = tmp_path / "config.toml"
    config.write_text(
        '[[channels]]\ntype = "mastodon"\nname = "mastodon"\n'
        'instance = "https://social.anytown.example"\n',
        encoding="utf-8",
    )
    run = ["fetch", "--config", str(config), "--store", str(tmp_path / "desk.json"), "--as", "ana"]
    first_poll(api)
    api.answer("instance_v2")
    assert main(run) == 0
    assert capsys.readouterr().out.startswith("mastodon: 3 new, 0 follow-ups")
    for _ in range(3):
        api.answer("notifications_empty", query={"min_id": NEWEST_FIRST_RUN})
        assert main(run) == 0
        assert capsys.readouterr().out.strip() == "mastodon: 0 new, 0 follow-ups"
    stored = "".join(f.read_text(encoding="utf-8") for f in tmp_path.glob("desk*") if f.is_file())
    assert "anytownlibrary" in stored and TOKEN not in stored  # the cursor, never the token
    # The account and the instance's limits live in the cursor: one request a run after the first.
    assert [c.path for c in api.calls] == [VERIFY, NOTIFICATIONS, "/api/v2/instance/"] + [
        NOTIFICATIONS
    ] * 3


def test_a_shift_polls_answers_and_threads_the_follow_up(
    api: MastodonApi, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel()
    poller = Poller(desk, [adapter])
    first_poll(api)
    assert poller.poll(adapter).added == 3
    health = poller.health["mastodon"]
    assert (health.rate_limit_remaining, health.rate_limit_reset) == (297, RESET)
    assert "notification 34975867: a mention without its status" in (health.last_error or "")

    outbox = Outbox(desk, {"mastodon": adapter})
    key = f"mastodon:{MARISOL_QUESTION}"
    outbox.queue(key, "Yes! It is on hold for you at Millbrook.")
    api.answer("instance_v2")
    api.answer("status_posted")
    (sent,) = outbox.run_due()
    assert (sent.status, sent.detail) == (ReplyStatus.SENT, "113500000000000201")

    clock.advance(minutes=10)
    api.answer("notifications_replies", query={"min_id": NEWEST_FIRST_RUN})
    api.answer("context_followup")
    api.answer("context_announcement")
    result = poller.poll(adapter)
    assert (result.added, result.joined) == (1, 1)  # Tomás's own thread; Marisol's follow-up
    conversation = desk.get(key)
    assert conversation is not None
    assert conversation.latest.remote_id == MARISOL_FOLLOWUP
    outbox.queue(key, "Three weeks, and you can renew it twice.")
    api.answer("status_posted")
    outbox.run_due()
    second = api.calls_to(STATUSES, "POST")[-1]
    assert second.form["in_reply_to_id"] == [MARISOL_FOLLOWUP]  # under her latest status
    assert second.form["status"] == [
        "@marisol@mastodon.social Three weeks, and you can renew it twice."
    ]


def test_the_composer_counts_the_handle_against_the_instances_own_limit(
    api: MastodonApi,
) -> None:
    adapter = channel()
    settings = ReplySettings(
        platforms={"mastodon": "mastodon"}, length_limits=length_limits({"mastodon": adapter})
    )
    question = conversation_of(
        MARISOL_QUESTION, kind=Kind.MENTION, author="@marisol@mastodon.social"
    )
    text = "a" * 495
    assert settings.measure(text, question).label() == "504/500"  # "@marisol " is counted
    assert settings.too_long(text, question) is not None
    first_poll(api)
    api.answer("error_503", method="GET", path="/api/v2/instance/")
    fetched = adapter.fetch(None, NOW)  # the instance cannot say: the mentions still arrive
    assert (len(fetched.messages), adapter.length_limit) == (3, None)
    api.answer("notifications_empty")
    api.answer("instance_v2")
    fetched = adapter.fetch(fetched.cursor, NOW)
    assert adapter.length_limit == 1000
    assert settings.measure(text, question).label() == "504/1,000"
    assert settings.too_long(text, question) is None
    assert json.loads(fetched.cursor or "")["limits"] == [1000, 23]
    api.answer("status_posted")
    adapter.send(question, reply(text), NOW)  # no second question to the instance
    later = channel()  # another process (a cron fetch, then its outbox) with the stored cursor
    api.answer("notifications_empty")
    later.fetch(fetched.cursor, NOW + timedelta(hours=1))
    api.answer("status_posted")
    later.send(question, reply(text), NOW + timedelta(hours=1))
    assert later.length_limit == 1000
    assert len(api.calls_to("/api/v2/instance/")) == 2  # the limits came from the cursor
