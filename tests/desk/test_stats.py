"""Every statistic on a week whose answers are known (``statsweek``), with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from askdesk.desk.stats import (
    compute,
    format_duration,
    percentiles,
    resolved_in,
    stats_record,
)
from askdesk.model import Conversation, Event, Kind, Outcome, QuestionType, Resolution, Status
from askdesk.model.transactions import transactions_of
from askdesk.model.transitions import PATRON
from tests.desk.statsweek import NOW, Week, at, build_week, message


@pytest.fixture
def week(tmp_path: Path) -> Week:
    return build_week(tmp_path / "desk.json")


def record(week: Week, **kwargs: datetime | None) -> dict[str, object]:
    stats = compute(week.store.history(), now=NOW, tz=UTC, **kwargs)
    return stats_record(stats, generated_at=NOW)


def test_a_transaction_is_a_resolved_episode(week: Week) -> None:
    """A, B (two messages, two days, two channels) once each; C twice; D once; E, F none."""
    data = record(week)
    assert data["transactions"] == 5
    counted = {k: len(transactions_of(week.store.get(v))) for k, v in week.keys.items()}
    assert counted == {"A": 1, "B": 1, "C": 2, "D": 1, "E": 0, "F": 0}


def test_counts_by_channel_kind_type_outcome_read_and_staff(week: Week) -> None:
    data = record(week)
    assert data["by_channel"] == {"drop": 1, "twitter": 1, "web": 3}
    assert data["by_kind"] == {"mention": 1, "direct": 2, "email": 1, "chat": 1, "sms": 0}
    assert data["by_type"] == {
        "directional": 1,
        "ready-reference": 1,
        "research": 1,
        "policy": 2,
        "technical": 0,
        "readers-advisory": 0,
        "other": 0,
    }
    assert data["by_outcome"] == {
        "answered": 4,
        "no-reply-needed": 0,
        "referred": 1,
        "declined": 0,
    }
    assert data["by_read"] == {"1": 2, "2": 2, "3": 0, "4": 1, "5": 0, "6": 0}
    assert data["by_staff"] == {"ana": 4, "bo": 1}


def test_counts_by_hour_weekday_and_day(week: Week) -> None:
    data = record(week)
    by_hour = data["by_hour"]
    assert isinstance(by_hour, dict)
    assert {h: n for h, n in by_hour.items() if n} == {"9": 3, "10": 1, "12": 1}
    assert list(by_hour) == [str(h) for h in range(24)]
    assert data["by_weekday"] == {
        "mon": 1,
        "tue": 2,
        "wed": 2,
        "thu": 0,
        "fri": 0,
        "sat": 0,
        "sun": 0,
    }
    assert data["by_day"] == {
        "2026-11-16": 1,
        "2026-11-17": 2,
        "2026-11-18": 2,
        "2026-11-19": 0,
    }


def test_first_response_and_resolve_times(week: Week) -> None:
    """First responses 300 600 1200 1800 3600; resolves 300 600 1200 1800 82800.

    B's first response is bo's reply, not the resolve a day later; D's first
    response and resolve are its first resolve, before staff reopened it to
    correct the question type.
    """
    data = record(week)
    assert data["first_response_s"] == {"median": 1200.0, "p90": 3600.0}
    assert data["resolve_s"] == {"median": 1200.0, "p90": 82800.0}
    by_staff = {
        (t.staff, t.question_type.value): (t.first_response_s, t.resolve_s, t.messages)
        for k in week.keys.values()
        for t in transactions_of(week.store.get(k))
    }
    assert by_staff[("bo", "research")] == (3600, 82800, 2)
    assert by_staff[("ana", "ready-reference")] == (300, 300, 1)


def test_flagged_counts_a_flag_that_was_cleared(week: Week) -> None:
    assert record(week)["flagged"] == 1


def test_backlog_is_what_is_open_and_how_long_the_oldest_has_waited(week: Week) -> None:
    assert record(week)["backlog"] == {"open": 2, "oldest_s": 4 * 3600, "as_of": NOW.isoformat()}


def test_a_range_selects_by_when_resolved_and_counts_the_backlog_at_its_end(week: Week) -> None:
    tuesday = record(week, since=at(1, 0), until=at(2, 0))
    assert tuesday["transactions"] == 2  # B (asked Monday) and C's first
    assert tuesday["by_staff"] == {"ana": 1, "bo": 1}
    assert tuesday["by_day"] == {"2026-11-17": 2}
    assert tuesday["backlog"] == {"open": 0, "oldest_s": None, "as_of": at(2, 0).isoformat()}
    monday = record(week, since=at(0, 0), until=at(1, 0))
    assert monday["transactions"] == 1
    # At midnight B had waited since 10:00 and C, D, E, F had not arrived.
    assert monday["backlog"] == {"open": 1, "oldest_s": 14 * 3600, "as_of": at(1, 0).isoformat()}


def test_the_same_range_gives_the_same_json_apart_from_generated_at(week: Week) -> None:
    first = stats_record(
        compute(week.store.history(), now=NOW, tz=UTC, since=at(0, 0), until=at(3, 0)), NOW
    )
    week.clock.advance(hours=30)
    later = week.clock.now()
    second = stats_record(
        compute(week.store.history(), now=later, tz=UTC, since=at(0, 0), until=at(3, 0)), later
    )
    assert first.pop("generated_at") != second.pop("generated_at")
    assert first == second


def test_json_has_every_documented_field(week: Week) -> None:
    data = record(week)
    for field in (
        "transactions",
        "by_channel",
        "by_kind",
        "by_type",
        "by_outcome",
        "by_read",
        "by_staff",
        "by_hour",
        "by_weekday",
        "first_response_s",
        "resolve_s",
        "flagged",
        "backlog",
        "generated_at",
    ):
        assert field in data


def test_hours_and_days_are_in_the_statistics_time_zone(week: Week) -> None:
    """In New York (UTC-5 in November) A was resolved at 04:20 on Monday."""
    stats = compute(week.store.history(), now=NOW, tz=ZoneInfo("America/New_York"))
    assert stats.count_by("hour")["4"] == 3  # A 09:20Z, B 09:00Z, C again 09:30Z
    late = compute(
        [_resolved_at(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))],
        now=NOW,
        tz=ZoneInfo("America/New_York"),
    )
    assert late.count_by("weekday")["mon"] == 1
    # An open range runs from the first transaction's day to today.
    assert late.count_by("day") == {
        "2026-11-16": 1,
        "2026-11-17": 0,
        "2026-11-18": 0,
        "2026-11-19": 0,
    }


def test_a_day_range_follows_the_local_midnight() -> None:
    ny = ZoneInfo("America/New_York")
    since = datetime(2026, 11, 16, tzinfo=ny)
    until = datetime(2026, 11, 17, tzinfo=ny)
    inside = _resolved_at(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))  # Monday 21:00 there
    outside = _resolved_at(datetime(2026, 11, 17, 6, 0, tzinfo=UTC))  # Tuesday 01:00 there
    stats = compute([inside, outside], now=NOW, tz=ny, since=since, until=until)
    assert stats.transaction_count == 1


def test_a_conversation_across_channels_counts_once_under_where_it_started() -> None:
    """Messages on two channels and three days are one transaction of the first channel."""
    first = message("twitter", "t1", at(0, 22), kind=Kind.DIRECT)
    second = message("email", "m2", at(1, 9), kind=Kind.EMAIL)
    third = message("email", "m3", at(2, 9), kind=Kind.EMAIL)
    resolved = at(2, 10)
    conversation = Conversation(
        key="twitter:t1",
        channel="twitter",
        kind=Kind.DIRECT,
        messages=(first, second, third),
        status=Status.RESOLVED,
        holder="ana",
        resolutions=(Resolution(resolved, "ana", Outcome.ANSWERED, QuestionType.RESEARCH, 3),),
        events=(
            Event(at(0, 22), PATRON, "arrive", {"message": first.key}),
            Event(at(1, 9), PATRON, "follow-up", {"message": second.key}),
            Event(at(1, 10), "ana", "reply", {}),
            Event(at(2, 9), PATRON, "follow-up", {"message": third.key}),
            Event(resolved, "ana", "resolve", {}),
        ),
    )
    (t,) = resolved_in([conversation], None, None)
    stats = compute([conversation], now=NOW, tz=UTC)
    assert (t.channel, t.messages) == ("twitter", 3)
    assert t.first_response_s == 12 * 3600
    assert t.resolve_s == 36 * 3600
    assert stats.count_by("channel") == {"twitter": 1}


def test_an_empty_store_has_no_figures(tmp_path: Path) -> None:
    data = stats_record(compute([], now=NOW, tz=UTC), NOW)
    assert data["transactions"] == 0
    assert data["first_response_s"] == {"median": None, "p90": None}
    assert data["backlog"] == {"open": 0, "oldest_s": None, "as_of": NOW.isoformat()}
    assert data["by_day"] == {}


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([5], 5, 5),
        ([1, 2], 1.5, 2),
        (list(range(1, 11)), 5.5, 9),
        (list(range(1, 12)), 6, 10),
    ],
)
def test_median_and_nearest_rank_p90(values: list[int], median: float, p90: float) -> None:
    assert percentiles(values) == {"median": median, "p90": p90}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (45, "45s"), (270, "4m 30s"), (7500, "2h 05m"), (273600, "3d 4h")],
)
def test_durations_for_people(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def _resolved_at(when: datetime) -> Conversation:
    asked = when - timedelta(minutes=10)
    m = message("web", f"r{when:%d%H}", asked)
    return Conversation(
        key=m.key,
        channel="web",
        kind=Kind.DIRECT,
        messages=(m,),
        status=Status.RESOLVED,
        holder="ana",
        resolutions=(Resolution(when, "ana", Outcome.ANSWERED, QuestionType.OTHER, 1),),
        events=(
            Event(asked, PATRON, "arrive", {"message": m.key}),
            Event(when, "ana", "resolve", {}),
        ),
    )
