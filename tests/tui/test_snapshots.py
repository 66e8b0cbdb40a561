"""What the desk looks like: one snapshot per screen state, reviewed by eye when it changes.

Every app is built here on a seeded temporary store with the fixed clock, so
ages ("1h", "25m") and history times never depend on when the suite runs.
Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look
at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from textual.pilot import Pilot
from tuikit import settle

from askdesk.clock import FixedClock
from askdesk.config import load_config
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.outbox import Outbox
from askdesk.desk.templates import starter_templates
from askdesk.model import Kind, Message, Outcome, QuestionType
from askdesk.store import TinyDBStore
from askdesk.tui.app import AskdeskApp

SIZE = (120, 34)
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
"""A Monday afternoon on the desk; every age and time in the snapshots follows from it."""


DETAIL_KEY = "webform:118"

# What arrived, oldest first: (minutes before 14:00, channel, id, kind, author).
ARRIVALS = [
    (95, "mastodon", "109", Kind.MENTION, "@reader@mastodon.social"),
    (58, "email", "m-77", Kind.EMAIL, "Sam Ortiz"),
    (45, "webform", "118", Kind.DIRECT, "Priya N."),
    (30, "email", "m-80", Kind.EMAIL, "Dana Whitfield"),
    (25, "sms", "+15550142-9", Kind.DIRECT, "+1 555 0142"),
    (18, "webform", "121", Kind.DIRECT, "Priya N."),
    (12, "bluesky", "3kx2", Kind.MENTION, "@kim.bsky.social"),
    (3, "xmpp", "c-5512", Kind.CHAT, "guest42"),
]
TEXTS = {
    "109": "Are you open on Thanksgiving Day? The website says two different things.",
    "m-77": "Can I still get a library card without a utility bill? I just moved here.",
    "118": "Do you hold the 1951 first edition of 'The Catcher in the Rye'? "
    "I'd like to see it for a class project.",
    "m-80": "Do you have city directories from the 1920s? "
    "I'm tracing my great-grandmother's addresses.",
    "+15550142-9": "your printers never work and your staff are useless. "
    "fix it or I'm calling the mayor",
    "121": "Also: can I see it in person on Saturday morning, or do I need an appointment?",
    "3kx2": "Is there a limit on how many ebooks I can borrow at once?",
    "c-5512": "where is the quiet study room?",
}


class SeedClock:
    """A clock the seeding sets to each moment of the story; the app gets a fixed one."""

    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


def seed(path: Path) -> None:
    """Seven conversations as a shift might find them at 14:00, built in the order it happened.

    New: an overdue Mastodon question, a flagged SMS, a Bluesky and a chat
    question. Claimed: a two-message web-form question held by ana (with a
    note) and an email held by her colleague bo. Resolved: one email ana
    answered.
    """
    clock = SeedClock()
    ana = Desk(TinyDBStore(path), "ana", clock)
    bo = Desk(TinyDBStore(path), "bo", clock)

    def arrive(channel: str, remote_id: str, kind: Kind, author: str) -> None:
        follow_up = remote_id == "121"  # Priya writes again in her web-form conversation
        message = Message(
            channel=channel,
            remote_id=remote_id,
            kind=kind,
            author=author,
            text=TEXTS[remote_id],
            received_at=clock.at,
            conversation="118" if follow_up else None,
            label="form" if channel == "webform" else None,
        )
        ana.ingest([message])

    story: list[tuple[float, Callable[[], object]]] = [
        (minutes, partial(arrive, *details)) for minutes, *details in ARRIVALS
    ]
    story += [
        (44, lambda: ana.resolve("email:m-77", Outcome.ANSWERED, QuestionType.POLICY, 2)),
        (28, lambda: bo.claim("email:m-80")),
        (22, lambda: ana.claim(DETAIL_KEY)),
        (22, lambda: ana.flag("sms:+15550142-9", "hostile")),
        (15, lambda: ana.note(DETAIL_KEY, "Asked Special Collections if it can leave the vault.")),
    ]
    for minutes, happen in sorted(story, key=lambda step: -step[0]):
        clock.at = NOW - timedelta(minutes=minutes)
        happen()


@pytest.fixture
def app(tmp_path: Path) -> AskdeskApp:
    path = tmp_path / "desk.json"
    seed(path)
    desk = Desk(TinyDBStore(path), "ana", FixedClock(NOW))
    return AskdeskApp(
        desk,
        clock=desk.clock,
        poller=None,
        library="Anytown Public Library",
        refresh_seconds=3600,
    )


def test_new_pane(snap_compare, app: AskdeskApp) -> None:
    """The desk at 14:00: New (4), Claimed (2), Resolved (1) over the New pane.

    Rows longest-waiting first; the Mastodon question (1h) is marked LATE in the
    warning colour, the SMS is marked ⚑ in the error colour; the cursor is on the
    first row and the preview below shows its author, channel and whole text.
    The footer offers Claim, Resolve, Flag, Note, Hand off and the desk-wide keys.
    """
    assert snap_compare(app, terminal_size=SIZE)


def test_claimed_pane(snap_compare, app: AskdeskApp) -> None:
    """The Claimed pane: ana's two-message web-form question and bo's email.

    HOLDER shows ana and bo; the cursor is on ana's row, so the footer offers
    Release and Resolve (not Claim); the preview says "claimed by ana · 2 messages".
    """
    assert snap_compare(app, press=["2"], terminal_size=SIZE)


def test_detail(snap_compare, app: AskdeskApp) -> None:
    """The detail of webform:118 held by ana: heading with status, both messages
    with their times and ages, the Notes section with ana's note, and the
    History (arrived, claimed, patron wrote again, note). The footer offers
    Release, Resolve, Flag, Note, Hand off and Back.
    """
    assert snap_compare(app, press=["2", "enter"], terminal_size=SIZE)


def test_resolve_dialog(snap_compare, app: AskdeskApp) -> None:
    """The resolve dialog over the Claimed pane for webform:118: question types
    (directional highlighted and focused), READ levels 1-6 with their meanings,
    outcomes (answered), "Minutes spent" empty (never opened here; no fields
    configured), and the hint line.
    """
    assert snap_compare(app, press=["2", "d"], terminal_size=SIZE)


def test_help(snap_compare, app: AskdeskApp) -> None:
    """Help over the New pane: the keys that work on the row under the cursor
    first (every name of each: ↑ k, ↓ j, ^q q), each with its description and
    tooltip; below them, scrolled out of view at 34 lines, the keys that do
    not fit this row (Release, Reopen...), "q quits askdesk" and the guide.
    """
    assert snap_compare(app, press=["question_mark"], terminal_size=SIZE)


# -- 80x24, the terminal many staff have ------------------------------------------------

SMALL = (80, 24)
EXAMPLE_FIELDS = load_config(
    Path(__file__).resolve().parents[2] / "config.example.toml", staff="ana"
).stats_fields


@pytest.fixture
def answering_app(tmp_path: Path) -> AskdeskApp:
    """The same desk with an outbox and the starter templates, so replies can be written,
    and the example config's ``[[stats.fields]]`` (patron type, branch)."""
    path = tmp_path / "desk.json"
    seed(path)
    desk = Desk(TinyDBStore(path), "ana", FixedClock(NOW))
    templates, variables = starter_templates()
    return AskdeskApp(
        desk,
        clock=desk.clock,
        poller=None,
        outbox=Outbox(desk, {}),
        reply_settings=ReplySettings(
            templates=templates, variables=variables, library="Anytown Public Library"
        ),
        library="Anytown Public Library",
        refresh_seconds=3600,
        stats_fields=EXAMPLE_FIELDS,
    )


