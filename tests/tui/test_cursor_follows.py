"""The cursor stays on the conversation staff act on, not on a line of the list.

A claim moves the row from New to Claimed; if the cursor stayed on its line,
the next key (``d``, ``r``) would act on the question that moved up into it,
another patron. The rule the desk keeps:

- an action that makes the conversation yours to go on with (claim, take
  over, reopen, a reply that claims it) takes the cursor with it, to its pane;
- once that conversation leaves your hands (resolve, release, hand off), the
  cursor goes back to where it came from, on the row that took its place:
  ``c`` ``r`` ``d`` works down the New queue;
- in a pane you went to yourself, resolve, release and hand off leave the
  cursor in it, on the row that takes its place;
- a colleague's change or a new message never moves the cursor to another
  conversation by line number; when the one under it is taken away, the desk
  says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Static, Tabs
from tuikit import Recorder, settle, type_text

from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.model import Outcome, QuestionType, Status
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.screens.composer import ComposerScreen
from askdesk.tui.screens.confirm import Choice
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.screens.prompts import ResolveDialog, TextPrompt
from askdesk.tui.widgets.conversation_list import ConversationList

SIZE = (120, 34)
OLDEST, MIDDLE, NEWEST = "web:1", "web:2", "web:3"


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:  # type: ignore[no-untyped-def]  # fixture factory
    """Three new questions; New lists them longest-waiting first: web:1, web:2, web:3."""
    desk.ingest(
        [
            make_message("1", "Are you open on Monday?", author="@reader", minutes_ago=50),
            make_message("2", "Where can I park?", author="@driver", minutes_ago=30),
            make_message("3", "Books on local history?", author="@historian", minutes_ago=10),
        ]
    )
    return desk


@pytest.fixture
def bo(store_path: Path, clock: FixedClock) -> Desk:
    """A colleague working the same store from another desk."""
    return Desk(TinyDBStore(store_path), "bo", clock)


def make_app(desk: Desk, clock: FixedClock, outbox: Outbox | None = None) -> AskdeskApp:
    app = AskdeskApp(desk, clock=clock, refresh_seconds=3600, outbox=outbox)
    app.animation_level = "none"
    return app


def desk_screen(app: AskdeskApp) -> DeskScreen:
    assert isinstance(app.screen, DeskScreen), f"expected the desk, got {app.screen!r}"
    return app.screen


def where(app: AskdeskApp) -> tuple[str, str | None]:
    """The pane shown (its tab, as staff see it) and the key under the cursor."""
    screen = desk_screen(app)
    current = screen.query_one(ConversationList).current
    return str(screen.query_one(Tabs).active), current.key if current else None


def preview(app: AskdeskApp) -> str:
    return str(desk_screen(app).query_one("#preview", Static).render())


async def resolve_in_dialog(pilot) -> None:  # type: ignore[no-untyped-def]  # Pilot[None]
    """Question type (the first), READ 2, enter."""
    await pilot.press("enter", "2", "enter")
    await settle(pilot)


# -- it becomes yours: the cursor goes with it -----------------------------------------


async def test_c_then_d_resolves_the_question_just_claimed(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        # In Claimed, on the claimed question, and the preview shows its patron.
        assert where(app) == ("claimed", OLDEST)
        assert "@reader" in preview(app)

        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        assert app.screen.key == OLDEST
        await resolve_in_dialog(pilot)
        # Done with it: back in New, on the question that took its place.
        assert where(app) == ("new", MIDDLE)
    assert seeded.get(OLDEST).status is Status.RESOLVED  # type: ignore[union-attr]
    assert seeded.get(MIDDLE).status is Status.NEW  # type: ignore[union-attr]


async def test_a_pane_key_typed_with_the_claim_in_one_burst_is_obeyed(
    seeded: Desk, clock: FixedClock
) -> None:
    """``c`` ``1`` faster than a frame: the desk ends in New, its tab marked."""
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("c", "1"):  # as a terminal delivers them
            app.post_message(events.Key(key, key))
        await settle(pilot)
        assert where(app) == ("new", MIDDLE)
        assert [r.status for r in desk_screen(app).query_one(ConversationList).rows] == [
            Status.NEW,
            Status.NEW,
        ]


async def test_c_then_u_is_undone_by_c(seeded: Desk, clock: FixedClock) -> None:
    """A claim by mistake, released: back in New on that very question."""
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "c")
        await settle(pilot)
        assert where(app) == ("claimed", MIDDLE)
        await pilot.press("u")
        await settle(pilot)
        assert where(app) == ("new", MIDDLE)


async def test_a_question_claimed_then_handed_on_goes_back_to_new(
    seeded: Desk, bo: Desk, clock: FixedClock
) -> None:
    bo.note(NEWEST, "bo works here")  # a known name: the hand-off asks nothing more
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "bo")
        await pilot.press("enter")
        await settle(pilot)
        assert seeded.get(OLDEST).holder == "bo"  # type: ignore[union-attr]
        assert where(app) == ("new", MIDDLE)


async def test_c_then_r_replies_to_the_question_just_claimed(
    seeded: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    outbox = Outbox(seeded, {"web": DropFolderChannel("web", folder)})
    app = make_app(seeded, clock, outbox)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.conversation.key == OLDEST


async def test_a_reply_from_new_claims_and_the_cursor_goes_with_it(
    seeded: Desk, clock: FixedClock, tmp_path: Path
) -> None:
    """``r`` on a new question claims it when the reply goes: ``d`` then resolves it."""
    folder = tmp_path / "drop"
    folder.mkdir()
    app = make_app(seeded, clock, Outbox(seeded, {"web": DropFolderChannel("web", folder)}))
    app.reply_settings = ReplySettings(library="Anytown Public Library")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        await type_text(pilot, "Yes, from nine.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert where(app) == ("claimed", OLDEST)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        assert app.screen.key == OLDEST


async def test_a_claim_in_the_conversations_view_moves_the_desk_under_it(
    seeded: Desk, clock: FixedClock
) -> None:
    """Enter, c, esc: the desk is on the claimed question, not on the next new one."""
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert where(app) == ("claimed", OLDEST)


async def test_take_over_keeps_the_cursor_on_the_conversation_taken(
    seeded: Desk, bo: Desk, clock: FixedClock
) -> None:
    bo.claim(OLDEST)
    bo.claim(MIDDLE)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "j")  # bo's web:2
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, Choice)
        await pilot.press("y")
        await settle(pilot)
        assert where(app) == ("claimed", MIDDLE)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        assert app.screen.key == MIDDLE


async def test_reopen_takes_the_cursor_to_new_where_c_claims_it_again(
    seeded: Desk, clock: FixedClock
) -> None:
    seeded.resolve(MIDDLE, Outcome.ANSWERED, QuestionType.DIRECTIONAL, 1)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        assert where(app) == ("resolved", MIDDLE)
        await pilot.press("U")
        await settle(pilot)
        assert where(app) == ("new", MIDDLE)
        await pilot.press("c")
        await settle(pilot)
        assert where(app) == ("claimed", MIDDLE)


# -- in a pane you chose, it leaves your hands: the cursor stays in the pane --------------


async def test_resolve_release_and_hand_off_leave_the_cursor_in_claimed(
    seeded: Desk, clock: FixedClock
) -> None:
    for key in (OLDEST, MIDDLE, NEWEST):
        seeded.claim(key)
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        assert where(app) == ("claimed", OLDEST)

        await pilot.press("d")
        await settle(pilot)
        await resolve_in_dialog(pilot)
        assert where(app) == ("claimed", MIDDLE)

        await pilot.press("u")
        await settle(pilot)
        assert where(app) == ("claimed", NEWEST)

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, "bo")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")  # nobody called bo has used this desk yet
        await settle(pilot)
        assert seeded.get(NEWEST).holder == "bo"  # type: ignore[union-attr]
        # bo's now, still in Claimed: the cursor stays on it, where d does nothing.
        assert where(app) == ("claimed", NEWEST)
        assert desk_screen(app).check_action("resolve", ()) is None


# -- others move rows: the cursor stays on its conversation -----------------------------


async def test_a_colleagues_claim_above_the_cursor_leaves_it_on_its_question(
    seeded: Desk, bo: Desk, clock: FixedClock
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        await pilot.pause()
        assert where(app) == ("new", MIDDLE)
        bo.claim(OLDEST)  # the row above leaves: MIDDLE moves up a line
        app.check_store()
        await settle(pilot)
        assert where(app) == ("new", MIDDLE)


async def test_a_question_arriving_above_the_cursor_leaves_it_on_its_question(
    seeded: Desk, bo: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert where(app) == ("new", OLDEST)
        # Mail that sat on a server for an hour and a half: it has waited longest.
        bo.ingest([make_message("0", "Late mail", author="@slow", minutes_ago=90)])
        app.check_store()
        await settle(pilot)
        assert desk_screen(app).query_one(ConversationList).rows[0].key == "web:0"
        assert where(app) == ("new", OLDEST)


async def test_the_desk_says_when_a_colleague_takes_the_question_under_the_cursor(
    seeded: Desk, bo: Desk, clock: FixedClock
) -> None:
    recorder = Recorder()
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("j")
        await pilot.pause()
        bo.claim(MIDDLE)
        app.check_store()
        await settle(pilot)
        # The cursor is on the next question now; a c meant for web:2 would claim it.
        assert where(app) == ("new", NEWEST)
        assert (
            "information",
            f"{MIDDLE}, the one you were on, is now claimed by bo",
        ) in recorder.notifications()


async def test_no_such_word_for_your_own_actions_or_the_filter(
    seeded: Desk, clock: FixedClock
) -> None:
    recorder = Recorder()
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await resolve_in_dialog(pilot)
        await pilot.press("1", "slash")
        await type_text(pilot, "history")
        await settle(pilot)
    assert not [text for _, text in recorder.notifications() if "the one you were on" in text]
