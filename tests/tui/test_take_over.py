"""Hand-off to a name nobody has is confirmed; a colleague's conversation can be taken over."""

from __future__ import annotations

import pytest
from tuikit import settle, type_text

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Outcome, QuestionType, Status
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.confirm import Choice
from askdesk.tui.screens.desk import DeskScreen

SIZE = (120, 34)
KEY = "web:1"


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message("1", "Are you open on Monday?", author="@reader")])
    return desk


def make_app(desk: Desk, clock: FixedClock) -> AskdeskApp:
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600)
    app.animation_level = "none"
    return app


async def test_handing_to_a_name_nobody_has_used_asks_first(
    seeded: Desk, clock: FixedClock
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "zed")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert app.screen.title_text == "Hand @reader · web:1 to zed?"
        assert "Nobody called zed has used this desk" in app.screen.lines[0]
        await pilot.press("escape")  # a typo: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        assert seeded.get(KEY).status is Status.NEW  # type: ignore[union-attr]

        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "zed")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")  # zed starts today
        await settle(pilot)
    stored = seeded.get(KEY)
    assert stored is not None and (stored.status, stored.holder) == (Status.CLAIMED, "zed")


async def test_handing_to_a_known_colleague_asks_nothing(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]
    bo_clock = FixedClock(clock.now())
    bo = Desk(TinyDBStore(store.path), "bo", bo_clock)
    bo.ingest([make_message("2", "Parking?")])
    bo.resolve("web:2", Outcome.ANSWERED, QuestionType.DIRECTIONAL, 1)
    bo_clock.advance(days=8)
    assert bo.archive_old() == 1  # bo's only trace is in the archive, not on the desk
    assert all(c.key != "web:2" for c in store.live())
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "a")
        await settle(pilot)
        await type_text(pilot, "bo")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    stored = seeded.get(KEY)
    assert stored is not None and stored.holder == "bo"


async def test_claim_on_a_colleagues_conversation_offers_to_take_it_over(
    seeded: Desk, store: TinyDBStore, clock: FixedClock
) -> None:
    Desk(TinyDBStore(store.path), "bo", clock).claim(KEY)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.check_action("claim", ()) is True
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        assert app.screen.title_text == "Take over @reader · web:1 from bo?"
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
    stored = seeded.get(KEY)
    assert stored is not None and (stored.status, stored.holder) == (Status.CLAIMED, "ana")
    assert (stored.events[-1].action, stored.events[-1].details) == ("take-over", {"from": "bo"})


async def test_a_colleagues_hand_off_to_you_is_said_wherever_the_cursor_is(
    seeded: Desk, store: TinyDBStore, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]
    """ana hands bo the question bo's cursor is on, then another: bo is told who handed
    what, once each, not that it "is now claimed by bo"."""
    seeded.ingest([make_message("2", "Parking?", author="@driver")])
    bo = Desk(TinyDBStore(store.path), "bo", clock)
    app = make_app(bo, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seeded.hand_off(KEY, "bo")
        app.check_store()
        await settle(pilot)
        seeded.hand_off("web:2", "bo")
        app.check_store()
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
    assert said == [
        "ana handed you @reader · web:1 (2: Claimed)",
        "ana handed you @driver · web:2 (2: Claimed)",
    ]


async def test_a_colleagues_take_over_of_yours_is_said_even_where_the_row_stays(
    seeded: Desk, store: TinyDBStore, clock: FixedClock
) -> None:
    """bo takes over what ana holds and her cursor is on: the row stays in Claimed (bo's
    now), so only the notice tells her that the reply she was about to write is not hers."""
    seeded.claim(KEY)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        Desk(TinyDBStore(store.path), "bo", clock).take_over(KEY)
        app.check_store()
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
    assert said == ["bo took over @reader · web:1 from you"]
