"""When patrons ask: ``asked_by_hour`` and ``asked_by_weekday``, by the patron's first message."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from askdesk.desk.stats import DIMENSIONS, compute, stats_record
from askdesk.model import Conversation, Event, Kind, Outcome, QuestionType, Resolution, Status
from askdesk.model.opening_hours import parse_hours
from askdesk.model.transitions import PATRON
from tests.desk.statsweek import NOW, Week, build_week, message

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def week(tmp_path: Path) -> Week:
    return build_week(tmp_path / "desk.json")


def asked_then_resolved(
    asked: datetime,
    resolved: datetime,
    *,
    replied: datetime | None = None,
    thanks: tuple[datetime, datetime] | None = None,
) -> Conversation:
    """One question asked at ``asked`` and first resolved at ``resolved`` (by ana, answered);
    ``thanks``: the patron's "thanks!" then, and its resolve as no reply needed."""
    first = message("web", f"q{asked:%m%d%H%M}", asked)
    messages = [first]
    events = [Event(asked, PATRON, "arrive", {"message": first.key})]
    if replied is not None:
        events.append(Event(replied, "ana", "reply", {}))
    events.append(Event(resolved, "ana", "resolve", {}))
    resolutions = [Resolution(resolved, "ana", Outcome.ANSWERED, QuestionType.POLICY, 2)]
    if thanks is not None:
        said, closed = thanks
        follow = message("web", f"t{said:%m%d%H%M}", said, text="thanks!")
        messages.append(follow)
        events += [
            Event(said, PATRON, "reopen", {"message": follow.key}),
            Event(closed, "ana", "resolve", {}),
        ]
        resolutions.append(
            Resolution(closed, "ana", Outcome.NO_REPLY_NEEDED, QuestionType.POLICY, 1)
        )
    return Conversation(
        key=first.key,
        channel="web",
        kind=Kind.DIRECT,
        messages=tuple(messages),
        status=Status.RESOLVED,
        holder="ana",
        resolutions=tuple(resolutions),
        events=tuple(events),
    )


def nonzero(counts: object) -> dict[str, int]:
    assert isinstance(counts, dict)
    return {k: n for k, n in counts.items() if n}


def test_the_week_by_when_patrons_asked_beside_when_staff_resolved(week: Week) -> None:
    """Asked: A Mon 09:00, B Mon 10:00 (resolved Tue 09:00), C Tue 12:00 and Wed 09:00,
    D Wed 10:00. B's second message (Tue 08:00) is not when it was asked."""
    data = stats_record(compute(week.store.history(), now=NOW, tz=UTC), NOW)
    assert nonzero(data["by_hour"]) == {"9": 3, "10": 1, "12": 1}
    assert nonzero(data["asked_by_hour"]) == {"9": 2, "10": 2, "12": 1}
    assert data["asked_by_weekday"] == {
        "mon": 2,
        "tue": 1,
        "wed": 2,
        "thu": 0,
        "fri": 0,
        "sat": 0,
        "sun": 0,
    }
    assert list(data["asked_by_hour"]) == [str(h) for h in range(24)]  # type: ignore[arg-type]
    keys = list(data)
    assert keys.index("asked_by_hour") == keys.index("by_weekday") + 1


def test_a_night_question_counts_at_its_hour_asked_not_its_hour_answered() -> None:
    """Asked Monday 23:10, answered Tuesday 09:05: by_* say Tuesday 9, asked_by_* Monday 23."""
    night = asked_then_resolved(
        datetime(2026, 11, 16, 23, 10, tzinfo=UTC), datetime(2026, 11, 17, 9, 5, tzinfo=UTC)
    )
    stats = compute([night], now=NOW, tz=UTC)
    assert nonzero(stats.count_by("hour")) == {"9": 1}
    assert nonzero(stats.count_by("weekday")) == {"tue": 1}
    assert nonzero(stats.count_by("asked_hour")) == {"23": 1}
    assert nonzero(stats.count_by("asked_weekday")) == {"mon": 1}


def test_a_thanks_follow_up_adds_no_ask_of_its_own() -> None:
    """The "thanks!" at 10:00, closed as no reply needed, belongs to the question asked at 22:00."""
    conversation = asked_then_resolved(
        datetime(2026, 11, 16, 22, 0, tzinfo=UTC),
        datetime(2026, 11, 17, 9, 0, tzinfo=UTC),
        thanks=(
            datetime(2026, 11, 17, 10, 0, tzinfo=UTC),
            datetime(2026, 11, 17, 10, 5, tzinfo=UTC),
        ),
    )
    stats = compute([conversation], now=NOW, tz=UTC)
    assert stats.transaction_count == 1
    assert nonzero(stats.count_by("asked_hour")) == {"22": 1}


