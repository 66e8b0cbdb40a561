"""Who else is on shift: each open desk says so in the store, and the header shows the others."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Static
from tuikit import settle

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.live import ON_SHIFT_WITHIN
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp


async def test_the_header_shows_colleagues_with_a_desk_open_and_the_store_knows_this_one(
    desk: Desk, clock: FixedClock, store_path: Path
) -> None:
    colleagues = TinyDBStore(store_path)
    colleagues.heartbeat("bo", "host:2", clock.now())
    colleagues.heartbeat("[red]cy[/red]", "host:3", clock.now() - ON_SHIFT_WITHIN * 2)
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600)
    app.animation_level = "none"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        header = str(app.screen.query_one("#status-bar", Static).render())
        assert "on shift: bo" in header
        assert "cy" not in header  # gone quiet: not on shift any more
        assert {d.staff for d in colleagues.on_shift(clock.now(), ON_SHIFT_WITHIN)} == {
            "ana",
            "bo",
        }
        colleagues.end_shift("host:2")
        clock.advance(seconds=5)
        app.heartbeat()
        await settle(pilot)
        assert "on shift" not in str(app.screen.query_one("#status-bar", Static).render())
    # The desk that closed is off the shift at once, not after the timeout.
    later = clock.now() + timedelta(seconds=1)
    assert colleagues.on_shift(later, ON_SHIFT_WITHIN) == []


async def test_your_own_other_desk_is_counted_beside_your_name_not_listed_on_shift(
    desk: Desk, clock: FixedClock, store_path: Path
) -> None:
    """ana at the front desk and in the back office, bo at two desks: "you are ana
    (2 desks open) · on shift: bo (2 desks)", never "on shift: ana"."""
    others = TinyDBStore(store_path)
    others.heartbeat("ana", "back-office:7", clock.now())
    others.heartbeat("bo", "host:2", clock.now())
    others.heartbeat("bo", "host:3", clock.now())
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600)
    app.animation_level = "none"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        header = str(app.screen.query_one("#status-bar", Static).render())
        assert "you are ana (2 desks open) · on shift: bo (2 desks)" in header
        others.end_shift("host:2")
        others.end_shift("host:3")
        clock.advance(seconds=5)
        app.heartbeat()
        await settle(pilot)
        header = str(app.screen.query_one("#status-bar", Static).render())
        assert "you are ana (2 desks open)" in header and "on shift" not in header
        others.end_shift("back-office:7")
        app.heartbeat()
        await settle(pilot)
        header = str(app.screen.query_one("#status-bar", Static).render())
        assert header.endswith("you are ana")  # alone: nothing more to say
