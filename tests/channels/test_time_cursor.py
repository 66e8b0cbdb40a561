"""The time cursor Facebook and SMS keep between polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from askdesk.channels.base import Problem
from askdesk.channels.time_cursor import TimeCursor

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_a_first_run_starts_the_backfill_before_now() -> None:
    problems: list[Problem] = []
    cursor = TimeCursor.read(None, NOW, DAY, problems, "sms")
    assert cursor.oldest == NOW - DAY
    assert problems == []


def test_what_is_dumped_reads_back_the_same() -> None:
    kept = TimeCursor(start=NOW - DAY, since=NOW - timedelta(minutes=5))
    problems: list[Problem] = []
    assert TimeCursor.read(kept.dump(), NOW, DAY, problems, "facebook") == kept
    assert kept.oldest == NOW - timedelta(minutes=5)
    assert problems == []


@pytest.mark.parametrize(
    "stored",
    ["not json", '{"since": null}', '{"start": "2026-11-22T08:00:00"}', '{"start": 7}'],
)
def test_an_unreadable_cursor_reads_the_first_run_again_and_names_the_channel_type(
    stored: str,
) -> None:
    problems: list[Problem] = []
    cursor = TimeCursor.read(stored, NOW, DAY, problems, "facebook")
    assert cursor == TimeCursor(start=NOW - DAY)
    assert [p.where for p in problems] == ["facebook cursor"]
