"""Channel health in words, the same on the dashboard and from ``askdesk channels``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from askdesk.desk.sync import ChannelHealth, flood
from askdesk.desk.views import format_age, format_ago


def _ago(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "never"
    return format_ago(now - then)


def _in(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "—"
    if then <= now:
        return "due now"
    age = format_age(then - now)
    return f"in {age}" if age != "now" else "in a moment"


def link_words(health: ChannelHealth, now: datetime) -> str:
    """A live channel's connection in words: ``connected``, ``reconnecting in 8 s``."""
    if health.link == "reconnecting" and health.retry_at is not None:
        seconds = max(0, round((health.retry_at - now).total_seconds()))
        return f"reconnecting in {seconds} s" if seconds else "reconnecting now"
    return health.link or "—"


def health_fields(health: ChannelHealth, now: datetime) -> dict[str, str]:
    """Column -> words: last good poll (or connection), next poll, calls left, last error..."""
    rate = "—"
    if health.rate_limit_remaining is not None:
        rate = f"{health.rate_limit_remaining} left"
        if health.rate_limit_reset is not None:
            rate += f", resets {_in(now, health.rate_limit_reset)}"
    live = health.link is not None
    return {
        "channel": f"{health.name} ({health.type})",
        "last good poll": _ago(now, health.last_ok),
        "next poll": link_words(health, now) if live else _in(now, health.next_poll),
        "rate limit": rate,
        "polled by": health.polled_by or "—",
        "last error": "; ".join([*_state(health), *filter(None, [health.note])]) or "—",
    }


def _state(health: ChannelHealth) -> list[str]:
    """What is wrong or unusual: a flood waiting at the source, the last error."""
    return [
        text
        for text in (
            flood(health.waiting) if health.waiting else "",
            health.last_error,
            set_aside(health.set_aside) if health.set_aside else "",
        )
        if text
    ]


def set_aside(count: int) -> str:
    """Automatic answers that were not questions, in words."""
    one = "auto-reply or bounce" if count == 1 else "auto-replies or bounces"
    return f"{count} {one} set aside"


def health_record(health: ChannelHealth) -> dict[str, Any]:
    """The JSON of ``askdesk channels --format json``."""
    return {"name": health.name, "type": health.type, **health.to_record()}


def summary(health: ChannelHealth, now: datetime) -> str:
    """One status-bar word per channel: ``webform ✓ 2m ago``, ``twitter ✗ rate limited``."""
    if health.waiting:
        return f"{health.name} ⚠ {flood(health.waiting)}"
    if health.link is not None and health.link != "connected":
        why = f": {health.last_error[:60]}" if health.last_error else ""
        return f"{health.name} ✗ {link_words(health, now)}{why}"
    if health.link == "connected":
        return f"{health.name} ✓ connected"
    if health.last_error:
        return f"{health.name} ✗ {health.last_error[:60]}"
    if health.last_ok:
        return f"{health.name} ✓ {_ago(now, health.last_ok)}"
    return f"{health.name} …"
