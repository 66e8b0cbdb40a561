"""``q`` right after a change: askdesk closes once the store has it, never before."""

from __future__ import annotations

import asyncio
import time

from textual.pilot import Pilot

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Conversation, Status
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from tests.conftest import MessageFactory

SIZE = (80, 24)
WRITE_SECONDS = 0.5
"""How long the claim's store write takes: a busy machine, well after ``q`` is handled."""


async def test_a_claim_shown_is_in_the_store_when_askdesk_has_closed(
    desk: Desk, store: TinyDBStore, clock: FixedClock, make_message: MessageFactory
) -> None:
    desk.ingest([make_message("1", "Are you open on Monday?")])
    write = store.update

    def slow_update(key: str, change: object) -> Conversation:
        time.sleep(WRITE_SECONDS)
        return write(key, change)  # type: ignore[arg-type]

    store.update = slow_update  # type: ignore[method-assign]
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600)
    app.animation_level = "none"
    shown: list[str] = []

    async def claim_and_quit(pilot: Pilot[None]) -> None:
        await pilot.press("c")
        shown.append(app.screen.query_one("#claimed").label.plain)  # type: ignore[attr-defined]
        await pilot.press("q")

    await asyncio.wait_for(app.run_async(headless=True, size=SIZE, auto_pilot=claim_and_quit), 30)
    assert shown == ["Claimed (1)"]  # the screen said it was claimed before the write ended
    claimed = store.get("web:1")  # the command line closes the store the moment the app ends
    assert claimed is not None and (claimed.status, claimed.holder) == (Status.CLAIMED, "ana")
