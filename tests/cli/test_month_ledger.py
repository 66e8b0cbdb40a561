"""November 2026 on a desk, against the ledger a reference coordinator keeps by hand.

Five staff on the team list, six patrons, three channels, a fixed clock, the
statistics time zone Europe/Berlin (UTC+1 all month), the library open Monday
to Thursday 9:00-17:00, Friday 9:00-15:00, Saturday 10:00-14:00. Everything happens
through the desk and the outbox as the screen and the command line do it;
``askdesk stats --format json`` and ``askdesk export`` must then give every
figure of the ledger below, which was worked out by hand (nothing in this file
computes a figure from the code under test).

====  =======  ==============================  ==============================================
 T    channel  asked (local)                   what staff did (local)
====  =======  ==============================  ==============================================
 T0   chat     Fri 30 Oct 10:00                ana resolves 10:10: October, outside the range
 T1   chat     Mon 2 Nov 10:00, P1             ana claims 10:01, resolves 10:02 without a
                                               reply: answered/directional/1, 1 min
 T2   email    Mon 2 Nov 23:30, P2 (night)     bo claims Tue 09:00, replies 09:20, resolves
                                               09:25 answered/research/4, 25 min, adult, main
 T3   chat     Wed 4 Nov 14:00, P3             cy claims 14:01, replies 14:05, resolves 14:10
                                               answered/ready-reference/2, 8 min, teen;
                                               "thanks!" 14:12, cy resolves 14:13
                                               no-reply-needed/other/1, 1 min: part of T3
 T4   social   Thu 5 Nov 11:00, P4 (direct)    dee claims 11:02, flags 11:03, replies 11:30,
                                               resolves 11:40 referred/policy/3, 20 min,
                                               adult, east
 T5   email    Fri 6 Nov 15:00, P5             eli claims 15:10, replies 15:50, resolves 16:00
                                               answered/other/2, 15 min; a week later, Fri 13
                                               10:00, ana reopens and corrects it to
                                               answered/research/5, 5 min, child
 T6   social   Mon 9 Nov 09:00, P6 (mention)   ana claims 09:05, replies 09:10, resolves 09:15
                                               answered/ready-reference/2, 5 min; bo (the
                                               supervisor) flags it at 12:00
 T7   chat     Tue 10 Nov 16:00, P1            bo resolves 16:30 without claiming or replying:
                                               declined/policy/1
 T8   email    Wed 11 Nov 10:00, P2            cy claims 10:05, replies 10:40, resolves 11:00
                                               referred/research/3, 30 min, adult
 T9   email    Thu 12 Nov 09:00, P2 again      (the same conversation: a new question)
                                               cy replies 09:30, resolves 09:45
                                               answered/ready-reference/2, 10 min
 T10  chat     Mon 16 Nov 13:00, P5            "Bo" (a desk from before the team list)
                                               resolves 13:20 answered/directional/1
 T11  social   Tue 17 Nov 10:00, P6 (direct)   ana claims 10:05 and hands it to dee 10:10;
                                               dee replies 10:30, resolves 10:35
                                               answered/readers-advisory/3, 12 min, main
 T12  chat     Mon 30 Nov 23:00, P4            eli resolves 23:50 answered/other/1
 T13  chat     Mon 30 Nov 23:55, P3            open at midnight; ana resolves Tue 1 Dec 00:10
 -    email    Sat 28 Nov 20:00, P3            still new
====  =======  ==============================  ==============================================

Asked for November (``--since 2026-11-01 --until 2026-11-30``) on Wed 2 Dec 09:00.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from askdesk import cli
from askdesk.channels.drop import DropFolderChannel
from askdesk.clock import FixedClock
from askdesk.config import Team
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.model import Kind, Message, Outcome, QuestionType
from askdesk.store import TinyDBStore

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=BERLIN)
TEAM = ("ana", "bo", "cy", "dee", "eli")
CONFIG = f"""
staff = "ana"

[library]
name = "Anytown Public Library"

[library.hours]
mon = "9:00-17:00"
tue = "9:00-17:00"
wed = "9:00-17:00"
thu = "9:00-17:00"
fri = "9:00-15:00"
sat = "10:00-14:00"

[stats]
timezone = "Europe/Berlin"

[[stats.fields]]
name = "patron_type"
choices = ["adult", "teen", "child"]

[[stats.fields]]
name = "branch"
choices = ["main", "east"]

