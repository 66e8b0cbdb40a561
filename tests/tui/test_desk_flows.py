"""The desk driven by its keys: every staff action reaches the store and the screen.

Each test runs the real ``AskdeskApp`` on a temporary TinyDB store with a
fixed clock and no poller, presses keys through Textual's Pilot and waits on
the app's workers and messages, never on wall time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual import events
from textual.message import Message
from textual.widgets import Input, Static, Tab
from tuikit import Recorder, drain, screen_lines, settle, type_text

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Outcome, QuestionType, Status, transitions
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp
from askdesk.tui.messages import ActionRefused, DeskChanged
from askdesk.tui.screens.desk import DeskScreen
from askdesk.tui.screens.detail import DetailScreen
from askdesk.tui.screens.help import HelpScreen
from askdesk.tui.screens.prompts import ResolveDialog, TextPrompt
from askdesk.tui.widgets.conversation_list import ConversationList
from askdesk.tui.widgets.footer import KeysFooter

SIZE = (120, 34)
TALL = (120, 70)
OLDEST, MIDDLE, NEWEST = "web:1", "web:2", "web:3"


@pytest.fixture
def seeded(desk: Desk, make_message) -> Desk:
    """Three new questions; New lists them longest-waiting first: web:1, web:2, web:3."""
    desk.ingest(
        [
            make_message("1", "Are you open on Monday?", author="@reader", minutes_ago=50),
            make_message(
                "2", "Where can I park near the main branch?", author="@driver", minutes_ago=30
            ),
            make_message(
                "3", "Do you have books on local history?", author="@historian", minutes_ago=10
            ),
        ]
    )
    return desk


def make_app(desk: Desk, clock: FixedClock, *, refresh_seconds: float = 3600) -> AskdeskApp:
    # A long refresh interval: the store is checked only when a test (or the app) asks.
    app = AskdeskApp(desk, clock=clock, poller=None, refresh_seconds=refresh_seconds)
    app.animation_level = "none"  # the pane underline would slide; Pilot waits for it
    return app


def desk_screen(app: AskdeskApp) -> DeskScreen:
    assert isinstance(app.screen, DeskScreen), f"expected the desk, got {app.screen!r}"
    return app.screen


def rows_widget(app: AskdeskApp) -> ConversationList:
    return desk_screen(app).query_one(ConversationList)


def row_keys(app: AskdeskApp) -> list[str]:
    return [row.key for row in rows_widget(app).rows]


def tab_labels(app: AskdeskApp) -> list[str]:
    return [str(tab.label) for tab in desk_screen(app).query(Tab)]


# -- claim and release ----------------------------------------------------------------


async def test_claim_moves_the_row_to_claimed(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert row_keys(app) == [OLDEST, MIDDLE, NEWEST]
        assert tab_labels(app) == ["New (3)", "Claimed (0)", "Resolved (0)"]

        await pilot.press("c")
        await settle(pilot)

        stored = seeded.store.get(OLDEST)
        assert stored is not None
        assert (stored.status, stored.holder) == (Status.CLAIMED, "ana")
        assert tab_labels(app) == ["New (2)", "Claimed (1)", "Resolved (0)"]
        # The cursor goes with the claimed question: the next key is for it.
        assert row_keys(app) == [OLDEST]
        assert rows_widget(app).current.key == OLDEST
        assert rows_widget(app).rows[0].holder == "ana"

        await pilot.press("1")
        await pilot.pause()
        assert row_keys(app) == [MIDDLE, NEWEST]


async def test_release_gives_it_back_to_new(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert row_keys(app) == [OLDEST]

        await pilot.press("u")
        await settle(pilot)

        stored = seeded.store.get(OLDEST)
        assert (stored.status, stored.holder) == (Status.NEW, None)
        assert [e.action for e in stored.events][-2:] == ["claim", "release"]
        assert tab_labels(app) == ["New (3)", "Claimed (0)", "Resolved (0)"]
        # Claimed from New, released: back in New, on it.
        assert row_keys(app) == [OLDEST, MIDDLE, NEWEST]
        assert rows_widget(app).current.key == OLDEST


# -- resolve ----------------------------------------------------------------------------


async def test_resolve_records_type_and_read_level(seeded: Desk, clock: FixedClock) -> None:
    recorder = Recorder()
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        # Escape backs out of the dialog without a change.
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ResolveDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        assert seeded.store.get(OLDEST).status is Status.NEW

        await pilot.press("c")
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ResolveDialog)
        assert app.screen.key == OLDEST

        # Question type: directional, ready-reference, research, ... -> research.
        await pilot.press("down", "down", "enter")
        await pilot.press("4")  # READ level by its digit
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, DeskScreen)
        stored = seeded.store.get(OLDEST)
        assert stored.status is Status.RESOLVED
        resolution = stored.resolution
        assert resolution is not None
        assert (resolution.outcome, resolution.question_type, resolution.read_level) == (
            Outcome.ANSWERED,
            QuestionType.RESEARCH,
            4,
        )
        assert resolution.staff == "ana"
        assert tab_labels(app) == ["New (2)", "Claimed (0)", "Resolved (1)"]
        await pilot.press("3")
        await pilot.pause()
        assert row_keys(app) == [OLDEST]
        assert ("information", f"{OLDEST} resolved (answered, research, READ 4)") in (
            recorder.notifications()
        )


# -- flag, note, hand-off ---------------------------------------------------------------


async def test_a_long_dialog_hint_wraps_instead_of_being_cut(
    seeded: Desk, clock: FixedClock
) -> None:
    """The flag prompt's hint lists suggestions and keys; at 100 columns it needs
    two lines, and its last words (how to save) must still be on screen."""
    app = make_app(seeded, clock)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        shown = " ".join(" ".join(screen_lines(app.export_screenshot())).split())
        assert "the first letters, → completes" in shown
        assert "enter: flag · esc: cancel" in shown


async def test_flag_with_a_reason_and_clear_it(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        # Cancelled: nothing flagged.
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        assert seeded.store.get(OLDEST).flag is None

        await pilot.press("exclamation_mark")
        await pilot.pause()
        await type_text(pilot, "rude tone")
        await pilot.press("enter")
        await settle(pilot)
        assert seeded.store.get(OLDEST).flag == "rude tone"
        assert rows_widget(app).rows[0].flag == "rude tone"

        await pilot.press("exclamation_mark")  # again: clears, no prompt
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        stored = seeded.store.get(OLDEST)
        assert stored.flag is None
        assert [e.action for e in stored.events] == ["arrive", "flag", "unflag"]
        assert rows_widget(app).rows[0].flag is None


async def test_note_is_stored_with_its_staff(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, "rang back")
        await pilot.press("enter")
        await settle(pilot)

        notes = seeded.store.get(OLDEST).notes
        assert [(e.staff, e.details["text"]) for e in notes] == [("ana", "rang back")]


async def test_hand_off_to_a_colleague(seeded: Desk, clock: FixedClock) -> None:
    Desk(seeded.store, "bo", clock).remember_me()  # bo has worked here: no question asked
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, "bo")
        await pilot.press("enter")
        await settle(pilot)

        stored = seeded.store.get(OLDEST)
        assert (stored.status, stored.holder) == (Status.CLAIMED, "bo")
        assert tab_labels(app) == ["New (2)", "Claimed (1)", "Resolved (0)"]
        await pilot.press("2")
        await pilot.pause()
        assert [(r.key, r.holder) for r in rows_widget(app).rows] == [(OLDEST, "bo")]
        # Bo's now: ana cannot release it; claim offers to take it over from bo.
        assert desk_screen(app).check_action("release", ()) is None
        assert desk_screen(app).check_action("claim", ()) is True


# -- filter, help, detail ---------------------------------------------------------------


async def test_filter_narrows_rows_and_escape_clears(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        await pilot.pause()
        field = desk_screen(app).query_one("#filter", Input)
        assert field.display and field.has_focus

        await type_text(pilot, "park")  # in the text
        await pilot.pause()
        assert row_keys(app) == [MIDDLE]
        await type_text(pilot, "x")
        await pilot.pause()
        assert row_keys(app) == []

        await pilot.press("escape")
        await pilot.pause()
        assert row_keys(app) == [OLDEST, MIDDLE, NEWEST]
        assert not field.display
        assert rows_widget(app).has_focus

        # Enter keeps a filter; the keys then act on what it shows.
        await pilot.press("slash")
        await type_text(pilot, "histor")  # the author
        await pilot.press("enter")
        await pilot.pause()
        assert row_keys(app) == [NEWEST]
        assert field.display and rows_widget(app).has_focus
        await pilot.press("c")
        await settle(pilot)
        assert seeded.store.get(NEWEST).holder == "ana"
        assert seeded.store.get(OLDEST).holder is None


async def test_help_lists_the_keys_for_the_row_under_the_cursor(
    seeded: Desk, clock: FixedClock
) -> None:
    seeded.claim(OLDEST)
    app = make_app(seeded, clock)
    # Tall enough that the whole help fits without scrolling.
    async with app.run_test(size=TALL) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(screen_lines(app.export_screenshot()))
        for words in [
            "Take this conversation",
            "Done: record question type",
            "Flag for review",
            "Add an internal note",
            "Hand this conversation",
            "Show only conversations",
        ]:
            assert words in shown, words
        # Release does not apply to a new row, so help lists it apart.
        here, not_here = shown.split("Not for this row")
        assert "Give it back to New" not in here and "Give it back to New" in not_here
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)

        await pilot.press("2", "question_mark")  # on ana's claimed row
        await pilot.pause()
        shown = "\n".join(screen_lines(app.export_screenshot()))
        here, not_here = shown.split("Not for this row")
        assert "Give it back to New" in here
        assert "Take this conversation" in not_here
        await pilot.press("question_mark")  # the same key closes it
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)


async def test_enter_opens_the_detail_and_escape_returns(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.key == MIDDLE

        await pilot.press("c")  # keys mean the same on the detail screen
        await settle(pilot)
        assert seeded.store.get(MIDDLE).holder == "ana"
        assert isinstance(app.screen, DetailScreen)

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DeskScreen)
        assert tab_labels(app) == ["New (2)", "Claimed (1)", "Resolved (0)"]


# -- the footer offers what applies -----------------------------------------------------


async def test_claim_is_not_offered_on_a_claimed_row(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = desk_screen(app)
        assert screen.check_action("claim", ()) is True
        assert "c" in screen.active_bindings
        assert not screen.active_bindings["u"].enabled

        await pilot.press("c")
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert rows_widget(app).current.key == OLDEST
        assert screen.check_action("claim", ()) is None
        assert not screen.active_bindings["c"].enabled
        assert "u" in screen.active_bindings
        assert "d" in screen.active_bindings

        # Pressing it anyway does nothing.
        before = seeded.store.get(OLDEST).events
        await pilot.press("c")
        await settle(pilot)
        assert seeded.store.get(OLDEST).events == before


async def test_nothing_to_act_on_in_an_empty_pane(seeded: Desk, clock: FixedClock) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        screen = desk_screen(app)
        assert rows_widget(app).rows == []
        for action in ("claim", "release", "resolve", "flag", "note", "hand_off"):
            assert screen.check_action(action, ()) is None, action
        await pilot.press("c", "d", "n", "exclamation_mark")
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)


# -- several staff on one store ---------------------------------------------------------


async def test_second_app_sees_a_claim_on_its_next_refresh(
    seeded: Desk, clock: FixedClock, store_path: Path
) -> None:
    bo = Desk(TinyDBStore(store_path), "bo", clock)
    refreshed = asyncio.Event()

    def hook(message: Message) -> None:
        if isinstance(message, DeskChanged):
            refreshed.set()

    app = make_app(bo, clock, refresh_seconds=0.05)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause()
        assert tab_labels(app) == ["New (3)", "Claimed (0)", "Resolved (0)"]

        seeded.claim(OLDEST)  # ana, in another process as far as bo's app knows
        # The app's own interval notices the changed file; bounded, never a sleep.
        await asyncio.wait_for(refreshed.wait(), timeout=5)
        await drain(app)  # the hook saw DeskChanged; now it has been handled

        assert tab_labels(app) == ["New (2)", "Claimed (1)", "Resolved (0)"]
        await pilot.press("2")
        await pilot.pause()
        assert [(r.key, r.holder) for r in rows_widget(app).rows] == [(OLDEST, "ana")]
        # Ana's: claim now offers bo to take it over from her, after a question.
        assert desk_screen(app).check_action("claim", ()) is True


async def test_check_store_picks_up_another_desks_changes(
    seeded: Desk, clock: FixedClock, store_path: Path
) -> None:
    bo = Desk(TinyDBStore(store_path), "bo", clock)
    app = make_app(bo, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        seeded.claim(OLDEST)
        seeded.resolve(MIDDLE, Outcome.REFERRED, QuestionType.POLICY, 2)
        app.check_store()
        await settle(pilot)
        assert tab_labels(app) == ["New (1)", "Claimed (1)", "Resolved (1)"]
        assert row_keys(app) == [NEWEST]


async def test_claim_race_is_refused_with_the_winners_name(
    seeded: Desk, clock: FixedClock, store_path: Path
) -> None:
    bo = Desk(TinyDBStore(store_path), "bo", clock)
    recorder = Recorder()
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await pilot.pause()
        bo.claim(OLDEST)  # bo wins; ana's screen has not refreshed yet
        assert row_keys(app) == [OLDEST, MIDDLE, NEWEST]

        await pilot.press("c")
        await settle(pilot)

        [refused] = recorder.of(ActionRefused)
        assert "bo" in refused.reason
        assert ("warning", f"{OLDEST} is already claimed by bo") in recorder.notifications()
        stored = seeded.store.get(OLDEST)
        assert (stored.status, stored.holder) == (Status.CLAIMED, "bo")
        assert [(e.staff, e.action) for e in stored.events] == [
            ("patron", "arrive"),
            ("bo", "claim"),
        ]
        # ana's screen showed the claim as hers at once, and its cursor went
        # with it; the refusal put back the store's truth (in Claimed, held by
        # bo) and the cursor where the claim was made, on the next question.
        assert row_keys(app) == [MIDDLE, NEWEST]
        assert rows_widget(app).current.key == MIDDLE
        assert tab_labels(app) == ["New (2)", "Claimed (1)", "Resolved (0)"]
        assert app.conversations[OLDEST].holder == "bo"


# -- a long pane -----------------------------------------------------------------------


async def test_a_long_pane_says_which_rows_are_in_view(
    desk: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    desk.ingest([make_message(str(n), minutes_ago=200 - n) for n in range(60)])
    app = make_app(desk, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = desk_screen(app).query_one("#column-header", Static)
        view = rows_widget(app).scrollable_content_region.height
        assert str(header.render()).rstrip().endswith(f"1-{view} of 60")
        await pilot.press("end")
        await pilot.pause()
        assert str(header.render()).rstrip().endswith(f"{60 - view + 1}-60 of 60")
        assert rows_widget(app).current.key == "web:59"  # type: ignore[union-attr]


async def test_a_store_read_from_before_the_claim_does_not_undo_it_on_screen(
    seeded: Desk, clock: FixedClock
) -> None:
    """The claim shows at once and is written a frame later; a store check that
    read the store in between must not put the row back in New."""
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        stale = seeded.live()  # read before the claim is written
        app.act(OLDEST, transitions.claim, "claimed")
        app.post_message(DeskChanged(stale, "a version from before the claim"))
        await drain(app)
        assert OLDEST not in row_keys(app)
        assert app.conversations[OLDEST].holder == seeded.staff
        await settle(pilot)
        stored = seeded.store.get(OLDEST)
        assert stored is not None and stored.holder == seeded.staff
        assert OLDEST not in row_keys(app)


async def test_a_narrow_terminal_cuts_the_footer_but_keeps_help(
    seeded: Desk, clock: FixedClock
) -> None:
    app = make_app(seeded, clock)
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        footer = str(desk_screen(app).query_one(KeysFooter).content)
        assert footer.rstrip().endswith("?  Help")
        assert "…" in footer
        assert len(footer) <= 80


async def test_a_read_digit_and_enter_typed_in_one_burst_resolve(
    seeded: Desk, clock: FixedClock
) -> None:
    """Staff type ``2`` and enter faster than a frame; the enter must reach the READ list."""
    from textual import events

    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "d")
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        for key, char in (("2", "2"), ("enter", "\r")):  # as a terminal delivers them
            app.post_message(events.Key(key, char))
        # The READ list's choice bubbles up through the dialog's containers, whose
        # queues ``settle`` does not wait on: wait for the dialog to act on it.
        for _ in range(100):
            if not isinstance(app.screen, ResolveDialog):
                break
            await pilot.pause()
        await settle(pilot)
        stored = seeded.store.get(OLDEST)
        assert stored.status is Status.RESOLVED
        assert stored.resolution.read_level == 2


# -- what a frame repaints ----------------------------------------------------------------


async def test_a_closed_dialog_is_taken_down_after_the_desk_shows_its_change(
    seeded: Desk, clock: FixedClock
) -> None:
    """The dialog leaves the screen stack as it closes and is removed a frame later;
    nothing stays installed and the list has the keys again."""
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        for key, kind in (("n", TextPrompt), ("d", ResolveDialog)):
            await pilot.press(key)
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, kind)
            if kind is TextPrompt:
                await type_text(pilot, "patron asked twice")
                await pilot.press("enter")
            else:
                await pilot.press("enter", "enter")  # the first type, then READ 1: resolve
            await settle(pilot)
            assert isinstance(app.screen, DeskScreen)
            assert not app.is_screen_installed(dialog)
            assert not dialog.is_attached
            assert app.focused is rows_widget(app)
        assert seeded.store.get(OLDEST).status is Status.RESOLVED
        assert seeded.store.get(OLDEST).notes[-1].details["text"] == "patron asked twice"


async def test_rows_below_one_that_leaves_move_up_on_screen(
    desk: Desk, clock: FixedClock, make_message
) -> None:  # type: ignore[no-untyped-def]  # fixture factory
    """Only the lines from the resolved row down are repainted; the screen shows
    every remaining question once, in order, and the resolved one nowhere."""
    desk.ingest([make_message(str(n), f"question {n:02}", minutes_ago=60 - n) for n in range(8)])
    app = make_app(desk, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j", "d")
        await settle(pilot)
        await pilot.press("enter", "2", "enter")  # the first question type, READ 2
        await settle(pilot)
        shown = [
            line[line.index("question") :].split()[1]
            for line in screen_lines(app.export_screenshot())
            if "question" in line
        ]
        # The preview shows the row now under the cursor, the one after the resolved one.
        assert shown == ["00", "01", "02", "04", "05", "06", "07", "04"]
        assert rows_widget(app).current.key == "web:4"  # type: ignore[union-attr]


async def test_a_double_enter_in_one_burst_resolves_once_and_stays_on_the_desk(
    seeded: Desk, clock: FixedClock
) -> None:
    """Both enters reach the READ list before the dialog closes; the second must
    neither resolve again nor close the desk under the dialog."""
    app = make_app(seeded, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c", "d", "enter")  # a type: the READ list has the focus
        await settle(pilot)
        assert isinstance(app.screen, ResolveDialog)
        for _ in range(2):
            app.post_message(events.Key("enter", "\r"))
        await settle(pilot)
        assert isinstance(app.screen, DeskScreen)
        stored = seeded.store.get(OLDEST)
        assert stored.status is Status.RESOLVED
        assert [e.action for e in stored.events].count("resolve") == 1