def test_new_pane_80x24(snap_compare, answering_app: AskdeskApp) -> None:
    """The New pane at 80x24: no HOLDER column (nobody holds a new question), so
    the words of each question get 40 columns; LATE and ⚑ in a narrow marks
    column; the footer ends with q Quit and ? Help whatever it has to cut.
    """
    assert snap_compare(answering_app, terminal_size=SMALL)


def test_composer_80x24(snap_compare, answering_app: AskdeskApp) -> None:
    """The composer at 80x24 over the Claimed pane, from the Hours template: the
    patron's question, the filled-in template (cursor before "- ana, Anytown
    Public Library"), and under the text area the counter, the route and
    "from Hours"; the footer offers send, send & resolve, template and esc.
    """
    assert snap_compare(answering_app, press=["2", "t", "1"], terminal_size=SMALL)


def test_resolve_dialog_80x24(snap_compare, answering_app: AskdeskApp) -> None:
    """The resolve dialog at 80x24 with the example config's two fields: the
    three columns side by side, each READ level one line cut with an ellipsis;
    under them "Minutes spent" (empty: never opened here) with its note, then
    "patron type*" (required) and "branch" with their numbered choices; the hint
    last, all inside the dialog.
    """
    assert snap_compare(answering_app, press=["2", "d"], terminal_size=SMALL)


def test_statistics_80x24(snap_compare, answering_app: AskdeskApp) -> None:
    """Statistics at 80x24 for the last 30 days: the figures, reference
    transactions first and all transactions under them (time spent among
    them), then the breakdowns two a row with whole labels (Channel, Question
    type, READ, Outcome, Staff, then the example config's Patron type and
    Branch), then the first chart at full width; the rest scrolls.
    """
    assert snap_compare(answering_app, press=["s"], terminal_size=SMALL)


def test_statistics_120x36(snap_compare, answering_app: AskdeskApp) -> None:
    """Statistics at 120x36 for the last 30 days: the figures (reference
    transactions first, then all transactions) beside the breakdowns, and
    the charts two a row under them.
    """
    assert snap_compare(answering_app, run_before=_counted, terminal_size=(120, 36))


async def _counted(pilot: Pilot[None]) -> None:
    """Open the statistics and wait until the figures are counted and the charts drawn
    at their final size (a chart drawn while the layout settles places its ticks
    differently)."""
    await pilot.press("s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def test_handover_80x24(snap_compare, answering_app: AskdeskApp) -> None:
    """Handover at 80x24: the title with its two keys, ana's one conversation on
    one line (its words cut with an ellipsis), the footer with esc Back, q Quit
    and ? Help.
    """
    assert snap_compare(answering_app, press=["h"], terminal_size=SMALL)


def test_handover_summary_80x24(snap_compare, answering_app: AskdeskApp) -> None:
    """The handover summary at 80x24 after ctrl+s with ana keeping her one
    conversation: "Answered: 1", the handover line, then what the next shift
    acts on: "Waiting in New: 4 (1 LATE)" with each key, channel and age, the
    flagged SMS marked FLAGGED; "Held: 2" by ana and bo with the note on
    ana's; scrolled below: the flag's reason; the footer offers w Save summary.
    """

    async def hand_over(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("h", "ctrl+s")
        await settle(pilot)

    assert snap_compare(answering_app, run_before=hand_over, terminal_size=SMALL)
