"""The open time "minutes spent" proposes: views counted once, idle stretches capped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from askdesk.desk.time_spent import IDLE_CAP, TimeOnConversations

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_view_and_the_composer_over_it_count_once() -> None:
    spent = TimeOnConversations()
    spent.opened("web:1", at(0))  # the conversation's view
    spent.key_pressed(at(3))
    spent.opened("web:1", at(4))  # the composer, over the view
    spent.key_pressed(at(6))
    spent.closed("web:1", at(7))  # the composer sends and closes
    spent.closed("web:1", at(8))  # esc: back to the desk
    assert spent.minutes("web:1", at(30)) == 8  # nothing after it closed
    assert spent.minutes("web:2", at(30)) == 0


def test_a_stretch_without_a_key_counts_at_most_the_cap() -> None:
    spent = TimeOnConversations()
    spent.opened("web:1", at(0))
    spent.key_pressed(at(2))
    spent.key_pressed(at(62))  # back from lunch: the hour counts ten minutes
    assert timedelta(minutes=10) == IDLE_CAP
    assert spent.minutes("web:1", at(63)) == 2 + 10 + 1
    assert spent.minutes("web:1", at(200)) == 2 + 10 + 10  # still open, still capped


def test_a_glance_is_a_minute_and_a_resolve_starts_again() -> None:
    spent = TimeOnConversations()
    spent.opened("web:1", at(0))
    spent.closed("web:1", at(0.2))
    assert spent.minutes("web:1", at(1)) == 1
    spent.forget("web:1")
    assert spent.minutes("web:1", at(1)) == 0
    spent.opened("web:1", at(2))
    assert spent.minutes("web:1", at(5)) == 3
