"""Hostile texts on Twilio: a page nested too deep, an MMS whose media cannot be listed.

Through the channel's real HTTP client against the Twilio stand-in on loopback, as
``test_sms.py`` does: what cannot be read is said in a sentence, the rest arrive.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from askdesk.channels.registry import build_channel
from askdesk.channels.sms import SmsChannel
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from tests.channels.standin import Answer, StandIn, serving
from tests.channels.test_sms import ACCOUNT, AUTH_TOKEN, LIBRARY, MESSAGES, recorded, sid


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDESK_TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("ASKDESK_TWILIO_AUTH_TOKEN", AUTH_TOKEN)


@pytest.fixture
def twilio() -> Iterator[StandIn]:
    with serving(StandIn()) as standin:
        yield standin


def channel(twilio: StandIn) -> SmsChannel:
    table = {"number": LIBRARY, "api_base": twilio.url}
    built = build_channel(ChannelConfig(type="sms", name="text", options=table))
    assert isinstance(built, SmsChannel)
    return built


def test_a_page_nested_too_deep_is_a_sentence_and_the_desk_polls_on(
    twilio: StandIn, desk: Desk
) -> None:
    deep = '{"messages": ' + "[" * 100_000 + "]" * 100_000 + "}"
    twilio.on("GET", MESSAGES, Answer(200, deep, {"Content-Type": "application/json"}))
    adapter = channel(twilio)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error == "Twilio answered reading texts with something that is not JSON"


def test_an_mms_whose_media_cannot_be_listed_arrives_and_so_do_the_others(
    twilio: StandIn, desk: Desk
) -> None:
    """Media deleted in Twilio's console (privacy) leave the text's media list a 404: the
    text arrives saying so, and every other text of the poll arrives too."""
    twilio.on("GET", MESSAGES, Answer(200, recorded("messages_odd")))
    media = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid(12, 'MM')}/Media.json"
    twilio.on("GET", media, Answer(404, {"code": 20404, "message": "not found", "status": 404}))
    adapter = channel(twilio)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error is None
    texts = {m.remote_id: m.text for c in desk.live() for m in c.messages}
    assert texts[sid(15)] == "[red]fine waived?[/red] \x1b[2J"
    assert texts[sid(12, "MM")] == (
        "[MMS media: 1 item not listed: Twilio refused listing an MMS's media (error 20404): "
        "not found]"
    )


def test_a_media_count_that_is_a_digit_but_no_number_still_lists_the_media(
    twilio: StandIn, desk: Desk
) -> None:
    """ "²" is a digit to ``str.isdigit`` and no number to ``int``: the texts still arrive,
    the MMS with its media read from the list Twilio keeps."""
    page = copy.deepcopy(recorded("messages_odd"))
    for raw in page["messages"]:
        raw["num_media"] = "²" if raw["sid"] == sid(12, "MM") else "0"
    twilio.on("GET", MESSAGES, Answer(200, page))
    media = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid(12, 'MM')}/Media.json"
    twilio.on("GET", media, Answer(200, recorded("media_list")))
    adapter = channel(twilio)
    result = Poller(desk, [adapter]).poll(adapter)
    assert result.error is None
    texts = {m.remote_id: m.text for c in desk.live() for m in c.messages}
    assert texts[sid(15)] == "[red]fine waived?[/red] \x1b[2J"
    assert texts[sid(12, "MM")].startswith("[MMS media: image/jpeg ")


def test_a_retry_after_that_is_a_digit_but_no_number_waits_the_usual_time(
    twilio: StandIn, desk: Desk
) -> None:
    twilio.on("GET", MESSAGES, Answer(429, recorded("error_429"), {"Retry-After": "²"}))
    adapter = channel(twilio)
    result = Poller(desk, [adapter]).poll(adapter)
    assert (result.error or "").startswith("Twilio says too many requests (429)")
