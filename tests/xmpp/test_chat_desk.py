"""The desk holds the chat when nothing else does, shows what arrives, and lets go on quit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from askdesk.desk.live import LiveRunner
from askdesk.tui.app import AskdeskApp
from tests.xmpp.chatkit import Events, chat_channel, open_desk
from tests.xmpp_server import Patron, Prosody

WAIT_S = 15.0


async def test_an_open_desk_holds_the_chat_shows_a_message_and_releases_on_quit(
    prosody: Prosody, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    desk = open_desk(store_path)
    events = Events()
    runner = LiveRunner(desk, [chat_channel(prosody)], listener=events)
    app = AskdeskApp(desk, clock=desk.clock, live=runner, refresh_seconds=0.1)
    app.animation_level = "none"
    async with app.run_test(size=(120, 30)) as pilot:
        await asyncio.to_thread(events.wait, "connected")
        assert "chat ✓ connected" in app.channel_summary()
        ada = Patron(prosody, "ada@library.test").connect()
        patrons.append(ada)
        ada.say("Is the desk open tonight?")
        deadline = time.monotonic() + WAIT_S
        while not any(
            c.latest.text == "Is the desk open tonight?" for c in app.conversations.values()
        ):
            assert time.monotonic() < deadline, "the message never reached the open desk"
            await pilot.pause(0.05)
    # Quitting gave the chat up at once: another askdesk may take it now.
    assert desk.store.channel_records()["chat"]["lease"] is None
    assert not runner.holds("chat")
