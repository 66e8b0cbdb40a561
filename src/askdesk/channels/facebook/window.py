"""Messenger's reply windows in words: 24 hours after the patron's last message, 7 with a tag.

A Page may answer a person only within 24 hours of their last message; with
the ``HUMAN_AGENT`` tag (a permission Meta grants on request) a person on
the Page's staff may answer within 7 days. The composer shows the time left,
and the refusal here is the one sentence the composer, ``askdesk reply``,
the send and Meta's own error 10/2018278 all show.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from askdesk.channels.base import ReplyWindow

STANDARD = timedelta(hours=24)
HUMAN_AGENT = timedelta(days=7)


def span(delta: timedelta) -> str:
    """``3 d 2 h``, ``5 h 12 min``, ``8 min``: how people say a stretch of time."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def closed(last: datetime, now: datetime, human_agent: bool) -> str:
    """Why no reply can go: the window the Page has is over."""
    window = "7-day human agent window" if human_agent else "24-hour reply window"
    since = span(now - last)
    return (
        f"Messenger's {window} closed: the patron last wrote {since} ago "
        f"({last:%Y-%m-%d %H:%M} UTC), so Facebook takes no reply until they write again"
    )


def reply_window(last: datetime, now: datetime, human_agent: bool) -> ReplyWindow:
    """The window after the patron's last message ``last``, as of ``now``."""
    left = last + STANDARD - now
    if left > timedelta(0):
        return ReplyWindow(note=f"{span(left)} left of Messenger's 24-hour reply window")
    if not human_agent:
        return ReplyWindow(refusal=closed(last, now, human_agent=False))
    left = last + HUMAN_AGENT - now
    if left > timedelta(0):
        return ReplyWindow(
            note=f"past Messenger's 24 hours: goes with the HUMAN_AGENT tag, {span(left)} left"
        )
    return ReplyWindow(refusal=closed(last, now, human_agent=True))


def tagged(last: datetime, now: datetime) -> bool:
    """Whether a reply now needs the ``HUMAN_AGENT`` tag (past 24 hours)."""
    return now - last >= STANDARD
