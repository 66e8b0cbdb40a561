"""Who is on shift as one desk shows it: colleagues once each, and its own staff's other desks."""

from __future__ import annotations

from datetime import UTC, datetime

from askdesk.config import Team
from askdesk.desk.shift import Shift, shift_of
from askdesk.store import OnShift

AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
TEAM = Team(("ana", "bo"))


def test_this_desk_is_left_out_and_the_others_of_its_staff_are_counted() -> None:
    desks = [
        OnShift("ana", "front:1", AT),  # this desk
        OnShift("Ana", "back:2", AT),  # ana's other desk, under the spelling before the list
        OnShift("bo", "front:3", AT),
        OnShift("bo", "home:4", AT),
        OnShift("cy", "front:5", AT),
    ]
    shift = shift_of(desks, "front:1", lambda name: TEAM.credited(name) == "ana")
    assert shift == Shift((("bo", 2), ("cy", 1)), my_other_desks=1)
    assert shift.colleague_words() == "bo (2 desks), cy"
    assert shift.my_desks_words() == "2 desks open"


def test_alone_on_the_desk_says_nothing() -> None:
    shift = shift_of([OnShift("ana", "front:1", AT)], "front:1", lambda name: name == "ana")
    assert shift == Shift() and shift.colleague_words() == shift.my_desks_words() == ""
