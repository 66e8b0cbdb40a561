"""Shift handover: keep, release with a note or hand on, in one pass; then the summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from askdesk.desk.handover import (
    KEEP,
    Choice,
    Decision,
    apply,
    held,
    shift_summary,
    summary_text,
)
from askdesk.model import Outcome, QuestionType, Reply, ReplyStatus, Status
from tests.desk.statsweek import (
    NOW,
    OPEN_PATRON,
    PATRON_STRINGS,
    Week,
    at,
    build_week,
    message,
)


@pytest.fixture
def week(tmp_path: Path) -> Week:
    """The statsweek, and bo holds three: F (Thu 09:00), G (10:00) and H (11:00)."""
    w = build_week(tmp_path / "desk.json")
    w.bo.ingest(
        [
            message("web", "g1", at(3, 10), text="Renew my books, card 2999 0001"),
            message("web", "h1", at(3, 11), text="Do you have the new Pratchett?"),
        ]
    )
    w.bo.claim("web:g1")
    w.bo.claim("web:h1")
    return w


def test_held_lists_what_you_hold_longest_waiting_first(week: Week) -> None:
    assert [c.key for c in held(week.store.live(), "bo")] == ["web:f1", "web:g1", "web:h1"]
    assert held(week.store.live(), "ana") == []


def test_one_pass_keeps_releases_with_a_note_and_hands_on(week: Week) -> None:
    result = apply(
        week.bo,
        {
            "web:f1": KEEP,
            "web:g1": Decision(Choice.RELEASE, note="card number checked, renew at the desk"),
            "web:h1": Decision(Choice.HAND, to="cy", note="cy orders fiction"),
        },
    )
    assert (result.kept, result.released, result.handed, result.failed) == (
        ["web:f1"],
        ["web:g1"],
        [("web:h1", "cy")],
        [],
    )
    f, g, h = (week.store.get(k) for k in ("web:f1", "web:g1", "web:h1"))
    assert f is not None and (f.status, f.holder) == (Status.CLAIMED, "bo")
    assert g is not None and (g.status, g.holder) == (Status.NEW, None)
    assert [e.details["text"] for e in g.notes] == ["card number checked, renew at the desk"]
    assert g.events[-1].action == "release"
    assert h is not None and (h.status, h.holder) == (Status.CLAIMED, "cy")
    assert [e.details["text"] for e in h.notes] == ["cy orders fiction"]


def test_a_conversation_taken_over_meanwhile_is_reported_and_the_rest_goes_on(
    week: Week,
) -> None:
    week.bo.hand_off("web:g1", "ana")  # between listing and confirming
    result = apply(
        week.bo,
        {"web:g1": Decision(Choice.RELEASE), "web:h1": Decision(Choice.RELEASE)},
    )
    assert result.released == ["web:h1"]
    assert [key for key, _ in result.failed] == ["web:g1"]
    assert "ana" in result.failed[0][1]


def test_a_follow_up_since_the_screen_listed_it_stops_its_release_and_says_so(
    week: Week,
) -> None:
    seen = {c.key: c.version for c in held(week.store.live(), "bo")}
    week.ana.note("web:g1", "patron rang too")  # after the handover screen listed it
    result = apply(
        week.bo,
        {
            "web:g1": Decision(Choice.RELEASE, note="renew at the desk"),
            "web:h1": Decision(Choice.HAND, to="cy", note="cy orders fiction"),
        },
        seen,
    )
    assert result.handed == [("web:h1", "cy")]
    assert result.failed == [("web:g1", "web:g1 was not released: meanwhile ana added a note")]
    g = week.store.get("web:g1")
    assert g is not None and (g.status, g.holder) == (Status.CLAIMED, "bo")
    assert [e.details["text"] for e in g.notes] == ["patron rang too"]  # bo's note not left


def test_handing_on_needs_a_name() -> None:
    with pytest.raises(ValueError, match="colleague"):
        Decision(Choice.HAND, to=" ")


def test_shift_summary_counts_what_you_resolved_and_what_is_still_open(week: Week) -> None:
    result = apply(week.bo, {"web:g1": Decision(Choice.RELEASE), "web:h1": KEEP, "web:f1": KEEP})
    summary = shift_summary(
        week.store.history(),
        week.store.live(),
        staff="ana",
        since=at(1, 0),
        now=NOW,
    )
    # ana resolved C (Tue), C again and D (Wed) since Tuesday; A was Monday.
    assert (summary.answered, summary.resolved) == (3, 3)
    assert summary.by_channel == {"web": 3}
    assert summary.by_read == {"1": 1, "2": 2}
    assert summary.by_outcome == {"answered": 3}
    assert summary.still_held == []
    assert summary.desk_open == 4  # E, G new; F, H claimed by bo
    bo = shift_summary(
        week.store.history(), week.store.live(), staff="bo", since=at(0, 0), now=NOW, result=result
    )
    # bo's one transaction (B) was referred: resolved, not answered.
    assert (bo.answered, bo.resolved) == (0, 1)
    assert (bo.by_read, bo.still_held) == ({"4": 1}, ["web:f1", "web:h1"])


def test_the_summary_lays_out_what_the_next_shift_acts_on(week: Week) -> None:
    """New with ages and LATE, what each holds with its notes, flags, replies in trouble."""
    week.ana.flag("web:e1", "abusive last time; supervisor answers")
    week.ana.note("web:f1", "asked cataloguing")
    fresh = message("web", "k1", at(3, 11, 50), text="Is the café open?")
    week.ana.ingest([fresh])  # ten minutes old: waiting, not LATE
    week.store.update(
        "web:f1",
        lambda c: replace(
            c,
            replies=(
                Reply("r1", "We have it", "bo", at(3, 10), ReplyStatus.FAILED),
                Reply("r2", "Sent the link", "bo", at(3, 11), ReplyStatus.UNCERTAIN),
                Reply("r3", "Fine", "bo", at(3, 11), ReplyStatus.SENT),
            ),
        ),
    )
    result = apply(
        week.bo,
        {
            "web:f1": KEEP,
            "web:g1": Decision(Choice.RELEASE, note="card checked, renew at the desk"),
            "web:h1": Decision(Choice.HAND, to="cy", note="cy orders fiction"),
        },
    )
    summary = shift_summary(
        week.store.history(),
        week.store.live(),
        staff="bo",
        since=at(0, 0),
        now=NOW,
        result=result,
        target=timedelta(minutes=60),
    )
    assert [(i.key, i.late) for i in summary.waiting] == [
        ("web:e1", True),
        ("web:g1", True),
        ("web:k1", False),
    ]
    text = summary_text(summary, UTC)
    assert text.splitlines()[2:] == [
        "Answered: 0 (of 1 resolved; also referred 1)",
        "  by channel: drop (1)",
        "  by READ level: 4 (1)",
        "",
        "Handover:",
        "  web:g1: released to New",
        "  web:h1: handed to cy",
        "  web:f1: kept",
        "",
        "Waiting in New: 3 (2 LATE)",
        "  web:e1  web  waiting 4h LATE FLAGGED",
        "  web:g1  web  waiting 2h LATE",
        "    note (bo): card checked, renew at the desk",
        "  web:k1  web  waiting 10m",
        "",
        "Held: 2",
        "  bo (1):",
        "    web:f1  web  waiting 3h",  # r3 reached the patron: not LATE, as on the desk
        "      note (ana): asked cataloguing",
        "  cy (1):",
        "    web:h1  web  waiting 1h",  # exactly the target: not yet LATE
        "      note (bo): cy orders fiction",
        "",
        "Flagged for review: 1",
        "  web:e1 (in New): abusive last time; supervisor answers",
        "",
        "Replies that need staff: 1",
        "  web:f1: failed (bo's reply, 2h ago)",
        "  web:f1: uncertain (bo's reply, 1h ago)",
        "",
        "Still open: you hold 1 (web:f1); 5 open on the desk in all",
    ]
    assert all(len(line) <= 80 for line in text.splitlines())
    assert [s for s in (*PATRON_STRINGS, OPEN_PATRON, "café", "We have it") if s in text] == []


def test_answered_counts_only_the_outcome_answered(week: Week) -> None:
    week.ana.ingest([message("web", "m1", at(3, 11, 30)), message("web", "n1", at(3, 11, 31))])
    week.ana.resolve("web:m1", Outcome.NO_REPLY_NEEDED, QuestionType.OTHER, 1)
    week.ana.resolve("web:n1", Outcome.DECLINED, QuestionType.POLICY, 1)
    summary = shift_summary(
        week.store.history(), week.store.live(), staff="ana", since=at(3, 0), now=NOW
    )
    assert (summary.answered, summary.resolved) == (0, 2)
    assert summary_text(summary, UTC).splitlines()[2] == (
        "Answered: 0 (of 2 resolved; also declined 1, no-reply-needed 1)"
    )
