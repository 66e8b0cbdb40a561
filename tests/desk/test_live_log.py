"""A failing listener of the live runner is logged by channel, event and key, never with
the patron's message and its words."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest

from askdesk.desk import Desk
from askdesk.desk.live import LiveEvent, LiveRunner
from askdesk.model import Kind, Message


def test_a_failing_listener_is_logged_without_the_patrons_words(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    def listener(event: LiveEvent) -> None:
        raise RuntimeError("the listener broke")

    chat = SimpleNamespace(name="chat", type="xmpp", session_gap=timedelta(minutes=30))
    runner = LiveRunner(desk, [chat], listener=listener)  # type: ignore[list-item]
    words = "my card is 21234000999 and I live at 4 Elm Street"
    message = Message("chat", "m1", Kind.CHAT, "jo@example.org", words, desk.clock.now())
    with caplog.at_level(logging.WARNING):
        runner.arrived(chat, [message], None)  # type: ignore[arg-type]
    assert "a listener failed on chat arrived chat:" in caplog.text
    assert "21234000999" not in caplog.text and "Elm Street" not in caplog.text
