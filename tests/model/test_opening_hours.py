"""The library's opening hours: open or closed at a moment (local, summer time included),
when next open, the week in words, and one sentence for each mistake."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from askdesk.model.opening_hours import HoursError, OpeningHours, parse_hours, when_next

LONDON = ZoneInfo("Europe/London")
WEEKDAYS_9_TO_5 = {d: "9:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
SPLIT_SATURDAY = {**WEEKDAYS_9_TO_5, "sat": "9:00-12:00, 13:00-17:00", "sun": "closed"}


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def hours() -> OpeningHours:
    return parse_hours(SPLIT_SATURDAY)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (utc(11, 16, 8, 59), False),  # Monday, a minute before opening
        (utc(11, 16, 9, 0), True),  # opening, on the minute
        (utc(11, 16, 16, 59), True),
        (utc(11, 16, 17, 0), False),  # closing time is closed
        (utc(11, 21, 12, 30), False),  # Saturday's lunch break
        (utc(11, 21, 13, 0), True),
        (utc(11, 22, 12, 0), False),  # Sunday: closed
    ],
)
def test_open_or_closed(hours: OpeningHours, at: datetime, is_open: bool) -> None:
    """In November London keeps GMT, so the UTC times are the local ones."""
    assert hours.is_open(at, LONDON) is is_open


def test_hours_follow_the_local_clock_into_summer_time(hours: OpeningHours) -> None:
    """After the clocks go forward (Sunday 2026-03-29) 9:00 in London is 08:00 UTC."""
    assert not hours.is_open(utc(3, 27, 8, 30), LONDON)  # Friday, GMT: 08:30 local
    assert hours.is_open(utc(3, 30, 8, 30), LONDON)  # Monday, BST: 09:30 local
    assert hours.next_open(utc(3, 28, 22, 0), LONDON) == utc(3, 30, 8, 0)


def test_next_open(hours: OpeningHours) -> None:
    friday_night = utc(11, 20, 23, 0)
    assert hours.next_open(friday_night, LONDON) == utc(11, 21, 9, 0)  # Saturday morning
    assert hours.next_open(utc(11, 21, 12, 10), LONDON) == utc(11, 21, 13, 0)  # after lunch
    assert hours.next_open(utc(11, 21, 18, 0), LONDON) == utc(11, 23, 9, 0)  # Sunday is closed
    assert hours.next_open(utc(11, 16, 10, 0), LONDON) == utc(11, 17, 9, 0)  # open: the next day


def test_a_range_may_be_written_with_an_en_dash() -> None:
    """What a word processor makes of "9:00-17:00", pasted from the library's website."""
    assert parse_hours({"mon": "9:00\u201317:00"}) == parse_hours({"mon": "9:00-17:00"})


def test_an_opening_through_midnight_is_one_opening() -> None:
    """Open Friday 20:00 to Saturday 2:00: at 23:00 Friday the doors next open Saturday 9:00."""
    late = parse_hours({"fri": "20:00-24:00", "sat": "0:00-2:00, 9:00-12:00"})
    assert late.is_open(utc(11, 20, 23, 59), UTC) and late.is_open(utc(11, 21, 1, 0), UTC)
    assert late.next_open(utc(11, 20, 23, 0), UTC) == utc(11, 21, 9, 0)


@pytest.mark.parametrize(
    ("opens", "said"),
    [
        (utc(11, 21, 13, 0), "today at 13:00"),
        (utc(11, 22, 9, 0), "tomorrow at 9:00"),
        (utc(11, 23, 9, 30), "on Monday at 9:30"),
        (utc(12, 1, 9, 0), "on Tuesday 1 December at 9:00"),
    ],
)
def test_when_next_in_words(opens: datetime, said: str) -> None:
    assert when_next(opens, utc(11, 21, 12, 10), UTC) == said


def test_the_week_in_words(hours: OpeningHours) -> None:
    assert hours.describe() == ("Mon-Fri 9:00-17:00, Sat 9:00-12:00 and 13:00-17:00, Sun closed")
    assert parse_hours({"wed": "10:00-24:00"}).describe() == (
        "Mon-Tue closed, Wed 10:00-24:00, Thu-Sun closed"
    )


@pytest.mark.parametrize(
    ("raw", "sentence"),
    [
        ({"monday": "9:00-17:00"}, "hours has an unknown weekday 'monday' (use mon, tue,"),
        ({"mon": "17:00-9:00"}, "hours.mon '17:00-9:00' ends before it starts"),
        ({"mon": "9:00-9:00"}, "hours.mon '9:00-9:00' ends before it starts"),
        ({"tue": "9-17"}, "hours.tue has '9', which is not a time from 0:00 to 24:00 (H:MM)"),
        ({"tue": "9:00-25:00"}, "hours.tue has '25:00', which is not a time"),
        ({"tue": "9:60-12:00"}, "hours.tue has '9:60', which is not a time"),
        ({"wed": "9:00 to 17:00"}, "hours.wed '9:00 to 17:00' should be a range of times"),
        ({"sat": "9:00-13:00, 12:00-17:00"}, "hours.sat '12:00-17:00' overlaps 9:00-13:00"),
        ({"thu": 9}, 'hours.thu should be a text such as "9:00-17:00" or "closed", not 9'),
        ({"sun": "closed"}, "hours has every day closed"),
        ("9:00-17:00", "hours should be a table of weekday ="),
    ],
)
def test_bad_hours_are_one_sentence_naming_the_key(raw: object, sentence: str) -> None:
    with pytest.raises(HoursError) as error:
        parse_hours(raw)
    assert str(error.value).startswith(sentence)
    assert "\n" not in str(error.value)
