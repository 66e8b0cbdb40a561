"""Facebook Page messages: the channel's real HTTP client against recorded Graph API answers.

A stand-in server on loopback (``tests/channels/standin.py``) answers with
responses in the published shapes of the Graph API (conversations, messages,
the Send API, error objects); ``graph_url`` points the channel at it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from askdesk.channels.facebook import FacebookChannel
from askdesk.channels.facebook import client as graph_client
from askdesk.channels.registry import build_channel
from askdesk.cli_replies import reply_settings
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig, load_config
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.desk.records import describe_event
from askdesk.desk.settings import check_config
from askdesk.desk.sync import Poller
from askdesk.errors import ConfigError, CredentialsRejected
from askdesk.model import Reply, ReplyStatus, Role, Status
from askdesk.model.replying import take_for_sending
from tests.channels.outbox_send import send_through_outbox
from tests.channels.standin import Answer, StandIn, serving
from tests.conftest import NOW

RECORDED = Path(__file__).parent / "recorded" / "facebook"
PAGE = "104523987654321"
KAY, SAM = "7012345678901234", "7012345678905678"
KAY_THREAD, SAM_THREAD = "t_10161234567890001", "t_10161234567890002"
TOKEN = "EAAGm0PX4ZCpsBAPagetokenForTests0123456789"
V = "/v21.0"


@cache
def recorded(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))


def ok(name: str, **headers: str) -> Answer:
    return Answer(200, recorded(name), headers)


def refused(name: str, status: int = 400) -> Answer:
    return Answer(status, recorded(name))


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDESK_FACEBOOK_PAGE_TOKEN", TOKEN)


@pytest.fixture
def graph() -> Iterator[StandIn]:
    with serving(StandIn()) as standin:
        standin.on("GET", f"{V}/{PAGE}/conversations", ok("conversations"))
        standin.on("GET", f"{V}/{KAY_THREAD}/messages", ok("messages_kay"))
        standin.on("GET", f"{V}/{SAM_THREAD}/messages", ok("messages_sam"))
        standin.on("GET", f"{V}/{KAY_THREAD}", ok("participants_kay"))
        standin.on("GET", f"{V}/{SAM_THREAD}", ok("participants_sam"))
        standin.on("POST", f"{V}/{PAGE}/messages", ok("send_ok"))
        yield standin


def channel(graph: StandIn, **options: object) -> FacebookChannel:
    table = {"page_id": PAGE, "graph_url": graph.url, "backfill_hours": 48, **options}
    built = build_channel(ChannelConfig(type="facebook", name="fb", options=table))
    assert isinstance(built, FacebookChannel)
    return built


def ingest(desk: Desk, graph: StandIn, **options: object) -> FacebookChannel:
    adapter = channel(graph, **options)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error is None, result.error
    return adapter


# -- in ------------------------------------------------------------------------------------


def test_a_thread_is_one_conversation_with_the_pages_own_message_as_sent_elsewhere(
    graph: StandIn, desk: Desk
) -> None:
    ingest(desk, graph)
    kay = desk.get(f"fb:{KAY_THREAD}")
    assert kay is not None and kay.status is Status.NEW
    assert [m.key for m in kay.messages] == ["fb:m_kay1", "fb:m_page2", "fb:m_kay3"]
    page_message = kay.messages[1]
    assert page_message.role is Role.SENT_ELSEWHERE
    assert page_message.author == "Anytown Public Library"
    assert [e.action for e in kay.events] == ["arrive", "sent-elsewhere", "follow-up"]
    # The patron's words exactly: not English, a newline, an emoji.
    assert kay.latest.text == "¿Y lo tienen en español?\nGracias 🙏"
    assert kay.author == "Kay Okafor"  # the patron's name, not the Page's
    assert kay.latest.url == f"https://www.facebook.com/{PAGE}/inbox/10161234567890001/"
    first = graph.requests("GET", f"{V}/{PAGE}/conversations")[0]
    assert first.query["platform"] == "messenger"
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert all(TOKEN not in json.dumps(seen.query) for seen in graph.seen)


def test_the_next_poll_reads_only_threads_updated_since_and_dedups(
    graph: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = ingest(desk, graph)
    clock.advance(minutes=1)
    result = Poller(desk, [adapter]).poll(adapter)
    assert (result.added, result.joined, result.error) == (0, 0, None)
    # Both threads are older than the cursor's newest updated_time: no message is re-read.
    assert len(graph.requests("GET", f"{V}/{KAY_THREAD}/messages")) == 1


def test_odd_messages_arrive_named_or_are_skipped_with_their_reason(
    graph: StandIn, desk: Desk
) -> None:
    graph.on("GET", f"{V}/{KAY_THREAD}/messages", ok("messages_odd"))
    adapter = channel(graph)
    fetched = adapter.fetch(None, NOW)
    texts = {m.remote_id: m.text for m in fetched.messages if m.conversation == KAY_THREAD}
    assert texts["m_odd3"].startswith("[sticker: https://scontent.xx.fbcdn.net/")
    assert texts["m_odd4"] == (
        "and this\n[attachment of unknown type application/x-holo scan.holo]"
    )
    assert texts["m_odd0"] == (
        "a photo of the form\n[image: https://scontent.xx.fbcdn.net/v/t1.15752-9/form.jpg]"
        "\n[reactions: ❤]"
    )
    # Markup and escape codes arrive exactly as sent; the screen makes them inert.
    assert texts["m_odd5"] == "[bold red]free fines[/] \x1b[31mred\x1b[0m"
    assert {str(p) for p in fetched.problems} == {
        "message m_odd2: created_time 'yesterday-ish' is not a time; skipped",
        "message m_odd1: it has no text, attachment or sticker; skipped",
    }


# -- out and the 24-hour window -------------------------------------------------------------


def test_a_reply_goes_to_the_patrons_page_scoped_id_as_a_response(
    graph: StandIn, desk: Desk
) -> None:
    adapter = ingest(desk, graph)
    reply = send_through_outbox(desk, adapter, f"fb:{KAY_THREAD}", "Sí, tenemos 2 copias.")
    assert reply.status is ReplyStatus.SENT
    assert reply.remote_id == recorded("send_ok")["message_id"]
    (sent,) = graph.requests("POST", f"{V}/{PAGE}/messages")
    assert sent.json() == {
        "recipient": {"id": KAY},
        "messaging_type": "RESPONSE",
        "message": {"text": "Sí, tenemos 2 copias."},
    }


def test_a_retry_after_a_lost_answer_finds_the_reply_in_the_thread_and_never_sends_twice(
    graph: StandIn, desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_client, "TIMEOUT", (5.0, 1.0))
    adapter = ingest(desk, graph)
    key, send = f"fb:{KAY_THREAD}", f"{V}/{PAGE}/messages"
    graph.on("POST", send, Answer(200, recorded("send_ok"), delay=2.0))  # Meta sent it
    outbox = Outbox(desk, {adapter.name: adapter})
    _, reply = outbox.queue(key, "Sí, tenemos 2 copias.")
    lost = outbox.send(key, reply.id)
    assert lost.status is ReplyStatus.PENDING
    assert lost.detail.startswith(
        "Facebook did not answer within 1 seconds while sending a reply; it may have gone "
        "out, so askdesk looks for it in the conversation before sending it again; retry at "
    )
    graph.on("POST", send, ok("send_ok"))
    graph.on("GET", f"{V}/{KAY_THREAD}/messages", ok("messages_kay_after_reply"))
    clock.advance(minutes=1)
    (result,) = outbox.run_due()
    assert (result.status, result.detail) == (ReplyStatus.SENT, recorded("send_ok")["message_id"])
    assert len(graph.requests("POST", send)) == 1
    # Looked up again later (a crash before it was recorded), the same message is found.
    conversation = desk.get(key)
    assert conversation is not None
    assert adapter.find_sent(conversation, reply) is not None
    # A later reply with the same words is not taken for the one already recorded.
    again = Reply(id="r2", text=reply.text, staff="ana", created_at=clock.now())
    assert adapter.find_sent(conversation, again) is None


def test_the_composer_shows_the_time_left_of_the_window(graph: StandIn, desk: Desk) -> None:
    adapter = ingest(desk, graph)
    settings = reply_settings(load_config(None, env={}), {adapter.name: adapter})
    kay = desk.get(f"fb:{KAY_THREAD}")
    assert kay is not None
    window = settings.window(kay, NOW)  # Kay last wrote at 13:40:12, 20 minutes ago
    assert window is not None
    assert window.note == "23 h 40 min left of Messenger's 24-hour reply window"
    assert settings.refusal("ok", kay, False, NOW) is None


CLOSED = (
    "Messenger's 24-hour reply window closed: the patron last wrote 1 d 6 h ago "
    "(2026-11-22 08:00 UTC), so Facebook takes no reply until they write again"
)


def test_past_24_hours_the_desk_refuses_before_anything_is_sent(graph: StandIn, desk: Desk) -> None:
    adapter = ingest(desk, graph)
    settings = reply_settings(load_config(None, env={}), {adapter.name: adapter})
    sam = desk.get(f"fb:{SAM_THREAD}")  # Sam last wrote 30 hours ago
    assert sam is not None
    assert settings.refusal("Yes, twice.", sam, False, NOW) == CLOSED
    window = settings.window(sam, NOW)
    assert window is not None and window.refusal == CLOSED
    # A reply queued earlier (or by a script) is refused by the channel in the same words.
    reply = send_through_outbox(desk, adapter, sam.key, "Yes, twice.")
    assert reply.status is ReplyStatus.FAILED
    assert reply.last_error == CLOSED
    assert graph.requests("POST", f"{V}/{PAGE}/messages") == []


def test_human_agent_answers_a_30_hour_old_thread_with_the_tag(graph: StandIn, desk: Desk) -> None:
    adapter = ingest(desk, graph, human_agent=True)
    settings = reply_settings(load_config(None, env={}), {adapter.name: adapter})
    sam = desk.get(f"fb:{SAM_THREAD}")
    assert sam is not None
    window = settings.window(sam, NOW)
    assert window is not None and window.refusal is None
    assert window.note == "past Messenger's 24 hours: goes with the HUMAN_AGENT tag, 5 d 18 h left"
    reply = send_through_outbox(desk, adapter, sam.key, "Yes, twice.")
    assert reply.status is ReplyStatus.SENT
    (sent,) = graph.requests("POST", f"{V}/{PAGE}/messages")
    assert sent.json() == {
        "recipient": {"id": SAM},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
        "message": {"text": "Yes, twice."},
    }
    later = NOW + timedelta(days=6)
    assert settings.refusal("Yes", sam, False, later) == (
        "Messenger's 7-day human agent window closed: the patron last wrote 7 d 6 h ago "
        "(2026-11-22 08:00 UTC), so Facebook takes no reply until they write again"
    )


def test_metas_own_window_refusal_is_told_in_the_same_words(graph: StandIn, desk: Desk) -> None:
    adapter = ingest(desk, graph)
    graph.on("POST", f"{V}/{PAGE}/messages", refused("error_10_2018278"))
    kay = desk.get(f"fb:{KAY_THREAD}")  # within the window by the desk's clock
    assert kay is not None
    assert adapter.reply_window(kay, NOW).refusal is None
    reply = send_through_outbox(desk, adapter, kay.key, "Sí")  # Meta refuses all the same
    assert len(graph.requests("POST", f"{V}/{PAGE}/messages")) == 1
    assert (reply.status, reply.last_error) == (
        ReplyStatus.FAILED,
        "Messenger's 24-hour reply window closed: the patron last wrote 19 min ago "
        "(2026-11-23 13:40 UTC), so Facebook takes no reply until they write again",
    )


# -- rate limits and tokens ------------------------------------------------------------------


def test_a_page_usage_header_at_95_percent_slows_the_poller_and_shows(
    graph: StandIn, desk: Desk
) -> None:
    usage = json.dumps({"call_count": 95, "total_cputime": 12, "total_time": 20})
    graph.on("GET", f"{V}/{PAGE}/conversations", ok("conversations", **{"X-Page-Usage": usage}))
    adapter = channel(graph, poll_seconds=60)
    poller = Poller(desk, [adapter])
    assert poller.poll(adapter).error is None
    assert adapter.poll_seconds == 240
    health = poller.health["fb"]
    assert health.last_error == (
        "Graph API usage: 95% of Meta's hourly call limit used; polling every 240 s until it falls"
    )
    assert health.next_poll == NOW + timedelta(seconds=240)


@pytest.mark.parametrize("error", ["error_4", "error_32"])
def test_a_call_limit_error_waits_and_shows_on_the_health_line(
    graph: StandIn, desk: Desk, error: str
) -> None:
    graph.on("GET", f"{V}/{PAGE}/conversations", refused(error, 403))
    adapter = channel(graph)
    poller = Poller(desk, [adapter])
    result = poller.poll(adapter)
    code = error.removeprefix("error_")
    assert result.error == (
        f"Facebook's call limit is used up (error {code}) while reading the Page's "
        "conversations; askdesk waits until 14:15:00 UTC"
    )
    health = poller.health["fb"]
    assert health.next_poll == NOW + timedelta(minutes=15)
    assert (health.rate_limit_remaining, health.rate_limit_reset) == (0, health.next_poll)


def test_error_190_says_the_token_expired_in_plain_words(graph: StandIn, desk: Desk) -> None:
    graph.on("GET", f"{V}/{PAGE}/conversations", refused("error_190"))
    adapter = channel(graph)
    with pytest.raises(CredentialsRejected) as caught:
        adapter.fetch(None, NOW)
    said = str(caught.value)
    assert said.startswith("Facebook rejected the Page access token (error 190: it expired")
    assert "ASKDESK_FACEBOOK_PAGE_TOKEN" in said and TOKEN not in said
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error == said


# -- configuration ---------------------------------------------------------------------------


def test_a_missing_token_is_named_when_the_desk_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASKDESK_FACEBOOK_PAGE_TOKEN")
    with pytest.raises(ConfigError, match="needs a Page access token in ASKDESK_FACEBOOK_PAGE"):
        build_channel(ChannelConfig(type="facebook", name="fb", options={"page_id": PAGE}))


def test_config_checks_facebook_options(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[channels]]\ntype = "facebook"\nname = "fb"\npage_id = "my page"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="page_id should be the Page's numeric id"):
        check_config(load_config(path, env={}))
    path.write_text(
        '[[channels]]\ntype = "facebook"\nname = "fb"\npage_id = "1"\nhuman_agent = "yes"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="human_agent should be whether staff may answer"):
        check_config(load_config(path, env={}))


def test_the_pages_copy_of_a_reply_askdesk_sent_is_not_shown_as_sent_elsewhere(
    graph: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = ingest(desk, graph)
    key = f"fb:{KAY_THREAD}"
    reply = send_through_outbox(desk, adapter, key, "Sí, tenemos 2 copias.")
    graph.on("GET", f"{V}/{PAGE}/conversations", ok("conversations_after_reply"))
    graph.on("GET", f"{V}/{KAY_THREAD}/messages", ok("messages_kay_after_reply"))
    clock.advance(minutes=2)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error is None and (result.added, result.joined) == (0, 0)
    kay = desk.get(key)
    assert kay is not None
    assert reply.remote_id not in [m.remote_id for m in kay.messages]
    assert [m.remote_id for m in kay.messages if m.role is Role.SENT_ELSEWHERE] == ["m_page2"]


def test_the_pages_copy_seen_before_an_interrupted_reply_was_recorded_shows_once(
    graph: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = ingest(desk, graph)
    key = f"fb:{KAY_THREAD}"
    outbox = Outbox(desk, {adapter.name: adapter})
    _, queued = outbox.queue(key, "Sí, tenemos 2 copias.")
    # Meta sent it; the process died before recording the send.
    desk.store.update(key, lambda c: take_for_sending(c, queued.id, clock.now(), "gone:1"))
    graph.on("GET", f"{V}/{PAGE}/conversations", ok("conversations_after_reply"))
    graph.on("GET", f"{V}/{KAY_THREAD}/messages", ok("messages_kay_after_reply"))
    clock.advance(minutes=1)
    poller = Poller(desk, [adapter])
    assert poller.poll(adapter).joined == 1  # the copy, taken for a message sent elsewhere
    clock.advance(minutes=5)
    (settled,) = outbox.recover()
    assert (settled.status, settled.detail) == (ReplyStatus.SENT, "found on the platform")

    kay = desk.get(key)
    assert kay is not None
    (reply,) = kay.replies
    assert reply.remote_id == recorded("send_ok")["message_id"]
    assert reply.remote_id not in [m.remote_id for m in kay.messages]  # once: as the reply
    assert [m.remote_id for m in kay.messages if m.role is Role.SENT_ELSEWHERE] == ["m_page2"]
    assert kay.events[-1].details["echo"] == f"fb:{reply.remote_id}"
    assert describe_event("reply", kay.events[-1].details) == (
        "replied (the message listed earlier as sent outside askdesk was this reply)"
    )
    clock.advance(minutes=1)
    assert poller.poll(adapter).joined == 0  # and a later poll does not bring it back
    again = desk.get(key)
    assert again is not None and again.messages == kay.messages
