"""With a team list the hand-off dialogs offer its names and refuse a typo; nothing is stored."""

from __future__ import annotations

import pytest
from tuikit import settle, type_text

from askdesk.clock import FixedClock
from askdesk.config import Team
from askdesk.desk import Desk
from askdesk.model import Status
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.handover import HandoverScreen
from askdesk.tui.screens.prompts import TextPrompt

SIZE = (120, 34)
KEY = "web:1"
TEAM = Team(("ana", "bo", "Cy"), "config.toml [team] members")


@pytest.fixture
def team_desk(store: TinyDBStore, clock: FixedClock, make_message) -> Desk:  # type: ignore[no-untyped-def]
    desk = Desk(store, "ana", clock, team=TEAM)
    desk.ingest([make_message("1", "Are you open on Monday?")])
    return desk


def make_app(desk: Desk, clock: FixedClock) -> AskdeskApp:
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600)
    app.animation_level = "none"
    return app


def notices(app: AskdeskApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_typo_is_refused_and_a_listed_name_goes_as_listed(
    team_desk: Desk, clock: FixedClock
) -> None:
    app = make_app(team_desk, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.suggestions == ["bo", "Cy"]  # the list, not who has used the store
        await type_text(pilot, "cyy")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)  # no "new colleague?" question: refused
        assert any("'cyy' is not on the team list (ana, bo, Cy" in n for n in notices(app))
        assert team_desk.get(KEY).status is Status.NEW  # type: ignore[union-attr]
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "cy")
        await pilot.press("enter")
        await settle(pilot)
    stored = team_desk.get(KEY)
    assert stored is not None and (stored.status, stored.holder) == (Status.CLAIMED, "Cy")


async def test_the_handover_screen_refuses_a_name_off_the_list(
    team_desk: Desk, clock: FixedClock
) -> None:
    team_desk.claim(KEY)
    app = make_app(team_desk, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HandoverScreen)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "boo")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.decisions[KEY].to is None  # kept, not handed to a typo
        assert any("'boo' is not on the team list" in n for n in notices(app))
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "BO")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.decisions[KEY].to == "bo"


async def test_bo_works_what_bo_claimed_before_the_list(
    store: TinyDBStore, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]
    """``Bo`` claimed two before the list; ``bo``'s desk treats them as ``bo``'s own.

    ``c`` offers no take-over "from Bo", ``u`` releases one, and the handover
    screen lists the other as held.
    """
    before_the_list = Desk(store, "Bo", clock)
    before_the_list.ingest([make_message("1", "Are you open on Monday?"), make_message("2")])
    before_the_list.claim(KEY)
    before_the_list.claim("web:2")
    app = make_app(Desk(store, "bo", clock, team=TEAM), clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("c")  # not a colleague's: nothing to take over
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("u")
        await settle(pilot)
        assert any("released" in n for n in notices(app))
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HandoverScreen)
        assert [c.key for c in app.screen.conversations] == ["web:2"]
    released = store.get(KEY)
    assert released is not None and (released.status, released.holder) == (Status.NEW, None)
    assert [(e.staff, e.action) for e in released.events[-2:]] == [
        ("Bo", "claim"),
        ("bo", "release"),
    ]
