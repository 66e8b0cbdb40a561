"""The demo feed: realistic patron questions arriving over a shift, with no account needed.

It is what runs when nothing is configured, what screenshots and tests use,
and what a new member of staff practises on. It is pure: the time comes from
``now`` and everything else from the cursor, so two processes that share a
store compute the same messages with the same remote ids (the store's
dedup makes a re-delivery harmless).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from askdesk.channels.base import Adapter, Fetched, Problem, Receipt
from askdesk.channels.options import Number, Options, poll_seconds
from askdesk.config import NumberRange
from askdesk.errors import ConfigError
from askdesk.model import Conversation, Kind, Message, Reply


@dataclass(frozen=True)
class _Item:
    """One scripted question; ``thread`` names its conversation within a cycle."""

    thread: str
    kind: Kind
    label: str
    author: str
    text: str
    url: str | None = None
    """A template: ``{id}`` becomes the message's remote id, so each cycle links elsewhere."""


# The order matters: the first five arrive together when the demo starts, and
# the continuation DM ("hold-move") must come after the message it continues.
SCRIPT: tuple[_Item, ...] = (
    _Item(
        "holiday-hours",
        Kind.MENTION,
        "twitter",
        "@marisol_reads",
        "@AnytownLibrary are you open on Monday for the holiday? I have a stack of books "
        "due and I'm leaving town Tuesday morning.",
        "https://example.org/twitter/marisol_reads/status/{id}",
    ),
    _Item(
        "renewal",
        Kind.EMAIL,
        "email",
        "jkim@example.org",
        "Hello,\n\nI tried to renew The Overstory online but the catalogue says "
        '"renewal limit reached". I\'m about 80 pages from the end. Is there any way '
        "to keep it another week? I'm happy to pay a fine if that's what it takes.\n\n"
        "Thanks,\nJ. Kim",
    ),
    _Item(
        "hold-move",
        Kind.DIRECT,
        "twitter",
        "@tomas_g",
        "Hi! My hold on Demon Copperhead says it's ready at the Eastside branch, but I "
        "picked Main Street when I placed it. I can't get to Eastside this week - can it "
        "be sent to Main?",
    ),
    _Item(
        "printing",
        Kind.CHAT,
        "chat",
        "guest-4821",
        "hi, is the printer on the 2nd floor working? I sent a job from my laptop and it "
        'just says "held" at the release station',
    ),
    _Item(
        "piranesi",
        Kind.MENTION,
        "mastodon",
        "@quietpages@mastodon.social",
        "Just finished Piranesi and I'm still thinking about it. Any recommendations "
        "for something similarly strange and quiet? Not horror, please.",
        "https://example.org/mastodon/@quietpages/{id}",
    ),
    _Item(
        "gift",
        Kind.DIRECT,
        "facebook",
        "Dana Whitfield",
        "My dad turns 80 next month and reads every Second World War history he can get "
        "his hands on. He's read all the Ambrose and Beevor. Any ideas for a book he "
        "probably hasn't seen? I'd like to buy it for him, not borrow it!",
    ),
    _Item(
        "card-signup",
        Kind.EMAIL,
        "email",
        "r.osei@example.net",
        "Hi there, I just moved to Anytown and would like a library card. I don't have "
        "a utility bill in my name yet, only my lease. Is that enough proof of address? "
        "Can I sign up online or do I need to come in?",
    ),
    _Item(
        "wifi-sarcasm",
        Kind.MENTION,
        "twitter",
        "@lukewarm_takes",
        '@AnytownLibrary love how the third-floor wifi "works". A bold experiment in '
        "patience. 10/10, would buffer again.",
        "https://example.org/twitter/lukewarm_takes/status/{id}",
    ),
    _Item(
        "hold-move",
        Kind.DIRECT,
        "twitter",
        "@tomas_g",
        "Sorry, one more thing: could it stay on the hold shelf until Saturday? I'm away "
        "until Friday night.",
    ),
    _Item(
        "ill",
        Kind.EMAIL,
        "email",
        "a.farouk@example.com",
        "Dear librarian,\n\nI'm writing a thesis on early Irish monasticism and need "
        "'Pastoral Care in Early Irish Law' (Four Courts Press). Your catalogue doesn't "
        "have it. Can you borrow it for me through interlibrary loan, and roughly how "
        "long would that take?\n\nBest regards,\nAhmed Farouk",
    ),
    _Item(
        "mill-fire",
        Kind.DIRECT,
        "mastodon",
        "@oldmillhistory@historians.social",
        "CW: family history, a fatal fire\n\n"
        "Do you hold anything on the Harlan Street mill fire of 1911? "
        "Newspaper accounts, photos, or a list of the workers who were there. My "
        "great-grandmother may have been one of them.",
        "https://example.org/mastodon/@oldmillhistory/{id}",
    ),
    _Item(
        "praise",
        Kind.MENTION,
        "twitter",
        "@bookish_brenna",
        "Shout-out to the children's librarian at @AnytownLibrary Eastside who got my "
        "six-year-old excited about chapter books. You folks are the best \N{YELLOW HEART}",
        "https://example.org/twitter/bookish_brenna/status/{id}",
    ),
    _Item(
        "fine-rant",
        Kind.MENTION,
        "facebook",
        "Gary Pruitt",
        "You people are a JOKE. Fined me for a book I RETURNED. Thieves, every one of "
        "you. I'll be at the board meeting to tell everyone what a useless waste of tax "
        "money this place is. Don't bother with your canned garbage reply.",
        "https://example.org/facebook/anytownlibrary/posts/{id}",
    ),
    _Item(
        "wifi-password",
        Kind.CHAT,
        "chat",
        "guest-5190",
        "how do I get on the wifi? the network is AnytownPublic but it's asking for a password",
    ),
    _Item(
        "museum-pass",
        Kind.EMAIL,
        "email",
        "m.lindqvist@example.org",
        "Can I renew the science museum pass I borrowed on Saturday, or do passes go "
        "back after a week no matter what? We didn't get to go because of the snow.",
    ),
    _Item(
        "book-drop",
        Kind.DIRECT,
        "twitter",
        "@nightshift_nurse",
        "Are the outside book drops open overnight? I work nights and can only get "
        "there around 3am.",
    ),
    _Item(
        "teen-reader",
        Kind.MENTION,
        "mastodon",
        "@jo_writes@writing.exchange",
        "My 14yo refuses to read anything that feels assigned. Loves "
        "Minecraft and scary stuff. Ideas that won't feel like homework?",
        "https://example.org/mastodon/@jo_writes/{id}",
    ),
    _Item(
        "phone-print",
        Kind.CHAT,
        "chat",
        "guest-6033",
        "can I print from my phone?? I need my boarding pass printed in the next 20 minutes",
    ),
    _Item(
        "room-booking",
        Kind.EMAIL,
        "email",
        "pta.secretary@example.org",
        "Hello, could the Lincoln Elementary PTA book the community room for a meeting "
        "on a Thursday evening next month? About 30 people. Is there a fee for non-profit "
        "groups?",
    ),
    _Item(
        "storytime",
        Kind.MENTION,
        "facebook",
        "Sam Ortiz",
        "Is Saturday story time still on at Main this week, or is it moved because of "
        "the book sale?",
        "https://example.org/facebook/anytownlibrary/posts/{id}",
    ),
    _Item(
        "text-renewal",
        Kind.SMS,
        "sms",
        "+15555550147",
        "hi this is for card ending 2231, can u renew my books? due tmrw & i'm sick",
    ),
    # As the bluesky channel brings them: a post's text as written (the @-mention of the
    # library included), its author's @handle, and a chat as a direct message.
    _Item(
        "seed-library",
        Kind.MENTION,
        "bluesky",
        "@gardenvariety.bsky.social",
        "@anytownlibrary.bsky.social does the seed library have tomato seeds yet? \N{SEEDLING} "
        "Saw it mentioned at https://anytownlibrary.example.org/seeds but the page is empty.",
        "https://example.org/bluesky/profile/gardenvariety.bsky.social/post/{id}",
    ),
    _Item(
        "genealogy",
        Kind.DIRECT,
        "bluesky",
        "@harlan-roots.bsky.social",
        "Hi! Do you still have the Ancestry terminals in the local history room, and do I "
        "need to book one?",
    ),
)

