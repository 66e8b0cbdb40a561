"""SMS through Twilio: the channel's real HTTP client against recorded 2010-04-01 answers.

A stand-in server on loopback (``tests/channels/standin.py``) answers with
responses in the published shapes of Twilio's Messages list, create and
fetch, and its error objects; ``api_base`` points the channel at it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from askdesk.channels.registry import build_channel
from askdesk.channels.sms import SmsChannel
from askdesk.channels.sms import twilio as twilio_api
from askdesk.channels.sms.numbers import former_patron_id, patron_id
from askdesk.cli import main
from askdesk.cli_replies import reply_settings
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig, load_config
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.desk.pseudonyms import BOOKMARK
from askdesk.desk.retention import ANONYMIZED, RetentionPolicy, purge
from askdesk.desk.sync import Poller
from askdesk.desk.views import listed_author
from askdesk.errors import ConfigError, CredentialsRejected, RateLimited
from askdesk.model import Kind, Message, Outcome, QuestionType, ReplyStatus, Role, Status
from askdesk.model.replying import take_for_sending
from askdesk.store import Store, TinyDBStore, open_store
from tests.channels.outbox_send import send_through_outbox
from tests.channels.standin import Answer, StandIn, serving
from tests.conftest import NOW

RECORDED = Path(__file__).parent / "recorded" / "twilio"
ACCOUNT = "AC5ef8732a3c49700934481addd5ce1659"
AUTH_TOKEN = "twilio-auth-token-for-tests-0123"
LIBRARY, ROSA = "+15555550100", "+15555554321"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def sid(n: int, prefix: str = "SM") -> str:
    return f"{prefix}{n:032x}"


@cache
def recorded(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDESK_TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("ASKDESK_TWILIO_AUTH_TOKEN", AUTH_TOKEN)


@pytest.fixture
def twilio() -> Iterator[StandIn]:
    with serving(StandIn()) as standin:
        standin.on("GET", MESSAGES, Answer(200, recorded("messages_minutes_apart")))
        standin.on("POST", MESSAGES, Answer(201, recorded("create_queued")))
        yield standin


def channel(twilio: StandIn, **options: object) -> SmsChannel:
    table = {"number": LIBRARY, "api_base": twilio.url, **options}
    built = build_channel(ChannelConfig(type="sms", name="text", options=table))
    assert isinstance(built, SmsChannel)
    return built


def keyed(adapter: SmsChannel) -> SmsChannel:
    """For a fetch without a desk: the key a store would hand over."""
    adapter.use_pseudonym_key(b"k" * 32)
    return adapter


def store_key(store: Store) -> bytes:
    kept = store.cursor(BOOKMARK)
    assert kept is not None
    return bytes.fromhex(kept)


def poll(desk: Desk, adapter: SmsChannel) -> None:
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error is None, result.error


def only(desk: Desk) -> Any:
    (conversation,) = [c for c in desk.live() if c.channel == "text"]
    return conversation


# -- in ------------------------------------------------------------------------------------


def test_texts_minutes_apart_are_one_conversation_keyed_without_the_number(
    twilio: StandIn, desk: Desk
) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    rosa = only(desk)
    assert [m.remote_id for m in rosa.messages] == [sid(1), sid(3)]  # not the library's own
    assert rosa.kind is Kind.SMS and rosa.author == ROSA  # whole in the conversation
    assert rosa.messages[1].text == "It's for my daughter, she's 9"
    assert ROSA not in rosa.key and "5554321" not in rosa.key
    assert rosa.key == rosa.messages[0].conversation_key
    assert listed_author(rosa) == "+1 555-•••-4321"  # what lists show
    (asked,) = twilio.requests("GET", MESSAGES)
    assert asked.query == {"To": LIBRARY, "DateSent>": "2026-11-22", "PageSize": "100"}
    assert asked.headers["Authorization"].startswith("Basic ")


def test_keys_carry_an_hmac_under_the_stores_own_secret_not_a_hash_anyone_can_undo(
    twilio: StandIn, desk: Desk, tmp_path: Path, clock: FixedClock
) -> None:
    poll(desk, channel(twilio))
    key = store_key(desk.store)
    assert len(key) == 32
    rosa = only(desk)
    pseudonym = patron_id(key, "text", ROSA)
    assert rosa.key == f"text:{pseudonym}#{sid(1)}"
    # Trying every number against the plain hash finds nothing: it is not in the key.
    assert former_patron_id("text", ROSA) not in rosa.key
    # Made once: a later poller (another process) reads the same secret.
    poll(desk, channel(twilio))
    assert store_key(desk.store) == key
    # Another store has its own: the same number goes by another name there.
    other = Desk(TinyDBStore(tmp_path / "other" / "desk.json"), "bo", clock)
    poll(other, channel(twilio))
    assert store_key(other.store) != key
    assert only(other).key != rosa.key


def test_a_conversation_keyed_the_old_unkeyed_way_is_still_joined_by_the_numbers_texts(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    former = former_patron_id("text", ROSA)
    before = Message(
        channel="text",
        remote_id=sid(1),
        kind=Kind.SMS,
        author=ROSA,
        text="Do you have any books on volcanoes?",
        received_at=NOW - timedelta(hours=2),
        conversation=f"{former}#{sid(1)}",  # as the channel named it before keys were keyed
    )
    desk.ingest([before])
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_next_day")))
    clock.advance(days=1, hours=2)
    poll(desk, channel(twilio))
    rosa = only(desk)
    assert rosa.key == f"text:{former}#{sid(1)}"
    assert [m.remote_id for m in rosa.messages] == [sid(1), sid(4)]
    # Once that conversation is over, the number's next one goes by the keyed name.
    desk.resolve(rosa.key, Outcome.ANSWERED, QuestionType.POLICY, 1)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_a_week_later")))
    clock.advance(days=7)
    poll(desk, channel(twilio))
    newest = max((c for c in desk.live() if c.channel == "text"), key=lambda c: c.first.received_at)
    assert newest.key == f"text:{patron_id(store_key(desk.store), 'text', ROSA)}#{sid(7)}"


def test_the_secret_travels_with_store_copy_and_is_never_shown(
    twilio: StandIn,
    desk: Desk,
    clock: FixedClock,
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    poll(desk, channel(twilio))
    key, first = store_key(desk.store), only(desk).key
    store = str(desk.store.location)
    outputs = []
    for command in (
        ["store", "copy", "--to", postgres_url],
        ["channels", "--format", "json"],
        ["list", "--status", "all", "--format", "json"],
        ["show", first, "--format", "json"],
    ):
        assert main([*command, "--store", store, "--as", "ana"]) == 0, command
        outputs.append(capsys.readouterr())
    copied = open_store(postgres_url)
    try:
        assert store_key(copied) == key
        # On the copy, the number's next text joins the same conversation.
        on_postgres = Desk(copied, "ana", clock)
        twilio.on("GET", MESSAGES, Answer(200, recorded("messages_next_day")))
        clock.advance(days=1, hours=2)
        poll(on_postgres, channel(twilio))
        assert [m.remote_id for m in only(on_postgres).messages] == [sid(1), sid(3), sid(4)]
        assert only(on_postgres).key == first
    finally:
        copied.close()
    for shown in [key.hex(), key.hex().upper()]:
        assert all(shown not in o.out and shown not in o.err for o in outputs)
        assert shown not in caplog.text


def test_a_text_a_day_after_the_resolve_starts_a_new_conversation(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    first = only(desk)
    desk.resolve(first.key, Outcome.ANSWERED, QuestionType.READERS_ADVISORY, 2)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_next_day")))
    clock.advance(days=1, hours=2)
    poll(desk, adapter)
    conversations = sorted(
        (c for c in desk.live() if c.channel == "text"), key=lambda c: c.first.received_at
    )
    assert conversations[0].key == first.key
    assert conversations[0].status is Status.RESOLVED
    assert [m.remote_id for m in conversations[1].messages] == [sid(4)]
    assert conversations[1].status is Status.NEW


def test_stop_is_recorded_and_a_reply_is_refused_before_it_is_sent(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    key = only(desk).key
    desk.resolve(key, Outcome.ANSWERED, QuestionType.READERS_ADVISORY, 2)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_stop")))
    clock.advance(minutes=1)
    poll(desk, adapter)
    rosa = only(desk)
    assert rosa.status is Status.RESOLVED  # STOP is not a question: nothing reopens
    assert rosa.messages[-1].role is Role.OPT_OUT
    assert rosa.events[-1].action == "opt-out"
    # Lists preview (and the composer answers) the last question, not the STOP beside it.
    assert rosa.latest.text == "It's for my daughter, she's 9"
    settings = reply_settings(load_config(None, env={}), {adapter.name: adapter})
    said = (
        "+1 555-•••-4321 texted STOP at 2026-11-23 13:58 UTC: no text can go to them "
        "until they text START"
    )
    assert settings.refusal("One more thing", rosa, False, clock.now()) == said
    desk.reopen(key)
    reply = send_through_outbox(desk, adapter, key, "One more thing")
    assert (reply.status, reply.last_error) == (ReplyStatus.FAILED, said)
    assert twilio.requests("POST", MESSAGES) == []


def test_start_lets_replies_go_again_to_the_number(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel(twilio)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_minutes_apart")))
    poll(desk, adapter)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_stop")))
    clock.advance(minutes=1)
    poll(desk, adapter)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_start")))
    clock.advance(hours=1, minutes=15)
    poll(desk, adapter)
    rosa = only(desk)
    assert [m.role for m in rosa.messages][-2:] == [Role.OPT_OUT, Role.OPT_IN]
    assert rosa.opted_out_at is None
    reply = send_through_outbox(
        desk, adapter, rosa.key, "Welcome back! Volcano books are at 551.21."
    )
    assert reply.status is ReplyStatus.SENT and reply.remote_id == sid(0x99)
    (sent,) = twilio.requests("POST", MESSAGES)
    assert sent.form() == {
        "To": ROSA,
        "From": LIBRARY,
        "Body": "Welcome back! Volcano books are at 551.21.",
    }


def test_a_stop_from_a_number_with_no_conversation_opens_none_and_is_never_answered(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel(twilio)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_stop")))
    poll(desk, adapter)
    assert [c for c in desk.live() if c.channel == "text"] == []  # nothing in New
    # The number asks a question a day later: it arrives, with the opt-out beside it.
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_next_day")))
    clock.advance(days=1, hours=2)
    poll(desk, adapter)
    rosa = only(desk)
    assert rosa.status is Status.NEW and rosa.latest.remote_id == sid(4)
    assert [m.role for m in rosa.messages] == [Role.QUESTION, Role.OPT_OUT]
    assert rosa.messages[1].text == (
        "still opted out: texted STOP at 2026-11-23 13:58 UTC and not START since, "
        "so no text can go to this number"
    )
    said = (
        "+1 555-•••-4321 texted STOP earlier and not START since: no text can go to them "
        "until they do"
    )
    settings = reply_settings(load_config(None, env={}), {adapter.name: adapter})
    assert settings.refusal("We open at nine.", rosa, False, clock.now()) == said
    reply = send_through_outbox(desk, adapter, rosa.key, "We open at nine.")
    assert (reply.status, reply.last_error) == (ReplyStatus.FAILED, said)
    assert twilio.requests("POST", MESSAGES) == []
    # START lets replies go again.
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_start_later")))
    clock.advance(minutes=40)
    poll(desk, adapter)
    assert only(desk).opted_out_at is None
    assert (
        send_through_outbox(desk, adapter, rosa.key, "We open at nine.").status is ReplyStatus.SENT
    )


def test_an_opt_out_outlives_the_anonymising_of_its_conversation(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_stop")))
    clock.advance(minutes=1)
    poll(desk, adapter)
    desk.resolve(only(desk).key, Outcome.ANSWERED, QuestionType.READERS_ADVISORY, 2)
    clock.advance(days=2)
    assert len(purge(desk.store, RetentionPolicy(default_days=1), clock.now()).keys) == 1
    assert {m.author for m in only(desk).messages} == {ANONYMIZED}
    kept = desk.store.cursor("text")
    assert kept is not None and "5554321" not in kept  # the register holds no number
    # A week later the number asks again: a new conversation, and still no text may go.
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_a_week_later")))
    clock.advance(days=6, hours=2)
    poll(desk, adapter)
    (rosa,) = [c for c in desk.live() if c.status is Status.NEW]
    assert [m.role for m in rosa.messages] == [Role.QUESTION, Role.OPT_OUT]
    reply = send_through_outbox(desk, adapter, rosa.key, "Yes, it is on order.")
    assert reply.status is ReplyStatus.FAILED
    assert reply.last_error is not None and "texted STOP earlier" in reply.last_error
    assert twilio.requests("POST", MESSAGES) == []


def test_twilio_21610_says_the_patron_opted_out(twilio: StandIn, desk: Desk) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    twilio.on("POST", MESSAGES, Answer(400, recorded("error_21610")))
    reply = send_through_outbox(desk, adapter, only(desk).key, "Hi")
    assert reply.status is ReplyStatus.FAILED
    assert reply.last_error == (
        "+1 555-•••-4321 has opted out (texted STOP): no text can go to them until they "
        "text START (Twilio error 21610)"
    )


# -- a send cut short ----------------------------------------------------------------------

REPLY = "Volcano books are at 551.21"


def lost_answer(twilio: StandIn, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> Outbox:
    """Twilio takes the text but its answer never arrives: the send times out."""
    monkeypatch.setattr(twilio_api, "TIMEOUT", (5.0, 1.0))
    adapter = channel(twilio)
    poll(desk, adapter)
    key = only(desk).key
    twilio.on("POST", MESSAGES, Answer(201, recorded("create_queued"), delay=2.0))
    outbox = Outbox(desk, {adapter.name: adapter})
    _, reply = outbox.queue(key, REPLY)
    result = outbox.send(key, reply.id)
    assert result.status is ReplyStatus.PENDING
    assert result.detail.startswith(
        "Twilio did not answer within 1 seconds while sending a text; it may have gone out, "
        "so askdesk looks for it on Twilio before sending it again; retry at "
    )
    twilio.on("POST", MESSAGES, Answer(201, recorded("create_queued")))
    return outbox


def test_a_retry_after_a_lost_answer_finds_the_text_on_twilio_and_never_sends_twice(
    twilio: StandIn, desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = lost_answer(twilio, desk, monkeypatch)
    twilio.on("GET", MESSAGES, Answer(200, recorded("sent_to_rosa")))
    clock.advance(minutes=1)
    (result,) = outbox.run_due()
    assert (result.status, result.detail) == (ReplyStatus.SENT, sid(0x99))
    assert len(twilio.requests("POST", MESSAGES)) == 1
    looked = [r.query for r in twilio.requests("GET", MESSAGES) if "From" in r.query]
    assert looked == [{"To": ROSA, "From": LIBRARY, "PageSize": "50"}]


def test_a_text_found_on_twilio_stays_sent_though_the_patron_texted_stop_since(
    twilio: StandIn, desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = lost_answer(twilio, desk, monkeypatch)
    stop, sent = recorded("messages_stop"), recorded("sent_to_rosa")
    twilio.on("GET", MESSAGES, Answer(200, stop), Answer(200, sent))
    poll(desk, channel(twilio))  # STOP arrives before the retry
    clock.advance(minutes=1)
    (result,) = outbox.run_due()
    assert (result.status, result.detail) == (ReplyStatus.SENT, sid(0x99))
    assert len(twilio.requests("POST", MESSAGES)) == 1


def test_a_retry_sends_when_twilio_has_no_such_text(
    twilio: StandIn, desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = lost_answer(twilio, desk, monkeypatch)
    # Only the library's earlier text, written before this reply: this one never got there.
    twilio.on("GET", MESSAGES, Answer(200, recorded("sent_to_rosa_earlier_only")))
    clock.advance(minutes=1)
    (result,) = outbox.run_due()
    assert result.status is ReplyStatus.SENT
    assert len(twilio.requests("POST", MESSAGES)) == 2


def test_a_send_cut_short_by_a_crash_is_settled_by_the_lookup_or_left_to_staff_in_words(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    key = only(desk).key
    outbox = Outbox(desk, {adapter.name: adapter})
    replies = [outbox.queue(key, text)[1] for text in (REPLY, "And the atlas is at 912.")]
    for reply in replies:  # taken for sending, then the process died
        desk.store.update(key, lambda c, r=reply: take_for_sending(c, r.id, clock.now(), "gone:1"))
    clock.advance(minutes=5)
    twilio.on(
        "GET",
        MESSAGES,
        Answer(200, recorded("sent_to_rosa")),
        Answer(500, {"code": 20500, "message": "Internal Server Error", "status": 500}),
    )
    found, unknown = sorted(outbox.recover(), key=lambda r: r.status)
    assert (found.status, found.detail) == (ReplyStatus.SENT, "found on the platform")
    assert unknown.status is ReplyStatus.UNCERTAIN
    conversation = desk.get(key)
    assert conversation is not None
    left = conversation.reply(unknown.reply_id)
    assert left is not None and left.last_error == (
        "the send was interrupted and could not check: Twilio is having trouble (500) while "
        "checking whether a text went out; askdesk tries again later; check and decide"
    )
    assert twilio.requests("POST", MESSAGES) == []


# -- segments --------------------------------------------------------------------------------


def test_an_emoji_reply_is_counted_in_ucs2_segments_against_max_segments(
    twilio: StandIn, desk: Desk
) -> None:
    adapter = channel(twilio, max_segments=2)
    poll(desk, adapter)
    settings = reply_settings(load_config(None, env={}), {adapter.name: adapter})
    rosa = only(desk)
    counted = settings.measure("Volcano books are at 551.21 🌋 See you soon!", rosa)
    assert counted.label() == "1 segment (SMS, 44/70 characters, Unicode)"
    assert settings.measure("a" * 160, rosa).label() == "1 segment (SMS, 160/160 characters)"
    long = "Volcanoes 🌋 " * 12  # 12 UTF-16 units a time: 144, three UCS-2 segments of 67
    assert settings.refusal(long, rosa, False, NOW) == (
        "too long for sms: 3 segments, limit 2 (SMS, 67 characters each, Unicode); "
        "shorten it before sending"
    )


def test_a_reply_made_longer_after_composing_is_refused_before_it_is_sent(
    twilio: StandIn, desk: Desk
) -> None:
    adapter = channel(twilio, max_segments=2)
    poll(desk, adapter)
    key = only(desk).key
    outbox = Outbox(desk, {adapter.name: adapter})
    _, reply = outbox.queue(key, "Volcanoes 🌋")
    outbox.edit(key, reply.id, "Volcanoes 🌋 " * 12)  # three UCS-2 segments of 67
    result = outbox.send(key, reply.id)
    assert result.status is ReplyStatus.FAILED
    assert result.detail == (
        "too long for sms: 3 segments, limit 2 (SMS, 67 characters each, Unicode); "
        "shorten it before sending; waiting for staff"
    )
    assert twilio.requests("POST", MESSAGES) == []


# -- errors and odd input --------------------------------------------------------------------


def test_401_names_the_credentials_to_check(twilio: StandIn) -> None:
    twilio.on("GET", MESSAGES, Answer(401, recorded("error_401")))
    with pytest.raises(CredentialsRejected) as caught:
        keyed(channel(twilio)).fetch(None, NOW)
    said = str(caught.value)
    assert said.startswith("Twilio rejected the credentials (401) while reading texts")
    assert "ASKDESK_TWILIO_AUTH_TOKEN" in said and AUTH_TOKEN not in said


def test_429_waits_as_long_as_twilio_asks(twilio: StandIn, desk: Desk) -> None:
    twilio.on("GET", MESSAGES, Answer(429, recorded("error_429"), {"Retry-After": "120"}))
    adapter = keyed(channel(twilio))
    with pytest.raises(RateLimited) as caught:
        adapter.fetch(None, NOW)
    assert caught.value.reset_at == NOW + timedelta(seconds=120)
    poller = Poller(desk, [adapter])
    assert poller.poll(adapter).error == (
        "Twilio says too many requests (429) while reading texts; askdesk waits until 14:02:00 UTC"
    )
    assert poller.health["text"].next_poll == NOW + timedelta(seconds=120)


def test_odd_texts_arrive_inert_or_are_skipped_with_their_reason(twilio: StandIn) -> None:
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_odd")))
    media = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid(12, 'MM')}/Media.json"
    twilio.on("GET", media, Answer(200, recorded("media_list")))
    fetched = keyed(channel(twilio)).fetch(None, NOW)
    texts = {m.remote_id: m.text for m in fetched.messages}
    assert texts == {
        sid(15): "[red]fine waived?[/red] \x1b[2J",  # literally; the screen makes it inert
        sid(12, "MM"): (
            f"[MMS media: image/jpeg {twilio.url}/2010-04-01/Accounts/{ACCOUNT}/Messages/"
            f"{sid(12, 'MM')}/Media/ME{'0' * 30}0c]"
        ),
    }
    assert [str(p) for p in fetched.problems] == [
        f"text {sid(14)}: its sender is not an E.164 number; skipped",
        f"text {sid(13)}: date_sent 'sometime on Monday' is not a time; skipped",
        f"text {sid(11)}: it has no text and no media; skipped",
    ]


def test_a_number_that_is_not_e164_is_refused_in_the_config() -> None:
    with pytest.raises(ConfigError, match=r"number should be the library's number in E\.164"):
        build_channel(ChannelConfig(type="sms", name="t", options={"number": "555-0100"}))


def test_missing_credentials_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASKDESK_TWILIO_AUTH_TOKEN")
    with pytest.raises(
        ConfigError, match="needs ASKDESK_TWILIO_ACCOUNT_SID and ASKDESK_TWILIO_AUTH"
    ):
        build_channel(ChannelConfig(type="sms", name="t", options={"number": LIBRARY}))


# -- personal data ---------------------------------------------------------------------------


def test_numbers_appear_in_no_export_statistic_or_purge_output(
    twilio: StandIn, desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    key = only(desk).key
    desk.resolve(key, Outcome.ANSWERED, QuestionType.READERS_ADVISORY, 2)
    config = tmp_path / "config.toml"
    config.write_text("[retention]\nanonymize_after_days = 1\n", encoding="utf-8")
    common = ["--config", str(config), "--store", str(desk.store.location), "--as", "ana"]
    outputs = []
    for command in (
        ["stats", "--format", "json", "--since", "2026-11-01"],
        ["export", "--format", "json", "--since", "2026-11-01"],
        ["export", "--since", "2026-11-01"],
        ["list", "--status", "all", "--format", "json"],
        ["purge", "--dry-run"],
        ["purge"],
    ):
        assert main([*command, *common]) == 0, command
        outputs.append(capsys.readouterr().out)
    assert '"sms"' in outputs[0]  # kind sms in by_kind
    for out in outputs:
        assert "5554321" not in out and "555-4321" not in out
    assert "+1 555-•••-4321" in outputs[3]  # the list, masked
    scrubbed = only(desk)
    assert {m.author for m in scrubbed.messages} != {ROSA}


def test_a_replys_delivery_is_asked_after_and_kept_on_the_reply(
    twilio: StandIn, desk: Desk, clock: FixedClock
) -> None:
    adapter = channel(twilio)
    poll(desk, adapter)
    key = only(desk).key
    reply = send_through_outbox(desk, adapter, key, "Volcano books are at 551.21")
    fetch = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid(0x99)}.json"
    twilio.on("GET", fetch, Answer(200, recorded("fetch_delivered")))
    clock.advance(minutes=1)
    poll(desk, adapter)
    conversation = desk.get(key)
    assert conversation is not None
    kept = conversation.reply(reply.id)
    assert kept is not None and kept.delivery == "delivered"
    assert conversation.events[-1].action == "delivery"
    clock.advance(minutes=1)
    poll(desk, adapter)
    assert len(twilio.requests("GET", fetch)) == 1  # delivered is final: not asked again
