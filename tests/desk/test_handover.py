"""Shift handover: keep, release with a note or hand on, in one pass; then the summary."""

from __future__ import annotations

from datetime import UTC
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
from askdesk.model import Status
from tests.desk.statsweek import NOW, PATRON_STRINGS, Week, at, build_week, message


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
    assert summary.answered == 3
    assert summary.by_channel == {"web": 3}
    assert summary.by_read == {"1": 1, "2": 2}
    assert summary.by_outcome == {"answered": 3}
    assert summary.still_held == []
    assert summary.desk_open == 4  # E, G new; F, H claimed by bo
    bo = shift_summary(
        week.store.history(), week.store.live(), staff="bo", since=at(0, 0), now=NOW, result=result
    )
    assert (bo.answered, bo.by_read, bo.still_held) == (1, {"4": 1}, ["web:f1", "web:h1"])


def test_summary_text_is_short_and_quotes_no_patron(week: Week) -> None:
    result = apply(
        week.bo,
        {
            "web:f1": KEEP,
            "web:g1": Decision(Choice.RELEASE),
            "web:h1": Decision(Choice.HAND, to="cy"),
        },
    )
    summary = shift_summary(
        week.store.history(), week.store.live(), staff="bo", since=at(0, 0), now=NOW, result=result
    )
    text = summary_text(summary, UTC)
    assert text.splitlines() == [
        "Shift summary for bo, 2026-11-16 00:00 to 2026-11-19 12:00 (UTC)",
        "",
        "Answered: 1",
        "  by channel: drop (1)",
        "  by READ level: 4 (1)",
        "  by outcome: referred (1)",
        "",
        "Handover:",
        "  web:g1: released to New",
        "  web:h1: handed to cy",
        "  web:f1: kept",
        "",
        "Still open: you hold 1 (web:f1); 4 open on the desk in all",
    ]
    assert [s for s in (*PATRON_STRINGS, "Pratchett", "2999") if s in text] == []
