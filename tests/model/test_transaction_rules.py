"""What a transaction is (docs/statistics.md): one question handled, dated and credited once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from askdesk.model import Conversation, Kind, Message, Outcome, QuestionType
from askdesk.model import transitions as t
from askdesk.model.transactions import Transaction, transactions_of

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
"""A Monday morning; ``hours(n)`` is ``n`` hours later."""


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def message(remote_id: str, when: datetime) -> Message:
    return Message(
        channel="web",
        remote_id=remote_id,
        kind=Kind.DIRECT,
        author="Ada",
        text="hello",
        received_at=when,
        conversation="thread-1",
    )


def resolve(
    c: Conversation,
    staff: str,
    when: datetime,
    outcome: Outcome = Outcome.ANSWERED,
    question_type: QuestionType = QuestionType.POLICY,
    read: int = 2,
    transaction_id: str | None = None,
) -> Conversation:
    return t.resolve(c, staff, when, outcome, question_type, read, transaction_id=transaction_id)


def answered() -> Conversation:
    """Asked at 09:00, ana claims it at 09:06 and resolves it at 09:20 (answered, policy, 2)."""
    c = t.claim(t.start(message("m1", T0), T0), "ana", hours(0.1))
    return resolve(c, "ana", hours(1 / 3), transaction_id="tx-first")


def only(c: Conversation) -> Transaction:
    (transaction,) = transactions_of(c)
    return transaction


def test_a_correction_a_week_later_by_a_colleague_changes_the_words_not_the_date_or_credit() -> (
    None
):
    c = answered()
    c = t.reopen(c, "bo", hours(24 * 7))
    c = resolve(c, "bo", hours(24 * 7 + 0.1), Outcome.REFERRED, QuestionType.RESEARCH, 4, "tx-2")
    tx = only(c)
    assert (tx.resolved_at, tx.staff, tx.id) == (hours(1 / 3), "ana", "tx-first")
    assert (tx.outcome, tx.question_type, tx.read_level) == (
        Outcome.REFERRED,
        QuestionType.RESEARCH,
        4,
    )
    assert tx.resolve_s == 20 * 60  # to the first resolve, which the patron saw
    assert [e.staff for e in c.events if e.action == "resolve"] == ["ana", "bo"]


def test_a_thanks_closed_with_no_reply_needed_is_part_of_the_earlier_transaction() -> None:
    c = t.add_message(answered(), message("m2", hours(2)), hours(2))
    c = resolve(c, "bo", hours(3), Outcome.NO_REPLY_NEEDED, QuestionType.OTHER, 1)
    tx = only(c)
    assert (tx.resolved_at, tx.staff, tx.outcome, tx.question_type, tx.read_level) == (
        hours(1 / 3),
        "ana",
        Outcome.ANSWERED,
        QuestionType.POLICY,
        2,
    )
    assert tx.messages == 2


def test_a_follow_up_answered_is_a_new_transaction() -> None:
    c = t.add_message(answered(), message("m2", hours(2)), hours(2))
    c = resolve(c, "bo", hours(3), Outcome.ANSWERED, QuestionType.RESEARCH, 3, "tx-b")
    first, second = transactions_of(c)
    assert (first.id, first.messages) == ("tx-first", 1)
    assert (second.id, second.staff, second.started_at, second.resolve_s) == (
        "tx-b",
        "bo",
        hours(2),
        3600,
    )


def test_a_thanks_corrected_to_a_real_question_becomes_its_own_transaction() -> None:
    c = t.add_message(answered(), message("m2", hours(2)), hours(2))
    c = resolve(c, "bo", hours(3), Outcome.NO_REPLY_NEEDED, QuestionType.OTHER, 1, "tx-b")
    c = t.reopen(c, "ana", hours(4))
    c = resolve(c, "ana", hours(5), Outcome.ANSWERED, QuestionType.RESEARCH, 3, "tx-c")
    first, second = transactions_of(c)
    assert first.messages == 1
    assert (second.resolved_at, second.staff, second.id, second.question_type) == (
        hours(3),
        "bo",
        "tx-b",
        QuestionType.RESEARCH,
    )


def test_a_patron_message_after_a_staff_reopen_makes_the_next_resolve_a_new_transaction() -> None:
    c = t.reopen(answered(), "bo", hours(1))
    c = t.add_message(c, message("m2", hours(2)), hours(2))
    c = resolve(c, "bo", hours(3), Outcome.REFERRED, QuestionType.RESEARCH, 4, "tx-b")
    first, second = transactions_of(c)
    assert (first.outcome, first.question_type) == (Outcome.ANSWERED, QuestionType.POLICY)
    assert (second.staff, second.outcome, second.started_at) == ("bo", Outcome.REFERRED, hours(2))


def test_a_reopened_transaction_still_counts_as_last_resolved_until_corrected() -> None:
    c = t.reopen(answered(), "bo", hours(1))
    tx = only(c)
    assert (tx.resolved_at, tx.outcome) == (hours(1 / 3), Outcome.ANSWERED)


def test_flagged_between_the_first_message_and_the_resolve_only() -> None:
    before = t.flag(t.start(message("m1", T0), T0), "ana", hours(0.1), "check policy")
    before = t.unflag(before, "ana", hours(0.2))
    assert only(resolve(before, "ana", hours(1))).flagged
    after = t.flag(answered(), "sue", hours(5), "review: tone")
    assert not only(after).flagged
    # A supervisor's flag during a later correction does not count either.
    corrected = t.reopen(answered(), "sue", hours(5))
    corrected = t.flag(corrected, "sue", hours(5.1), "review")
    assert not only(resolve(corrected, "sue", hours(5.2))).flagged


def test_reference_transactions_leave_out_directional_and_unanswered() -> None:
    def counted(outcome: Outcome, question_type: QuestionType) -> bool:
        asked = t.start(message("m1", T0), T0)
        return only(resolve(asked, "ana", hours(1), outcome, question_type)).reference

    assert counted(Outcome.ANSWERED, QuestionType.RESEARCH)
    assert counted(Outcome.REFERRED, QuestionType.POLICY)
    assert not counted(Outcome.ANSWERED, QuestionType.DIRECTIONAL)
    assert not counted(Outcome.NO_REPLY_NEEDED, QuestionType.RESEARCH)
    assert not counted(Outcome.DECLINED, QuestionType.RESEARCH)


def test_a_transaction_resolved_before_ids_were_recorded_gets_a_stable_id_from_no_key() -> None:
    old = resolve(t.start(message("m1", T0), T0), "ana", hours(1))
    assert "transaction" not in old.events[-1].details
    tx = only(old)
    assert tx.id == only(old).id
    assert len(tx.id) == 16
    assert "thread-1" not in tx.id and "m1" not in tx.id
    other = resolve(t.start(message("m1", T0), T0), "bo", hours(1))
    assert only(other).id != tx.id


def test_minutes_spent_on_a_thanks_count_with_the_earlier_transaction() -> None:
    c = t.claim(t.start(message("m1", T0), T0), "ana", hours(0.1))
    c = t.resolve(c, "ana", hours(1), Outcome.ANSWERED, QuestionType.POLICY, 2, time_spent_min=10)
    c = t.add_message(c, message("m2", hours(2)), hours(2))
    c = t.resolve(
        c, "bo", hours(3), Outcome.NO_REPLY_NEEDED, QuestionType.OTHER, 1, time_spent_min=2
    )
    assert (only(c).time_spent_min, only(c).messages) == (12, 2)