FIRST_BATCH_AGES = (
    timedelta(minutes=72),
    timedelta(minutes=24),
    timedelta(minutes=15),
    timedelta(minutes=7),
    timedelta(minutes=2),
)
"""How long ago the first questions arrived: a desk mid-shift, one of them overdue."""

MAX_BACKLOG = 5
"""Questions missed while no one polled that are delivered late; beyond it the script pauses."""


class DemoChannel:
    """Patron questions from ``SCRIPT``: five at once, then one every ``interval_seconds``.

    The cursor is ``{"started": ISO time, "delivered": count}``. Item ``n``
    (counting from 0 over every cycle of the script) has remote id
    ``d{n+1:04d}``; after the first five it is due at
    ``started + (n - 4) * interval``. When the desk was closed for longer than
    ``MAX_BACKLOG`` intervals, ``started`` moves forward so the next question
    arrives now instead of a night's worth at once.
    """

    type: str = "demo"
    can_send_private = True

    def __init__(
        self, name: str = "demo", poll_seconds: float = 2, interval_seconds: float = 40
    ) -> None:
        if poll_seconds <= 0 or interval_seconds <= 0:
            raise ConfigError(
                f"channel {name!r}: poll_seconds and interval_seconds must be more than 0"
            )
        self.name = name
        self.poll_seconds = float(poll_seconds)
        self.interval_seconds = float(interval_seconds)

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """Nobody is listening: the reply is recorded in the store and nowhere else."""
        del now
        return Receipt(remote_id=f"demo-{conversation.latest.remote_id}-{reply.id[:8]}")

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        state = _read_cursor(cursor) if cursor is not None else None
        if cursor is not None and state is None:
            problems.append(
                Problem("demo cursor", f"could not read {cursor!r}; the demo starts again")
            )
        started, delivered = state if state is not None else (now, 0)
        interval = timedelta(seconds=self.interval_seconds)
        first = len(FIRST_BATCH_AGES)
        elapsed = (now - started) / interval
        due = first + max(0, math.floor(elapsed))
        if delivered >= first and due - delivered > MAX_BACKLOG:
            # Shift the schedule so item ``delivered`` is due exactly now.
            started = now - (delivered - first + 1) * interval
            due = delivered + 1
        messages = [
            self._message(n, self._due_at(n, started, interval)) for n in range(delivered, due)
        ]
        new_cursor = json.dumps(
            {"started": started.isoformat(), "delivered": max(due, delivered)}, sort_keys=True
        )
        return Fetched(messages=messages, cursor=new_cursor, problems=problems)

    @staticmethod
    def _due_at(n: int, started: datetime, interval: timedelta) -> datetime:
        first = len(FIRST_BATCH_AGES)
        if n < first:
            return started - FIRST_BATCH_AGES[n]
        return started + (n - first + 1) * interval

    def _message(self, n: int, received_at: datetime) -> Message:
        item = SCRIPT[n % len(SCRIPT)]
        cycle = n // len(SCRIPT) + 1
        remote_id = f"d{n + 1:04d}"
        return Message(
            channel=self.name,
            remote_id=remote_id,
            kind=item.kind,
            author=item.author,
            text=item.text,
            received_at=received_at,
            conversation=f"demo{cycle}-{item.thread}",
            url=item.url.format(id=remote_id) if item.url else None,
            label=item.label,
        )


def _read_cursor(cursor: str) -> tuple[datetime, int] | None:
    """``(started, delivered)`` from a saved cursor, or None when it is not one of ours."""
    try:
        data = json.loads(cursor)
        started = datetime.fromisoformat(data["started"])
        delivered = data["delivered"]
    except (ValueError, TypeError, KeyError):
        return None
    if started.tzinfo is None or not isinstance(delivered, int) or delivered < 0:
        return None
    return started, delivered


def _build(name: str, options: Options) -> DemoChannel:
    return DemoChannel(
        name=name,
        poll_seconds=options.number("poll_seconds"),
        interval_seconds=options.number("interval_seconds"),
    )


ADAPTER = Adapter(
    type="demo",
    options=(
        Number(
            "interval_seconds",
            "seconds between demo questions (a number > 0)",
            default=40,
            allowed=NumberRange(0, 24 * 3600, "seconds", low_allowed=False),
        ),
        poll_seconds(default=2),
    ),
    build=_build,
)
