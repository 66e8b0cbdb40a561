"""The state machine of DESIGN.md: every legal and every refused transition."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from askdesk.errors import AlreadyClaimed, TransitionError
from askdesk.model import (
    Conversation,
    Event,
    Kind,
    Message,
    Outcome,
    QuestionType,
    Resolution,
    Status,
)
from askdesk.model import transitions as t

T0 = datetime(2024, 5, 6, 14, 0, tzinfo=UTC)
AT = T0 + timedelta(minutes=30)
"""When staff act in these tests."""


def message(remote_id: str = "m1", minutes: int = 0, conversation: str | None = "th1") -> Message:
    return Message(
        channel="mastodon",
        remote_id=remote_id,
        kind=Kind.DIRECT,
        author="@patron@example.org",
        text=f"question {remote_id}",
        received_at=T0 + timedelta(minutes=minutes),
        conversation=conversation,
    )


def new() -> Conversation:
    return t.start(message(), T0)


def claimed(by: str = "alice") -> Conversation:
    return t.claim(new(), by, T0 + timedelta(minutes=1))


def resolved(by: str = "alice") -> Conversation:
    return t.resolve(
        claimed(by), by, T0 + timedelta(minutes=5), Outcome.ANSWERED, QuestionType.POLICY, 2
    )


def refused(conversation: Conversation, change: Callable[[Conversation], object]) -> str:
    """Run a change that must be refused with a plain TransitionError (not AlreadyClaimed)."""
    with pytest.raises(TransitionError) as info:
        change(conversation)
    assert type(info.value) is TransitionError
    assert str(info.value)  # a sentence staff can read
    return str(info.value)


def last(conversation: Conversation) -> Event:
    return conversation.events[-1]


# -- start -------------------------------------------------------------------


def test_start_opens_a_new_unheld_conversation_with_an_arrive_event() -> None:
    m = message()
    c = t.start(m, AT)
    assert c.key == m.conversation_key
    assert (c.channel, c.kind, c.messages) == ("mastodon", Kind.DIRECT, (m,))
    assert (c.status, c.holder, c.flag, c.resolutions) == (Status.NEW, None, None, ())
    assert c.events == (Event(at=AT, staff=t.PATRON, action="arrive", details={"message": m.key}),)


def test_a_message_without_a_conversation_id_is_its_own_conversation() -> None:
    m = message("solo", conversation=None)
    assert t.start(m, AT).key == m.key == "mastodon:solo"


def test_messages_of_one_thread_share_a_conversation_key_per_channel() -> None:
    assert message("m1").conversation_key == message("m2").conversation_key
    assert message("m1").conversation_key != message("m1", conversation="th2").conversation_key
    elsewhere = Message("bluesky", "m1", Kind.MENTION, "p", "q", T0, conversation="th1")
    assert elsewhere.conversation_key != message("m1").conversation_key


def test_a_message_needs_a_timezone_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Message("mastodon", "m1", Kind.DIRECT, "p", "q", datetime(2024, 5, 6, 14, 0))


# -- claim -------------------------------------------------------------------


def test_claim_new_makes_it_claimed_by_that_staff_member() -> None:
    c = t.claim(new(), "bob", AT)
    assert (c.status, c.holder) == (Status.CLAIMED, "bob")
    assert last(c) == Event(at=AT, staff="bob", action="claim", details={})


def test_claim_of_a_claimed_conversation_by_another_names_the_holder() -> None:
    c = claimed("alice")
    with pytest.raises(AlreadyClaimed) as info:
        t.claim(c, "bob", AT)
    assert info.value.holder == "alice"
    assert info.value.key == c.key
    assert "alice" in str(info.value)


def test_claiming_your_own_conversation_again_is_refused_but_not_as_already_claimed() -> None:
    assert "yours" in refused(claimed("alice"), lambda c: t.claim(c, "alice", AT))


def test_claiming_a_resolved_conversation_is_refused() -> None:
    assert "reopen" in refused(resolved(), lambda c: t.claim(c, "bob", AT))


# -- release -----------------------------------------------------------------


def test_release_by_the_holder_puts_it_back_to_new() -> None:
    c = t.release(claimed("alice"), "alice", AT)
    assert (c.status, c.holder) == (Status.NEW, None)
    assert last(c) == Event(at=AT, staff="alice", action="release", details={})


def test_release_by_somebody_else_says_who_holds_it() -> None:
    with pytest.raises(AlreadyClaimed) as info:
        t.release(claimed("alice"), "bob", AT)
    assert info.value.holder == "alice"


@pytest.mark.parametrize("state", [new, resolved], ids=["new", "resolved"])
def test_release_of_an_unclaimed_conversation_is_refused(
    state: Callable[[], Conversation],
) -> None:
    assert "not claimed" in refused(state(), lambda c: t.release(c, "alice", AT))


# -- hand-off ----------------------------------------------------------------


@pytest.mark.parametrize("state", [new, claimed], ids=["from-new", "from-claimed"])
def test_hand_off_gives_the_conversation_to_a_colleague(
    state: Callable[[], Conversation],
) -> None:
    c = t.hand_off(state(), "alice", "  carol ", AT)
    assert (c.status, c.holder) == (Status.CLAIMED, "carol")
    assert last(c) == Event(at=AT, staff="alice", action="hand-off", details={"to": "carol"})


@pytest.mark.parametrize("to", ["", "   ", "alice", " alice "])
@pytest.mark.parametrize("state", [new, claimed], ids=["new", "claimed"])
def test_hand_off_to_yourself_or_to_nobody_is_refused(
    state: Callable[[], Conversation], to: str
) -> None:
    refused(state(), lambda c: t.hand_off(c, "alice", to, AT))


def test_hand_off_by_somebody_who_does_not_hold_it_says_who_does() -> None:
    with pytest.raises(AlreadyClaimed) as info:
        t.hand_off(claimed("alice"), "bob", "carol", AT)
    assert info.value.holder == "alice"


def test_hand_off_of_a_resolved_conversation_is_refused() -> None:
    refused(resolved(), lambda c: t.hand_off(c, "alice", "carol", AT))


# -- resolve -----------------------------------------------------------------


def test_resolve_a_new_conversation_claims_and_closes_it_in_one_step() -> None:
    c = t.resolve(new(), "bob", AT, Outcome.REFERRED, QuestionType.RESEARCH, 5)
    assert (c.status, c.holder) == (Status.RESOLVED, "bob")
    resolution = Resolution(
        at=AT,
        staff="bob",
        outcome=Outcome.REFERRED,
        question_type=QuestionType.RESEARCH,
        read_level=5,
    )
    assert c.resolutions == (resolution,)
    assert c.resolution == resolution
    assert [e.action for e in c.events] == ["arrive", "resolve"]
    assert last(c) == Event(
        at=AT,
        staff="bob",
        action="resolve",
        details={"outcome": "referred", "type": "research", "read": 5},
    )


def test_resolve_by_the_holder() -> None:
    c = t.resolve(
        claimed("alice"), "alice", AT, Outcome.NO_REPLY_NEEDED, QuestionType.DIRECTIONAL, 1
    )
    assert (c.status, c.holder) == (Status.RESOLVED, "alice")
    assert c.resolution is not None and c.resolution.outcome is Outcome.NO_REPLY_NEEDED


def test_resolve_by_somebody_who_does_not_hold_it_is_refused() -> None:
    with pytest.raises(AlreadyClaimed) as info:
        t.resolve(claimed("alice"), "bob", AT, Outcome.ANSWERED, QuestionType.OTHER, 1)
    assert info.value.holder == "alice"


def test_resolving_twice_is_refused() -> None:
    assert "already resolved" in refused(
        resolved("alice"),
        lambda c: t.resolve(c, "alice", AT, Outcome.ANSWERED, QuestionType.OTHER, 1),
    )


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5, 6])
def test_every_read_level_from_1_to_6_is_accepted(level: int) -> None:
    c = t.resolve(new(), "bob", AT, Outcome.ANSWERED, QuestionType.OTHER, level)
    assert c.resolutions[-1].read_level == level
    assert last(c).details["read"] == level


@pytest.mark.parametrize("level", [0, 7, -1, 60])
def test_a_read_level_outside_1_to_6_is_refused(level: int) -> None:
    with pytest.raises(ValueError, match="READ level"):
        Resolution(
            at=AT,
            staff="bob",
            outcome=Outcome.ANSWERED,
            question_type=QuestionType.OTHER,
            read_level=level,
        )
    with pytest.raises(ValueError, match="READ level"):
        t.resolve(new(), "bob", AT, Outcome.ANSWERED, QuestionType.OTHER, level)


def test_resolution_is_only_in_force_while_resolved() -> None:
    assert new().resolution is None
    assert resolved().resolution is not None
    assert t.reopen(resolved(), "bob", AT).resolution is None


# -- reopen ------------------------------------------------------------------


def test_reopen_a_resolved_conversation_keeps_its_resolution_history() -> None:
    before = resolved("alice")
    c = t.reopen(before, "bob", AT)
    assert (c.status, c.holder) == (Status.NEW, None)
    assert c.resolutions == before.resolutions and len(c.resolutions) == 1
    assert last(c) == Event(at=AT, staff="bob", action="reopen", details={})


@pytest.mark.parametrize("state", [new, claimed], ids=["new", "claimed"])
def test_reopen_is_only_for_resolved_conversations(state: Callable[[], Conversation]) -> None:
    assert "not resolved" in refused(state(), lambda c: t.reopen(c, "bob", AT))


def test_a_reopened_conversation_can_be_claimed_and_resolved_again() -> None:
    c = t.reopen(resolved("alice"), "bob", AT)
    c = t.claim(c, "bob", AT + timedelta(minutes=1))
    c = t.resolve(c, "bob", AT + timedelta(minutes=2), Outcome.DECLINED, QuestionType.OTHER, 1)
    assert [r.staff for r in c.resolutions] == ["alice", "bob"]
    assert c.resolution is not None and c.resolution.outcome is Outcome.DECLINED


# -- flag, unflag, note ------------------------------------------------------


@pytest.mark.parametrize("state", [new, claimed, resolved], ids=["new", "claimed", "resolved"])
def test_any_state_can_be_flagged_and_keeps_its_status_and_holder(
    state: Callable[[], Conversation],
) -> None:
    before = state()
    c = t.flag(before, "bob", AT, "  hostile\n\t tone   ")
    assert c.flag == "hostile tone" and c.flagged
    assert (c.status, c.holder) == (before.status, before.holder)
    assert last(c) == Event(at=AT, staff="bob", action="flag", details={"reason": "hostile tone"})


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_flag_needs_a_reason(reason: str) -> None:
    refused(new(), lambda c: t.flag(c, "bob", AT, reason))


def test_unflag_clears_the_flag() -> None:
    c = t.unflag(t.flag(claimed(), "bob", AT, "off-limits"), "alice", AT + timedelta(minutes=1))
    assert c.flag is None and not c.flagged
    assert c.status is Status.CLAIMED
    assert last(c) == Event(
        at=AT + timedelta(minutes=1), staff="alice", action="unflag", details={}
    )


def test_unflag_of_an_unflagged_conversation_is_refused() -> None:
    refused(new(), lambda c: t.unflag(c, "bob", AT))


@pytest.mark.parametrize("state", [new, claimed, resolved], ids=["new", "claimed", "resolved"])
def test_a_note_is_kept_without_changing_anything_else(state: Callable[[], Conversation]) -> None:
    before = state()
    c = t.note(before, "bob", AT, "  called the branch \n")
    assert (c.status, c.holder, c.flag) == (before.status, before.holder, before.flag)
    assert last(c) == Event(
        at=AT, staff="bob", action="note", details={"text": "called the branch"}
    )
    assert c.notes == (last(c),)


@pytest.mark.parametrize("text", ["", "  \n "])
def test_an_empty_note_is_refused(text: str) -> None:
    refused(new(), lambda c: t.note(c, "bob", AT, text))


# -- follow-ups --------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "holder"), [(new, None), (claimed, "alice")], ids=["new", "claimed"]
)
def test_a_follow_up_joins_and_stays_with_the_holder(
    state: Callable[[], Conversation], holder: str | None
) -> None:
    before = state()
    follow_up = message("m2", minutes=10)
    c = t.add_message(before, follow_up, AT)
    assert (c.status, c.holder) == (before.status, holder)
    assert c.messages == (*before.messages, follow_up)
    assert c.latest == follow_up
    assert last(c) == Event(
        at=AT, staff=t.PATRON, action="follow-up", details={"message": "mastodon:m2"}
    )


def test_a_follow_up_to_a_resolved_conversation_reopens_it() -> None:
    before = resolved("alice")
    c = t.add_message(before, message("m2", minutes=10), AT)
    assert (c.status, c.holder) == (Status.NEW, None)
    assert c.resolutions == before.resolutions and len(c.resolutions) == 1
    assert c.resolution is None
    assert last(c) == Event(
        at=AT, staff=t.PATRON, action="reopen", details={"message": "mastodon:m2"}
    )


@pytest.mark.parametrize("state", [new, claimed, resolved], ids=["new", "claimed", "resolved"])
def test_a_message_already_in_the_conversation_changes_nothing(
    state: Callable[[], Conversation],
) -> None:
    before = state()
    # Same key, even if the channel delivers it again with other details.
    again = message("m1", minutes=3)
    assert t.add_message(before, again, AT) is before


def test_messages_are_kept_in_the_order_patrons_sent_them() -> None:
    c = t.start(message("c", minutes=5), T0)
    c = t.add_message(c, message("a", minutes=9), AT)
    c = t.add_message(c, message("d", minutes=1), AT)  # arrived late: an older message
    c = t.add_message(c, message("b", minutes=7), AT)
    assert [m.remote_id for m in c.messages] == ["d", "c", "b", "a"]
    assert c.first.remote_id == "d" and c.latest.remote_id == "a"


def test_waiting_since_counts_from_the_oldest_unanswered_message() -> None:
    c = t.add_message(claimed(), message("m2", minutes=10), AT)
    assert c.waiting_since == T0


def test_waiting_since_counts_from_the_follow_up_after_a_resolve() -> None:
    c = resolved()  # resolved at T0 + 5 min
    follow_up = message("m2", minutes=40)
    c = t.add_message(c, follow_up, follow_up.received_at)
    assert c.waiting_since == follow_up.received_at
    c = t.add_message(c, message("m3", minutes=50), T0 + timedelta(minutes=50))
    assert c.waiting_since == follow_up.received_at


# -- every transition leaves exactly one event ---------------------------------

Case = tuple[str, Callable[[], Conversation], Callable[[Conversation], Conversation], Event]
TRANSITIONS: list[Case] = [
    ("claim", new, lambda c: t.claim(c, "bob", AT), Event(AT, "bob", "claim", {})),
    ("release", claimed, lambda c: t.release(c, "alice", AT), Event(AT, "alice", "release", {})),
    (
        "hand-off",
        claimed,
        lambda c: t.hand_off(c, "alice", "dan", AT),
        Event(AT, "alice", "hand-off", {"to": "dan"}),
    ),
    (
        "resolve",
        claimed,
        lambda c: t.resolve(c, "alice", AT, Outcome.ANSWERED, QuestionType.TECHNICAL, 3),
        Event(AT, "alice", "resolve", {"outcome": "answered", "type": "technical", "read": 3}),
    ),
    ("reopen", resolved, lambda c: t.reopen(c, "bob", AT), Event(AT, "bob", "reopen", {})),
    (
        "flag",
        new,
        lambda c: t.flag(c, "bob", AT, "sarcastic"),
        Event(AT, "bob", "flag", {"reason": "sarcastic"}),
    ),
    (
        "unflag",
        lambda: t.flag(new(), "bob", T0, "x"),
        lambda c: t.unflag(c, "bob", AT),
        Event(AT, "bob", "unflag", {}),
    ),
    (
        "note",
        claimed,
        lambda c: t.note(c, "bob", AT, "hi"),
        Event(AT, "bob", "note", {"text": "hi"}),
    ),
    (
        "follow-up",
        claimed,
        lambda c: t.add_message(c, message("m2", 9), AT),
        Event(AT, t.PATRON, "follow-up", {"message": "mastodon:m2"}),
    ),
    (
        "patron-reopen",
        resolved,
        lambda c: t.add_message(c, message("m2", 9), AT),
        Event(AT, t.PATRON, "reopen", {"message": "mastodon:m2"}),
    ),
]


@pytest.mark.parametrize(
    ("state", "change", "event"), [x[1:] for x in TRANSITIONS], ids=[x[0] for x in TRANSITIONS]
)
def test_every_transition_appends_exactly_one_event(
    state: Callable[[], Conversation],
    change: Callable[[Conversation], Conversation],
    event: Event,
) -> None:
    before = state()
    after = change(before)
    assert after.events[: len(before.events)] == before.events
    assert after.events[len(before.events) :] == (event,)
    assert before.events == state().events  # the input is never changed in place


def test_take_over_moves_a_colleagues_conversation_with_its_own_event() -> None:
    taken = t.take_over(claimed("bo"), "alice", AT)
    assert (taken.status, taken.holder) == (Status.CLAIMED, "alice")
    assert (last(taken).staff, last(taken).action, last(taken).details) == (
        "alice",
        "take-over",
        {"from": "bo"},
    )


def test_take_over_is_only_for_a_colleagues_conversation() -> None:
    assert "claim it instead" in refused(new(), lambda c: t.take_over(c, "alice", AT))
    assert "already yours" in refused(claimed("alice"), lambda c: t.take_over(c, "alice", AT))
