"""A holder recorded before the team list (``Bo``) is the listed member (``bo``) on the desk.

The statistics already credit ``Bo``'s work to ``bo``; the desk lets ``bo``
release, resolve, reply to and hand off what ``Bo`` claimed, and never
rewrites the history that says ``Bo`` claimed it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from askdesk.clock import FixedClock
from askdesk.config import Team
from askdesk.desk import Desk
from askdesk.desk.handover import held, shift_summary
from askdesk.desk.outbox import Outbox
from askdesk.errors import AlreadyClaimed, TransitionError
from askdesk.model import Outcome, QuestionType, Status
from askdesk.store import TinyDBStore
from tests.conftest import MessageFactory

TEAM = Team(("ana", "bo"), "config.toml [team] members")
KEY = "web:1"


@pytest.fixture
def bo(store: TinyDBStore, clock: FixedClock, make_message: MessageFactory) -> Desk:
    """``bo`` on the desk after ``Bo`` claimed web:1 and web:2 before there was a list."""
    before_the_list = Desk(store, "Bo", clock)
    before_the_list.ingest([make_message("1"), make_message("2", author="@other")])
    before_the_list.claim(KEY)
    before_the_list.claim("web:2")
    return Desk(store, "bo", clock, team=TEAM)


def test_the_listed_member_is_the_holder_recorded_in_another_spelling(bo: Desk) -> None:
    assert bo.is_me("Bo") and bo.is_me("bo") and not bo.is_me("ana")
    assert not Desk(bo.store, "bo", bo.clock).is_me("Bo")  # no list: two names, as before


def test_bo_releases_and_resolves_what_bo_claimed_and_the_history_keeps_bo(bo: Desk) -> None:
    released = bo.release(KEY)
    assert (released.status, released.holder) == (Status.NEW, None)
    assert [(e.staff, e.action) for e in released.events[-2:]] == [
        ("Bo", "claim"),
        ("bo", "release"),
    ]
    resolved = bo.resolve("web:2", Outcome.ANSWERED, QuestionType.POLICY, 2)
    assert (resolved.status, resolved.holder) == (Status.RESOLVED, "bo")
    assert resolved.events[-2].staff == "Bo"  # the claim, as it was recorded


def test_bo_hands_off_and_a_take_over_of_their_own_is_refused(bo: Desk) -> None:
    with pytest.raises(TransitionError, match="already yours"):
        bo.take_over(KEY)
    handed = bo.hand_off(KEY, "ana")
    assert (handed.holder, handed.events[-1].staff) == ("ana", "bo")


def test_bo_replies_through_the_outbox(bo: Desk) -> None:
    conversation, reply = Outbox(bo, {}).queue(KEY, "We open at 9.")
    assert conversation.reply(reply.id) is not None
    assert (conversation.holder, conversation.events[-1].staff) == ("bo", "bo")


def test_a_colleague_is_still_refused(bo: Desk) -> None:
    ana = Desk(bo.store, "ana", bo.clock, team=TEAM)
    with pytest.raises(AlreadyClaimed, match="claimed by Bo"):
        ana.release(KEY)
    with pytest.raises(AlreadyClaimed):
        Outbox(ana, {}).queue(KEY, "We open at 9.")
    assert bo.get(KEY).holder == "Bo"  # type: ignore[union-attr]  # nothing respelled


def test_the_handover_lists_what_bo_holds(bo: Desk) -> None:
    assert [c.key for c in held(bo.live(), "bo", TEAM)] == [KEY, "web:2"]
    now = bo.clock.now()
    summary = shift_summary(
        [], bo.live(), staff="bo", since=now - timedelta(hours=4), now=now, team=TEAM
    )
    assert summary.still_held == [KEY, "web:2"]
    assert list(summary.held_by) == ["bo"]
