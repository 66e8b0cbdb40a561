"""``o`` opens the original post, or says why it cannot; it never does nothing."""

from __future__ import annotations

import webbrowser
from datetime import timedelta

import pytest
from textual.notifications import Notify
from tuikit import Recorder, settle

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Kind, Message
from askdesk.tui.app import AskdeskApp

URL = "https://social.example/@reader/1"


@pytest.fixture
def seeded(desk: Desk) -> Desk:
    """A mention with a link to its post (oldest, first row) and a chat without one."""
    now = desk.clock.now()
    desk.ingest(
        [
            Message("web", "1", Kind.MENTION, "@reader", "Open Monday?", now, url=URL),
            Message("chat", "2", Kind.CHAT, "guest", "Quiet room?", now + timedelta(seconds=1)),
        ]
    )
    return desk


async def press_o(desk: Desk, clock: FixedClock, *before: str) -> list[tuple[str, str]]:
    recorder = Recorder()
    app = AskdeskApp(desk, clock=clock, poller=None, refresh_seconds=3600)
    async with app.run_test(size=(100, 30), message_hook=recorder) as pilot:
        await pilot.press(*before, "o")
        await settle(pilot)
    return [(m.notification.severity, m.notification.message) for m in recorder.of(Notify)]


async def test_o_opens_the_post_and_says_so(
    seeded: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "get", lambda using=None: object())
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    notes = await press_o(seeded, clock)
    assert opened == [URL]
    assert ("information", f"Opened in your browser: {URL}") in notes


async def test_o_without_a_browser_gives_the_link(
    seeded: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_browser(using: str | None = None) -> object:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    notes = await press_o(seeded, clock)
    assert ("warning", f"No web browser on this machine. The link, also copied: {URL}") in notes


async def test_o_on_a_message_without_a_link_says_why(seeded: Desk, clock: FixedClock) -> None:
    notes = await press_o(seeded, clock, "j")
    assert ("warning", "chat:2 has no original post to open: its channel gives no link") in notes
