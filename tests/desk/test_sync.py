"""Polling: each channel when due, a failing one never stops the others."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from askdesk.channels import Fetched
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.sync import STILL_FETCHING, Poller
from askdesk.errors import ChannelError, RateLimited
from tests.conftest import NOW, MessageFactory
from tests.desk.stalled import StalledDemo


class Scripted:
    """A channel that answers from a list: messages, or an exception to raise."""

    type = "scripted"

    def __init__(self, name: str, answers: list[object], poll_seconds: float = 60) -> None:
        self.name = name
        self.answers = answers
        self.poll_seconds = poll_seconds
        self.cursors: list[str | None] = []

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        self.cursors.append(cursor)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, Fetched)
        return answer


def test_failing_channel_does_not_stop_the_others(desk: Desk, make_message: MessageFactory) -> None:
    broken = Scripted("broken", [ChannelError("credentials rejected")])
    good = Scripted("good", [Fetched([make_message("1", channel="good")], cursor="c1")])
    poller = Poller(desk, [broken, good])
    results = poller.poll_all()
    assert [r.error for r in results] == ["credentials rejected", None]
    assert results[1].added == 1
    assert poller.health["broken"].last_error == "credentials rejected"
    assert poller.health["good"].last_ok == NOW
    assert desk.store.cursor("good") == "c1"


def test_unexpected_exception_becomes_a_health_error(desk: Desk) -> None:
    poller = Poller(desk, [Scripted("sdk", [KeyError("boom")])])
    (result,) = poller.poll_all()
    assert result.error is not None and "unexpected error" in result.error


def test_cursor_is_handed_back_and_polls_wait_their_interval(
    desk: Desk, clock: FixedClock, make_message: MessageFactory
) -> None:
    channel = Scripted(
        "web",
        [Fetched([make_message("1")], cursor="after-1"), Fetched([], cursor="after-1")],
        poll_seconds=30,
    )
    poller = Poller(desk, [channel])
    assert len(poller.poll_due()) == 1
    assert poller.poll_due() == []  # not due yet
    clock.advance(seconds=31)
    assert len(poller.poll_due()) == 1
    assert channel.cursors == [None, "after-1"]


def test_rate_limit_waits_until_reset(desk: Desk, clock: FixedClock) -> None:
    reset = NOW + timedelta(minutes=15)
    channel = Scripted("x", [RateLimited("rate limited until 14:15", reset)], poll_seconds=30)
    poller = Poller(desk, [channel])
    (result,) = poller.poll_due()
    assert result.error == "rate limited until 14:15"
    clock.advance(minutes=14)
    assert poller.poll_due() == []
    assert poller.health["x"].next_poll == reset


def test_a_slow_fetch_is_never_started_twice_at_once(desk: Desk, clock: FixedClock) -> None:
    """The app starts a poll every second; a fetch that takes longer must not run beside itself."""
    channel = StalledDemo()
    poller = Poller(desk, [channel])
    first = threading.Thread(target=poller.poll_due)
    first.start()
    try:
        assert channel.entered.wait(timeout=5)
        clock.advance(seconds=5)  # past poll_seconds: by the clock the channel is due again
        later: list[object] = []
        tick = threading.Thread(target=lambda: later.append(poller.poll_due()))
        tick.start()
        tick.join(timeout=5)
        assert not tick.is_alive(), "the next round waited on (or joined) the running fetch"
        assert later == [[]]
        assert poller.poll(channel).skipped == STILL_FETCHING  # askdesk fetch's way in too
        assert channel.most_at_once == 1
    finally:
        channel.go.set()
        first.join(timeout=10)
    assert len(desk.live()) == 5  # the stalled fetch's first batch arrived, once
    result = poller.poll(channel)  # its turn is over: the channel polls again
    assert result.skipped is None and result.error is None
    assert channel.most_at_once == 1