def test_asked_hours_are_local_across_the_change_to_summer_time() -> None:
    """London moves from GMT to BST at 01:00 UTC on Sunday 2026-03-29.

    Asked 00:30 UTC: 00:30 GMT. Asked 01:30 UTC: 02:30 BST (01:xx never happens
    that night). Asked Sunday 23:30 UTC: Monday 00:30 BST.
    """
    resolved = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    asked = [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 23, 30, tzinfo=UTC),
    ]
    stats = compute(
        [asked_then_resolved(a, resolved) for a in asked],
        now=datetime(2026, 3, 31, tzinfo=UTC),
        tz=LONDON,
    )
    assert nonzero(stats.count_by("asked_hour")) == {"0": 2, "2": 1}
    assert nonzero(stats.count_by("asked_weekday")) == {"sun": 2, "mon": 1}
    assert nonzero(stats.count_by("hour")) == {"10": 3}  # 09:00 UTC is 10:00 BST


def test_asked_dimensions_group_the_first_response_by_hour_asked() -> None:
    """``--by asked_hour``: the night's questions wait longer than the morning's."""
    night = asked_then_resolved(
        datetime(2026, 11, 16, 23, 0, tzinfo=UTC), datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    )
    morning = asked_then_resolved(
        datetime(2026, 11, 17, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 17, 9, 30, tzinfo=UTC),
        replied=datetime(2026, 11, 17, 9, 5, tzinfo=UTC),
    )
    stats = compute([night, morning], now=NOW, tz=UTC, timed=["asked_hour"])
    groups = {g.value: g for g in stats.groups("asked_hour")}
    assert groups["23"].first_response_median_s == 10 * 3600
    assert groups["9"].first_response_median_s == 300
    assert groups["9"].transactions == groups["23"].transactions == 1


def test_the_command_line_offers_every_dimension() -> None:
    from askdesk import cli

    assert list(DIMENSIONS) == cli.BY


# -- the first response, asked while open and while closed ------------------------------

WEEKDAYS_9_TO_5 = parse_hours({d: "9:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")})


def test_a_night_question_answered_in_the_morning_is_a_closed_time_first_response() -> None:
    """Asked Monday 23:10, answered Tuesday 09:05 (9h 55m): closed. Asked Tuesday 09:00,
    answered 09:05: open. Together their median (5h) describes neither."""
    night = asked_then_resolved(
        datetime(2026, 11, 16, 23, 10, tzinfo=UTC),
        datetime(2026, 11, 17, 9, 20, tzinfo=UTC),
        replied=datetime(2026, 11, 17, 9, 5, tzinfo=UTC),
    )
    morning = asked_then_resolved(
        datetime(2026, 11, 17, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 17, 9, 30, tzinfo=UTC),
        replied=datetime(2026, 11, 17, 9, 5, tzinfo=UTC),
    )
    stats = compute([night, morning], now=NOW, tz=UTC, hours=WEEKDAYS_9_TO_5)
    data = stats_record(stats, NOW, hours=WEEKDAYS_9_TO_5)
    assert data["first_response_s"] == {"median": 18000.0, "p90": 35700.0}
    assert data["first_response_open_s"] == {"median": 300.0, "p90": 300.0}
    assert data["first_response_closed_s"] == {"median": 35700.0, "p90": 35700.0}
    keys = list(data)
    assert keys.index("first_response_open_s") == keys.index("first_response_s") + 1
    assert stats.asked_while_open(WEEKDAYS_9_TO_5) == 1


def test_without_hours_the_split_is_null(week: Week) -> None:
    data = stats_record(compute(week.store.history(), now=NOW, tz=UTC), NOW)
    assert data["first_response_open_s"] is None
    assert data["first_response_closed_s"] is None


def test_open_or_closed_is_read_on_the_local_clock_across_summer_time() -> None:
    """08:30 UTC is 08:30 in London on Friday 27 March (GMT: closed) and 09:30 on
    Monday 30 March (BST: open)."""
    friday = asked_then_resolved(
        datetime(2026, 3, 27, 8, 30, tzinfo=UTC), datetime(2026, 3, 27, 8, 40, tzinfo=UTC)
    )
    monday = asked_then_resolved(
        datetime(2026, 3, 30, 8, 30, tzinfo=UTC), datetime(2026, 3, 30, 8, 50, tzinfo=UTC)
    )
    stats = compute(
        [friday, monday], now=datetime(2026, 3, 31, tzinfo=UTC), tz=LONDON, hours=WEEKDAYS_9_TO_5
    )
    split = stats.first_response_by_opening(WEEKDAYS_9_TO_5)
    assert split["closed"]["median"] == 600
    assert split["open"]["median"] == 1200
