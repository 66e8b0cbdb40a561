"""A fortnight of a busy desk, the same every time: two stores' statistics are compared on it.

Two hundred questions from 2026-10-22 to 2026-11-05 (Europe ends summer time
on 25 October, the United States on 1 November, so local days and hours
shift in the middle), at any minute of the day and night, on four channels,
by five staff: replies, flags before and after the resolve, corrections a
day later by a colleague, "thanks" follow-ups closed as no reply needed and
follow-ups that are new questions, minutes spent on some resolves, the
library's own fields answered, left out, or answered with a choice since
dropped (``annex``), and a tail still open at the end.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial

from askdesk.model import Conversation, Event, Kind, Message, Outcome, QuestionType
from askdesk.model import transitions as t
from askdesk.store import Change, Store

START = datetime(2026, 10, 22, 0, 0, tzinfo=UTC)
END = datetime(2026, 11, 5, 0, 0, tzinfo=UTC)
NOW = END + timedelta(hours=6)
STAFF = ("ana", "bo", "cy", "dee", "ed")
CHANNELS = (("twitter", Kind.MENTION), ("mail", Kind.EMAIL), ("chat", Kind.CHAT), ("sms", Kind.SMS))
FIELDS_TOML = """
[[stats.fields]]
name = "patron_type"
choices = ["adult", "teen", "child"]

[[stats.fields]]
name = "branch"
choices = ["main", "east"]
"""
FIELD_NAMES = ("patron_type", "branch")
HOURS = {
    "mon": "9:30-20:00",
    "tue": "9:30-20:00",
    "wed": "9:30-12:45, 13:15-20:00",
    "thu": "9:30-20:00",
    "fri": "9:30-24:00",
    "sat": "0:00-1:30, 10:00-16:00",
}
"""``[library] hours``: on the half hour, a day in two, Friday into Saturday, Sunday closed."""
HOURS_TOML = "hours = { " + ", ".join(f'{d} = "{h}"' for d, h in HOURS.items()) + " }"


def _message(channel: str, kind: Kind, remote_id: str, thread: str, at: datetime) -> Message:
    return Message(
        channel=channel,
        remote_id=remote_id,
        kind=kind,
        author="@patron",
        text=f"Question {remote_id}",
        received_at=at,
        conversation=thread,
    )


def _reply(staff: str, at: datetime) -> Change:
    def change(c: Conversation) -> Conversation:
        return replace(c, events=(*c.events, Event(at, staff, "reply", {})))

    return change


def fill(store: Store, questions: int = 200, seed: int = 16) -> None:
    rng = random.Random(seed)
    span = int((END - START).total_seconds())
    for n in range(questions):
        channel, kind = rng.choice(CHANNELS)
        thread = f"q{n}"
        key = f"{channel}:{thread}"
        at = START + timedelta(seconds=rng.randrange(span))

        def later(most_s: int) -> datetime:
            nonlocal at
            at += timedelta(seconds=rng.randrange(30, most_s))
            return at

        store.ingest([_message(channel, kind, f"{thread}-1", thread, at)], at)
        staff = rng.choice(STAFF)
        if rng.random() < 0.6:
            store.update(key, partial(t.claim, staff=staff, at=later(3600)))
        if rng.random() < 0.2:
            store.update(key, partial(t.flag, staff=staff, at=later(600), reason="check"))
            if rng.random() < 0.5:
                store.update(key, partial(t.unflag, staff=staff, at=later(600)))
        if rng.random() < 0.6:
            store.update(key, _reply(staff, later(7200)))
        if rng.random() < 0.1:
            continue  # still open at the end: the backlog
        _resolve(store, rng, key, staff, later(rng.choice((600, 6 * 3600, 40 * 3600))))
        roll = rng.random()
        if roll < 0.15:  # a colleague corrects it the next day
            colleague = rng.choice(STAFF)
            store.update(key, partial(t.reopen, staff=colleague, at=later(86400)))
            _resolve(store, rng, key, colleague, later(600))
        elif roll < 0.35:  # the patron writes again: "thanks!", or a new question
            store.ingest([_message(channel, kind, f"{thread}-2", thread, later(86400))], at)
            thanks = rng.random() < 0.5
            _resolve(store, rng, key, rng.choice(STAFF), later(7200), thanks=thanks)
        if rng.random() < 0.1:  # a supervisor's flag after the resolve
            store.update(key, partial(t.flag, staff="ana", at=later(3600), reason="review"))


def _resolve(
    store: Store, rng: random.Random, key: str, staff: str, at: datetime, thanks: bool = False
) -> None:
    fields: dict[str, str] = {}
    if rng.random() < 0.7:
        fields["patron_type"] = rng.choice(("adult", "teen", "child"))
    if rng.random() < 0.6:
        fields["branch"] = rng.choice(("main", "east", "annex"))
    outcome = Outcome.NO_REPLY_NEEDED if thanks else rng.choice(list(Outcome))
    question = rng.choice(list(QuestionType))
    level = rng.randint(1, 6)
    minutes = rng.choice((None, None, 5, 10, 15, 40))
    store.update(
        key,
        lambda c: t.resolve(
            c, staff, at, outcome, question, level, time_spent_min=minutes, fields=fields
        ),
    )
