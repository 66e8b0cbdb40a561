"""The desk's poll worker: a slow fetch is waited for, never cancelled and started again."""

from __future__ import annotations

import asyncio

from textual.widgets import Tab
from textual.worker import WorkerState
from tuikit import settle

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from askdesk.tui.app import AskdeskApp
from tests.desk.stalled import StalledDemo


async def test_a_slow_fetch_keeps_its_worker_and_runs_once(desk: Desk, clock: FixedClock) -> None:
    """The poll worker starts every second; while a fetch stalls, the next ones pass it by.

    The worker doing the fetch is not cancelled by the next one (a thread
    cannot be stopped, so "cancelled" would only hide it from the app), and
    what it brought shows once it finishes.
    """
    channel = StalledDemo()
    app = AskdeskApp(desk, clock=clock, poller=Poller(desk, [channel]), refresh_seconds=3600)
    app.animation_level = "none"
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            assert await asyncio.to_thread(channel.entered.wait, 5)
            clock.advance(seconds=5)  # past poll_seconds: by the clock the channel is due again
            app.poll_channels()
            app.poll_channels()
            await pilot.pause()
            polling = [w for w in app.workers if w.group == "poll"]
            assert WorkerState.CANCELLED not in {w.state for w in polling}
            assert any(w.state is WorkerState.RUNNING for w in polling)
        finally:
            channel.go.set()
        await settle(pilot)
        assert channel.most_at_once == 1
        assert len(desk.live()) == 5
        labels = [str(tab.label) for tab in app.screen.query(Tab)]
        assert labels[0] == "New (5)"
