"""A week on the desk with a known answer for every statistic (UTC; 2026-11-16 is a Monday).

=====  ==========================================================  =========  ==========
 conv   what happens                                                first      resolve
                                                                    response   (s)
=====  ==========================================================  =========  ==========
 A      twitter mention Mon 09:00; ana claims 09:05, resolves       1200       1200
        09:20 answered/directional/READ 1
 B      drop (webform, then email) Mon 10:00, DM thread; bo claims  3600       82800
        10:30, flags 10:40 and clears it 10:50, replies 11:00;
        patron writes again Tue 08:00 (other channel, next day);
        bo resolves Tue 09:00 referred/research/READ 4
 C      web direct Tue 12:00; ana resolves 12:10 answered/policy/2  600        600
        patron writes again Wed 09:00 (reopen: a new transaction);  1800       1800
        ana resolves Wed 09:30 answered/policy/1
 D      web chat Wed 10:00; ana resolves 10:05 as other/1, reopens  300        300
        10:10 (staff: a correction), resolves 10:20
        answered/ready-reference/2: one transaction of 10:05
 E      web direct Thu 08:00, still new                             backlog
 F      web direct Thu 09:00, claimed by bo                         backlog
=====  ==========================================================  =========  ==========

Now is Thu 2026-11-19 12:00.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from askdesk.clock import FixedClock
from askdesk.desk import Desk
from askdesk.model import Event, Kind, Message, Outcome, QuestionType
from askdesk.store import Store, TinyDBStore

MON = datetime(2026, 11, 16, tzinfo=UTC)
NOW = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)

PATRON_STRINGS = (
    "Ada Quillfeather",
    "@quillfeather",
    "ada.q@example.org",
    "+44 7700 900123",
    "12 Larkspur Lane",
    "https://social.example/@quillfeather/1",
    "dm-4711-patron",
    "When are you open?",
    "1931 survey maps",
    "One more thing",
)
"""What identifies the patron of A-D; anonymizing them must leave none of it on disk."""
OPEN_PATRON = "Bex Stillwaiting"
"""The patron of E and F, which are open and keep their details."""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` 0 is Monday."""
    return MON.replace(day=16 + day, hour=hour, minute=minute)


def message(
    channel: str,
    remote_id: str,
    when: datetime,
    *,
    kind: Kind = Kind.DIRECT,
    text: str = "When are you open?",
    author: str = "Ada Quillfeather",
    conversation: str | None = None,
    url: str | None = None,
    label: str | None = None,
) -> Message:
    return Message(
        channel=channel,
        remote_id=remote_id,
        kind=kind,
        author=author,
        text=text,
        received_at=when,
        conversation=conversation,
        url=url,
        label=label,
    )


@dataclass
class Week:
    store: Store
    clock: FixedClock
    ana: Desk
    bo: Desk
    keys: dict[str, str]


def build_week(path: Path) -> Week:
    return build_week_on(TinyDBStore(path))


def build_week_on(store: Store) -> Week:
    """The week on any store (a PostgreSQL one too)."""
    clock = FixedClock(at(0, 9))
    ana, bo = Desk(store, "ana", clock), Desk(store, "bo", clock)
    keys: dict[str, str] = {}

    def when(t: datetime) -> None:
        clock.advance(seconds=(t - clock.now()).total_seconds())

    # A
    when(at(0, 9))
    ana.ingest(
        [
            message(
                "twitter",
                "1001",
                at(0, 9),
                kind=Kind.MENTION,
                author="@quillfeather",
                text="@library are you open Sunday? I'm at 12 Larkspur Lane",
                url="https://social.example/@quillfeather/1",
            )
        ]
    )
    keys["A"] = "twitter:1001"
    when(at(0, 9, 5))
    ana.claim(keys["A"])
    when(at(0, 9, 20))
    ana.resolve(keys["A"], Outcome.ANSWERED, QuestionType.DIRECTIONAL, 1)

    # B: one DM thread, two real channels behind the drop folder, two days
    when(at(0, 10))
    bo.ingest(
        [
            message(
                "drop",
                "b1",
                at(0, 10),
                kind=Kind.EMAIL,
                conversation="dm-4711-patron",
                text="Can you find the 1931 survey maps? Call me on +44 7700 900123",
                author="ada.q@example.org",
                label="webform",
            )
        ]
    )
    keys["B"] = "drop:dm-4711-patron"
    when(at(0, 10, 30))
    bo.claim(keys["B"])
    when(at(0, 10, 40))
    bo.flag(keys["B"], "check policy on map copying")
    when(at(0, 10, 50))
    bo.unflag(keys["B"])
    when(at(0, 11))
    store.update(
        keys["B"],
        lambda c: replace(
            c,
            events=(
                *c.events,
                Event(
                    at(0, 11),
                    "bo",
                    "reply",
                    {"text": "Hello Ada Quillfeather, we have them", "to": "ada.q@example.org"},
                ),
            ),
        ),
    )
    when(at(1, 8))
    bo.ingest(
        [
            message(
                "drop",
                "b2",
                at(1, 8),
                kind=Kind.EMAIL,
                conversation="dm-4711-patron",
                text="Thanks! Could you post them to 12 Larkspur Lane?",
                author="ada.q@example.org",
                label="email",
            )
        ]
    )
    when(at(1, 8, 30))
    bo.note(keys["B"], "Ada Quillfeather rang as well")
    when(at(1, 9))
    bo.resolve(keys["B"], Outcome.REFERRED, QuestionType.RESEARCH, 4)

    # C: the patron writes again after the resolve: two transactions
    when(at(1, 12))
    ana.ingest([message("web", "c1", at(1, 12), conversation="c-thread")])
    keys["C"] = "web:c-thread"
    when(at(1, 12, 10))
    ana.resolve(keys["C"], Outcome.ANSWERED, QuestionType.POLICY, 2)
    when(at(2, 9))
    ana.ingest([message("web", "c2", at(2, 9), conversation="c-thread", text="One more thing")])
    when(at(2, 9, 30))
    ana.resolve(keys["C"], Outcome.ANSWERED, QuestionType.POLICY, 1)

    # D: staff reopen to correct the resolve: one transaction
    when(at(2, 10))
    ana.ingest([message("web", "d1", at(2, 10), kind=Kind.CHAT)])
    keys["D"] = "web:d1"
    when(at(2, 10, 5))
    ana.resolve(keys["D"], Outcome.ANSWERED, QuestionType.OTHER, 1)
    when(at(2, 10, 10))
    ana.reopen(keys["D"])
    when(at(2, 10, 20))
    ana.resolve(keys["D"], Outcome.ANSWERED, QuestionType.READY_REFERENCE, 2)

    # E and F: the backlog
    when(at(3, 8))
    ana.ingest([message("web", "e1", at(3, 8), author=OPEN_PATRON, text="Still waiting")])
    keys["E"] = "web:e1"
    when(at(3, 9))
    ana.ingest([message("web", "f1", at(3, 9), author=OPEN_PATRON, text="Still waiting")])
    keys["F"] = "web:f1"
    bo.claim(keys["F"])

    when(NOW)
    return Week(store=store, clock=clock, ana=ana, bo=bo, keys=keys)