[team]
members = {json.dumps(list(TEAM))}
"""
NOVEMBER = ("--since", "2026-11-01", "--until", "2026-11-30")
SECOND_HALF = ("--since", "2026-11-16", "--until", "2026-12-01")
A, D, E, R = Outcome.ANSWERED, Outcome.DECLINED, Outcome.NO_REPLY_NEEDED, Outcome.REFERRED
Q = QuestionType


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


class Month:
    """The desk of five staff and its channels, on one fixed clock."""

    def __init__(self, folder: Path) -> None:
        self.store = TinyDBStore(folder / "desk.json")
        self.clock = FixedClock(local(30, 9, month=10))
        team = Team(members=TEAM)
        self.desks = {name: Desk(self.store, name, self.clock, team=team) for name in TEAM}
        # A desk from before the team list, run as "Bo": what it recorded stays so.
        self.desks["Bo"] = Desk(self.store, "Bo", self.clock)
        self.senders = {
            name: DropFolderChannel(name, folder / name) for name in ("chat", "email", "social")
        }
        self.patron_messages = 0

    def at(self, when: datetime) -> None:
        self.clock.advance(seconds=(when - self.clock.now()).total_seconds())

    def asks(self, when: datetime, channel: str, kind: Kind, thread: str, patron: str) -> str:
        """A patron's message arrives (the channel's time is when it was sent)."""
        self.at(when)
        self.patron_messages += 1
        message = Message(
            channel=channel,
            remote_id=f"m{self.patron_messages}",
            kind=kind,
            author=patron,
            text=f"Question {self.patron_messages} from {patron}",
            received_at=when,
            conversation=thread,
        )
        self.desks["ana"].ingest([message])
        return f"{channel}:{thread}"

    def replies(self, when: datetime, staff: str, key: str) -> None:
        """Queued and sent by the outbox at once, through the drop folder channel."""
        self.at(when)
        outbox = Outbox(self.desks[staff], self.senders)
        outbox.queue(key, "Here is what we found.")
        assert [r.status.value for r in outbox.run_due()] == ["sent"]

    def resolves(
        self,
        when: datetime,
        staff: str,
        key: str,
        outcome: Outcome,
        question_type: QuestionType,
        read_level: int,
        minutes: int | None = None,
        **fields: str,
    ) -> None:
        self.at(when)
        self.desks[staff].resolve(
            key, outcome, question_type, read_level, time_spent_min=minutes, fields=fields
        )

    def does(self, when: datetime, staff: str, action: str, key: str, *args: str) -> None:
        self.at(when)
        getattr(self.desks[staff], action)(key, *args)


def build_november(folder: Path) -> Month:
    m = Month(folder)
    t0 = m.asks(local(30, 10, month=10), "chat", Kind.CHAT, "t0", "P1")
    m.resolves(local(30, 10, 10, month=10), "ana", t0, A, Q.POLICY, 1)

    t1 = m.asks(local(2, 10), "chat", Kind.CHAT, "t1", "P1")
    m.does(local(2, 10, 1), "ana", "claim", t1)
    m.resolves(local(2, 10, 2), "ana", t1, A, Q.DIRECTIONAL, 1, 1)

    t2 = m.asks(local(2, 23, 30), "email", Kind.EMAIL, "t2", "P2")
    m.does(local(3, 9), "bo", "claim", t2)
    m.replies(local(3, 9, 20), "bo", t2)
    m.resolves(local(3, 9, 25), "bo", t2, A, Q.RESEARCH, 4, 25, patron_type="adult", branch="main")

    t3 = m.asks(local(4, 14), "chat", Kind.CHAT, "t3", "P3")
    m.does(local(4, 14, 1), "cy", "claim", t3)
    m.replies(local(4, 14, 5), "cy", t3)
    m.resolves(local(4, 14, 10), "cy", t3, A, Q.READY_REFERENCE, 2, 8, patron_type="teen")
    m.asks(local(4, 14, 12), "chat", Kind.CHAT, "t3", "P3")  # "thanks!"
    m.resolves(local(4, 14, 13), "cy", t3, E, Q.OTHER, 1, 1)

    t4 = m.asks(local(5, 11), "social", Kind.DIRECT, "t4", "P4")
    m.does(local(5, 11, 2), "dee", "claim", t4)
    m.does(local(5, 11, 3), "dee", "flag", t4, "asks for another patron's record")
    m.replies(local(5, 11, 30), "dee", t4)
    m.resolves(local(5, 11, 40), "dee", t4, R, Q.POLICY, 3, 20, patron_type="adult", branch="east")

    t5 = m.asks(local(6, 15), "email", Kind.EMAIL, "t5", "P5")
    m.does(local(6, 15, 10), "eli", "claim", t5)
    m.replies(local(6, 15, 50), "eli", t5)
    m.resolves(local(6, 16), "eli", t5, A, Q.OTHER, 2, 15)

    t6 = m.asks(local(9, 9), "social", Kind.MENTION, "t6", "P6")
    m.does(local(9, 9, 5), "ana", "claim", t6)
    m.replies(local(9, 9, 10), "ana", t6)
    m.resolves(local(9, 9, 15), "ana", t6, A, Q.READY_REFERENCE, 2, 5)
    m.does(local(9, 12), "bo", "flag", t6, "review the tone of the reply")

    t7 = m.asks(local(10, 16), "chat", Kind.CHAT, "t7", "P1")
    m.resolves(local(10, 16, 30), "bo", t7, D, Q.POLICY, 1)

    t8 = m.asks(local(11, 10), "email", Kind.EMAIL, "t8", "P2")
    m.does(local(11, 10, 5), "cy", "claim", t8)
    m.replies(local(11, 10, 40), "cy", t8)
    m.resolves(local(11, 11), "cy", t8, R, Q.RESEARCH, 3, 30, patron_type="adult")
    m.asks(local(12, 9), "email", Kind.EMAIL, "t8", "P2")  # T9: a new question, same thread
    m.replies(local(12, 9, 30), "cy", t8)
    m.resolves(local(12, 9, 45), "cy", t8, A, Q.READY_REFERENCE, 2, 10)

    m.does(local(13, 10), "ana", "reopen", t5)  # T5's correction, a week later, by ana
    m.resolves(local(13, 10), "ana", t5, A, Q.RESEARCH, 5, 5, patron_type="child")

    t10 = m.asks(local(16, 13), "chat", Kind.CHAT, "t10", "P5")
    m.resolves(local(16, 13, 20), "Bo", t10, A, Q.DIRECTIONAL, 1)

    t11 = m.asks(local(17, 10), "social", Kind.DIRECT, "t11", "P6")
    m.does(local(17, 10, 5), "ana", "claim", t11)
    m.does(local(17, 10, 10), "ana", "hand_off", t11, "dee")
    m.replies(local(17, 10, 30), "dee", t11)
    m.resolves(local(17, 10, 35), "dee", t11, A, Q.READERS_ADVISORY, 3, 12, branch="main")

    m.asks(local(28, 20), "email", Kind.EMAIL, "waiting", "P3")
    t12 = m.asks(local(30, 23), "chat", Kind.CHAT, "t12", "P4")
    m.resolves(local(30, 23, 50), "eli", t12, A, Q.OTHER, 1)
    t13 = m.asks(local(30, 23, 55), "chat", Kind.CHAT, "t13", "P3")
    m.resolves(local(1, 0, 10, month=12), "ana", t13, A, Q.POLICY, 2)
    m.at(NOW)
    return m


# -- the ledger, by hand ------------------------------------------------------------------

COLUMNS = (
    "date", "time", "weekday", "channel", "kind", "question_type", "read_level", "outcome",
    "staff", "first_response_s", "resolve_s", "flagged", "messages", "time_spent_min",
    "asked_at", "resolved_at", "patron_type", "branch",
)  # fmt: skip
"""The export's columns but ``id`` (random; checked on its own), the library's fields last."""

LEDGER: list[tuple[Any, ...]] = [
    # T1: resolved without a reply, so the first response is the resolve
    ("2026-11-02", "10:02", "mon", "chat", "chat", "directional", 1, "answered",
     "ana", 120, 120, False, 1, 1,
     "2026-11-02T10:00:00+01:00", "2026-11-02T10:02:00+01:00", None, None),
    # T2: asked at night, answered in the morning
    ("2026-11-03", "09:25", "tue", "email", "email", "research", 4, "answered",
     "bo", 35400, 35700, False, 1, 25,
     "2026-11-02T23:30:00+01:00", "2026-11-03T09:25:00+01:00", "adult", "main"),
    # T3: the "thanks!" adds a message and its minute, nothing else
    ("2026-11-04", "14:10", "wed", "chat", "chat", "ready-reference", 2, "answered",
     "cy", 300, 600, False, 2, 9,
     "2026-11-04T14:00:00+01:00", "2026-11-04T14:10:00+01:00", "teen", None),
    # T4: flagged before the resolve
    ("2026-11-05", "11:40", "thu", "social", "direct", "policy", 3, "referred",
     "dee", 1800, 2400, True, 1, 20,
     "2026-11-05T11:00:00+01:00", "2026-11-05T11:40:00+01:00", "adult", "east"),
    # T5: corrected a week later by ana: type, READ, fields change; date and credit stay
    ("2026-11-06", "16:00", "fri", "email", "email", "research", 5, "answered",
     "eli", 3000, 3600, False, 1, 20,
     "2026-11-06T15:00:00+01:00", "2026-11-06T16:00:00+01:00", "child", None),
    # T6: the supervisor's flag after the resolve does not count
    ("2026-11-09", "09:15", "mon", "social", "mention", "ready-reference", 2, "answered",
     "ana", 600, 900, False, 1, 5,
     "2026-11-09T09:00:00+01:00", "2026-11-09T09:15:00+01:00", None, None),
    ("2026-11-10", "16:30", "tue", "chat", "chat", "policy", 1, "declined",
     "bo", 1800, 1800, False, 1, None,
     "2026-11-10T16:00:00+01:00", "2026-11-10T16:30:00+01:00", None, None),
    ("2026-11-11", "11:00", "wed", "email", "email", "research", 3, "referred",
     "cy", 2400, 3600, False, 1, 30,
     "2026-11-11T10:00:00+01:00", "2026-11-11T11:00:00+01:00", "adult", None),
    # T9: the patron's new question in the same conversation
    ("2026-11-12", "09:45", "thu", "email", "email", "ready-reference", 2, "answered",
     "cy", 1800, 2700, False, 1, 10,
     "2026-11-12T09:00:00+01:00", "2026-11-12T09:45:00+01:00", None, None),
    # T10: recorded as "Bo" before the team list, credited as listed
    ("2026-11-16", "13:20", "mon", "chat", "chat", "directional", 1, "answered",
     "bo", 1200, 1200, False, 1, None,
     "2026-11-16T13:00:00+01:00", "2026-11-16T13:20:00+01:00", None, None),
    # T11: handed from ana to dee, credited to dee who resolved it
    ("2026-11-17", "10:35", "tue", "social", "direct", "readers-advisory", 3, "answered",
     "dee", 1800, 2100, False, 1, 12,
     "2026-11-17T10:00:00+01:00", "2026-11-17T10:35:00+01:00", None, "main"),
    ("2026-11-30", "23:50", "mon", "chat", "chat", "other", 1, "answered",
     "eli", 3000, 3000, False, 1, None,
     "2026-11-30T23:00:00+01:00", "2026-11-30T23:50:00+01:00", None, None),
]  # fmt: skip

DAYS_WITH_ONE = {2, 3, 4, 5, 6, 9, 10, 11, 12, 16, 17, 30}
FIRST_RESPONSE_OF_DAY = {
    2: 120, 3: 35400, 4: 300, 5: 1800, 6: 3000, 9: 600,
    10: 1800, 11: 2400, 12: 1800, 16: 1200, 17: 1800, 30: 3000,
}  # fmt: skip


def hours(counts: dict[int, int]) -> dict[str, int]:
    return {str(h): counts.get(h, 0) for h in range(24)}


STATS: dict[str, Any] = {
    "since": "2026-11-01T00:00:00+01:00",
    "until": "2026-12-01T00:00:00+01:00",
    "timezone": "Europe/Berlin",
    # all but T1 and T10 (directional) and T7 (declined)
    "reference_transactions": 9,
    "transactions": 12,
    "by_channel": {"chat": 5, "email": 4, "social": 3},
    "by_kind": {"mention": 1, "direct": 2, "email": 4, "chat": 5, "sms": 0},
    "by_type": {
        "directional": 2,
        "ready-reference": 3,
        "research": 3,
        "policy": 2,
        "technical": 0,
        "readers-advisory": 1,
        "other": 1,
    },
    "by_outcome": {"answered": 9, "no-reply-needed": 0, "referred": 2, "declined": 1},
    "by_read": {"1": 4, "2": 3, "3": 3, "4": 1, "5": 1, "6": 0},
    "by_staff": {"ana": 2, "bo": 3, "cy": 3, "dee": 2, "eli": 2},
    "by_day": {f"2026-11-{d:02d}": int(d in DAYS_WITH_ONE) for d in range(1, 31)},
    "by_hour": hours({9: 3, 10: 2, 11: 2, 13: 1, 14: 1, 16: 2, 23: 1}),
    "by_weekday": {"mon": 4, "tue": 3, "wed": 2, "thu": 2, "fri": 1, "sat": 0, "sun": 0},
    "asked_by_hour": hours({9: 2, 10: 3, 11: 1, 13: 1, 14: 1, 15: 1, 16: 1, 23: 2}),
    "asked_by_weekday": {"mon": 5, "tue": 2, "wed": 2, "thu": 2, "fri": 1, "sat": 0, "sun": 0},
    # 120 300 600 1200 1800 1800 1800 1800 2400 3000 3000 35400: the 6th and 7th; the 11th
    "first_response_s": {"median": 1800.0, "p90": 3000.0},
    # Asked while open (Mon-Thu 9-17, Fri 9-15; the opening minute is open): T1 T3 T4 T6-T11,
    # 120 300 600 1200 1800 1800 1800 1800 2400: the 5th; the 9th
    "first_response_open_s": {"median": 1800.0, "p90": 2400.0},
    # asked while closed: T2 (Mon 23:30), T5 (Fri 15:00, the closing minute), T12 (Mon 23:00),
    # 3000 3000 35400
    "first_response_closed_s": {"median": 3000.0, "p90": 35400.0},
    # 120 600 900 1200 1800 2100 2400 2700 3000 3600 3600 35700
    "resolve_s": {"median": 2250.0, "p90": 3600.0},
    "first_response_by_day": {
        f"2026-11-{d:02d}": FIRST_RESPONSE_OF_DAY.get(d) for d in range(1, 31)
    },
    "flagged": 1,
    # 1 5 9 10 12 20 20 25 30, of the nine that recorded minutes
    "time_spent_min": {"total": 132, "median": 12.0},
    "by_field": {
        "patron_type": {"adult": 3, "teen": 1, "child": 1, "(none)": 7},
        "branch": {"main": 2, "east": 1, "(none)": 9},
    },
    # the Saturday email (28 Nov 20:00, 52 hours before midnight) and T13
    "backlog": {"open": 2, "oldest_s": 187200, "as_of": "2026-12-01T00:00:00+01:00"},
}


# -- the comparison -----------------------------------------------------------------------


@pytest.fixture
def month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Month:
    m = build_november(tmp_path)
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(NOW))
    return m


def cell(value: Any) -> str:
    """A ledger value as the CSV writes it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def run(month: Month, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    config = Path(month.store.location).with_name("askdesk.toml")
    config.write_text(CONFIG, encoding="utf-8")
    where = ["--store", month.store.location, "--config", str(config), "--as", "ana"]
    code = cli.main([*args, *where])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return out


def test_stats_give_every_figure_of_the_ledger(
    month: Month, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = json.loads(run(month, capsys, "stats", "--format", "json", *NOVEMBER))
    assert figures.pop("generated_at") == NOW.isoformat()
    assert figures == STATS
    assert list(figures)[3:5] == ["reference_transactions", "transactions"]


def test_the_export_gives_every_row_of_the_ledger(
    month: Month, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = json.loads(run(month, capsys, "export", "--format", "json", *NOVEMBER))
    ids = [row.pop("id") for row in rows]
    assert rows == [dict(zip(COLUMNS, entry, strict=True)) for entry in LEDGER]
    assert len(set(ids)) == len(LEDGER)
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)

    text = run(month, capsys, "export", *NOVEMBER)
    header, *cells = list(csv.reader(io.StringIO(text)))
    assert header[-5:] == ["id", "asked_at", "resolved_at", "patron_type", "branch"]
    by_name = [dict(zip(header, row, strict=True)) for row in cells]
    assert [row.pop("id") for row in by_name] == ids
    assert by_name == [
        {c: cell(v) for c, v in zip(COLUMNS, entry, strict=True)} for entry in LEDGER
    ]


def test_an_overlapping_export_has_the_same_ids(
    month: Month, capsys: pytest.CaptureFixture[str]
) -> None:
    """November's second half and 1 December share T10-T12 with November; T13 is new."""
    month_rows = json.loads(run(month, capsys, "export", "--format", "json", *NOVEMBER))
    later = json.loads(run(month, capsys, "export", "--format", "json", *SECOND_HALF))
    by_asked = {row["asked_at"]: row["id"] for row in month_rows}
    assert [row["asked_at"] for row in later] == [
        "2026-11-16T13:00:00+01:00",
        "2026-11-17T10:00:00+01:00",
        "2026-11-30T23:00:00+01:00",
        "2026-11-30T23:55:00+01:00",
    ]
    assert [row["id"] for row in later[:3]] == [by_asked[row["asked_at"]] for row in later[:3]]
    assert later[3]["id"] not in by_asked.values()
