"""Realistic askdesk stores of a given size, built fast and cached under ``bench/.cache``.

A store of N messages holds what a desk that has run for several years holds:
300 live conversations (200 new, 100 claimed), 300 resolved in the last five
days (still in the hot file), and the rest resolved history spread over about
four years in the monthly archive. Conversations are built with the model's
own transitions and written with the store's own codec, hot file writer and
``Archive.add``, so the real app opens the result like any other store.

Beside each store sits ``sqlite.db``: the same conversations as rows of one
SQLite table in its default journal mode, for the claim comparison.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from askdesk.model import Conversation, Kind, Message, Outcome, QuestionType, transitions
from askdesk.store.archive import Archive
from askdesk.store.codec import to_dict
from askdesk.store.files import dump
from askdesk.store.hot_storage import HotStorage

CACHE = Path(__file__).resolve().parent / ".cache"
FORMAT = 6
"""Bump when the generator changes: cached stores of another format are rebuilt."""
MAX_AGE_S = 20 * 3600
"""Ages and the hot window are relative to the build time: rebuild after a day."""

STAFF = "bench"
"""The staff name the benchmark's app runs as."""
COLLEAGUES = ("ana", "ben", "chidi", "dara", "eli", "farah")
LIVE_NEW = 200
LIVE_CLAIMED = 100
CLAIMED_BY_ME = 60
"""Enough for the resolve scenario's 60 presses on its own (`app_probe.py --only resolve`)."""
RECENT_RESOLVED = 300
HISTORY_YEARS = 4
HOT_FILE = "askdesk.json"

# (channel, kind, label, weight): a public library's channels and how busy each is.
CHANNELS = (
    ("twitter", Kind.MENTION, None, 14),
    ("twitter", Kind.DIRECT, None, 6),
    ("mastodon", Kind.MENTION, None, 8),
    ("bluesky", Kind.MENTION, None, 6),
    ("facebook", Kind.DIRECT, None, 12),
    ("chat", Kind.CHAT, None, 18),
    ("sms", Kind.DIRECT, None, 8),
    ("email", Kind.EMAIL, None, 20),
    ("drop", Kind.EMAIL, "web-form", 8),
)

OPENINGS = (
    "Hi there!",
    "Hello,",
    "Quick question:",
    "Good morning.",
    "Hey library folks,",
    "Dear librarian,",
    "Sorry to bother you again,",
    "Hi, I hope this is the right place.",
)
QUESTIONS = (
    "Are you open on Monday for the holiday? I have a stack of books due and I'm leaving town.",
    "I tried to renew The Overstory online but the catalogue says renewal limit reached.",
    "My hold says it's ready at the Eastside branch, but I picked Main Street when I placed it.",
    "Is the printer on the second floor working? My job just says held at the release station.",
    "Any recommendations for something strange and quiet like Piranesi? Not horror, please.",
    "My dad reads every Second World War history he can find. Any ideas he probably hasn't seen?",
    "I just moved to Anytown. Is a lease enough proof of address for a library card?",
    "Can you borrow Pastoral Care in Early Irish Law for me through interlibrary loan?",
    "Do you hold anything on the Harlan Street mill fire of 1911: newspapers, photos, names?",
    "How do I get the Libby app to see my card? It keeps saying the card number is invalid.",
    "Can I book the small meeting room on Thursday evening for a knitting group of eight?",
    "Is there a limit on how many museum passes I can borrow in a month?",
    "My son lost a picture book and we found it after paying for it. Can we get a refund?",
    "Do you still have the tax forms at the front desk, or do I print them myself?",
    "Is there parking near the Main Street branch on Saturdays, and is it free?",
    "Where can I find the minutes of the 1970s school board meetings? "
    "The archive index is unclear.",
    "Could you suggest picture books about moving house for a nervous four-year-old?",
    "The wifi on the third floor drops every ten minutes. Is anyone looking at it?",
)
DETAILS = (
    "I'm about 80 pages from the end and would love another week.",
    "I can't get there until Friday night because of work.",
    "I'm happy to pay a fine if that is what it takes.",
    "My card number ends in 4471 if that helps you look it up.",
    "I already tried the FAQ on your website but it didn't answer this.",
    "It's for a school project due next Wednesday, so sooner is better.",
    "My great-grandmother may have worked there, so anything with names would be wonderful.",
    "I'm writing a thesis on this and the university library doesn't have it either.",
    "I asked at the desk last week and was told to write in here instead.",
    "Thanks so much, you folks are the best and the kids love story time.",
    "The catalogue shows two copies but both say in transit since March.",
    "I use a screen reader, so a link rather than a picture of the page would help.",
)
SIGN_OFFS = ("Thanks!", "Best regards,\nSam", "Cheers", "Thank you so much.", "", "", "")
FIRST = (
    "marisol",
    "jkim",
    "tomas",
    "dana",
    "r.osei",
    "ahmed",
    "brenna",
    "lu",
    "priya",
    "noah",
    "grace",
    "mateo",
    "yusuf",
    "ines",
    "oskar",
    "wren",
    "hana",
    "kofi",
    "sven",
    "amara",
)
LAST = (
    "reads",
    "garcia",
    "whitfield",
    "farouk",
    "okafor",
    "nakamura",
    "lindqvist",
    "pages",
    "books",
    "abiola",
    "moreau",
    "chen",
    "ito",
    "kowalski",
    "haddad",
    "rossi",
)
HANDLE_SUFFIX = ("", "_", "42", "1987", "_reads", "_g", "pdx")


@dataclass(frozen=True)
class Built:
    folder: Path
    messages: int
    conversations: int
    hot_conversations: int
    bytes: int
    months: int
    message_bytes: float
    """Mean size of one message's JSON record (text, author, times, ids)."""
    built_at: float
    build_s: float

    @property
    def hot_file(self) -> Path:
        return self.folder / HOT_FILE

    @property
    def sqlite(self) -> Path:
        return self.folder / "sqlite.db"

    def summary(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "conversations": self.conversations,
            "hot_conversations": self.hot_conversations,
            "archive_months": self.months,
            "bytes": self.bytes,
            "bytes_per_message": round(self.bytes / self.messages),
            "message_record_bytes": round(self.message_bytes),
        }


class Writer:
    """Patrons and their words, drawn from a seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0

    def remote_id(self, channel: str) -> str:
        self.serial += 1
        if channel in ("twitter", "bluesky", "mastodon"):
            return f"{1790000000000000000 + self.serial * 7919}"
        if channel == "email" or channel == "drop":
            return f"<{self.serial:08d}.{self.rng.randrange(16**6):06x}@mail.example.org>"
        return f"{channel[:2]}-{self.serial:08d}"

    def author(self, channel: str) -> str:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        if channel in ("email", "drop"):
            return f"{first}.{last}@example.{self.rng.choice(('org', 'net', 'com'))}"
        if channel == "chat":
            return f"guest-{self.rng.randrange(10000):04d}"
        if channel == "sms":
            return f"+1555{self.rng.randrange(10**7):07d}"
        if channel == "facebook":
            return f"{first.capitalize()} {last.capitalize()}"
        if channel == "mastodon":
            return f"@{first}_{last}@mastodon.social"
        return f"@{first}_{last}{self.rng.choice(HANDLE_SUFFIX)}"

    def text(self, kind: Kind) -> str:
        rng = self.rng
        question = rng.choice(QUESTIONS)
        if kind is Kind.EMAIL:
            parts = [
                rng.choice(OPENINGS),
                "",
                question,
                *rng.sample(DETAILS, rng.randint(6, 10)),
                "",
                rng.choice(SIGN_OFFS),
            ]
            return "\n".join(parts).strip()
        if kind is Kind.MENTION:  # a post: 300 characters at most
            text = " ".join(["@AnytownLibrary", question, *rng.sample(DETAILS, rng.randint(1, 3))])
            return text if len(text) <= 300 else text[:299] + "…"
        return " ".join([rng.choice(OPENINGS), question, *rng.sample(DETAILS, rng.randint(3, 6))])

    def message(
        self,
        channel: str,
        kind: Kind,
        label: str | None,
        at: datetime,
        author: str | None = None,
        thread: str | None = None,
    ) -> Message:
        remote_id = self.remote_id(channel)
        url = None
        if kind is Kind.MENTION:
            url = f"https://example.org/{channel}/status/{remote_id}"
        return Message(
            channel=channel,
            remote_id=remote_id,
            kind=kind,
            author=author or self.author(channel),
            text=self.text(kind),
            received_at=at,
            conversation=thread,
            url=url,
            label=label,
        )

    def channel(self) -> tuple[str, Kind, str | None]:
        channel, kind, label, _ = self.rng.choices(CHANNELS, weights=[c[3] for c in CHANNELS])[0]
        return channel, kind, label

    def conversation(self, at: datetime, follow_ups: int) -> Conversation:
        """A patron's question and ``follow_ups`` more messages, the first arriving at ``at``."""
        channel, kind, label = self.channel()
        first = self.message(channel, kind, label, at)
        conversation = transitions.start(first, at)
        t = at
        for _ in range(follow_ups):
            t += timedelta(minutes=self.rng.uniform(1, 30))
            more = self.message(
                channel, kind, label, t, author=first.author, thread=first.remote_id
            )
            conversation = transitions.add_message(conversation, more, t)
        return conversation

    def follow_ups(self) -> int:
        r = self.rng.random()
        return 2 if r < 0.04 else 1 if r < 0.16 else 0

    def resolved(self, conversation: Conversation, at: datetime) -> Conversation:
        rng = self.rng
        staff = rng.choice(COLLEAGUES)
        last = conversation.latest.received_at
        claimed_at = max(at - timedelta(minutes=rng.uniform(2, 60)), last)
        c = transitions.claim(conversation, staff, claimed_at)
        if rng.random() < 0.1:
            c = transitions.note(c, staff, claimed_at, "Checked the catalogue; phoned the branch.")
        return transitions.resolve(
            c,
            staff,
            max(at, claimed_at),
            rng.choices(list(Outcome), weights=(80, 10, 7, 3))[0],
            rng.choice(list(QuestionType)),
            rng.choices((1, 2, 3, 4, 5, 6), weights=(30, 30, 20, 10, 6, 4))[0],
        )


def generate(
    size: int, now: datetime, seed: int = 20241123, conversations: int | None = None
) -> Iterator[tuple[str, Conversation]]:
    """``size`` messages as ``(place, conversation)``; place is ``"hot"`` or ``"archive"``.

    With ``conversations``, as many conversations instead (``size`` is then ignored).
    """
    w = Writer(seed)
    rng = w.rng
    count = 0
    made = 0
    if conversations is not None:
        size = 10**12

    def take(c: Conversation) -> Conversation:
        nonlocal count, made
        count += len(c.messages)
        made += 1
        return c

    for _ in range(LIVE_NEW):
        at = now - timedelta(minutes=rng.uniform(1, 180))
        yield "hot", take(w.conversation(at, w.follow_ups()))
    for i in range(LIVE_CLAIMED):
        at = now - timedelta(minutes=rng.uniform(10, 24 * 60))
        c = w.conversation(at, w.follow_ups())
        staff = STAFF if i < CLAIMED_BY_ME else rng.choice(COLLEAGUES)
        claimed_at = c.latest.received_at + timedelta(minutes=rng.uniform(1, 20))
        yield "hot", take(transitions.claim(c, staff, min(claimed_at, now)))
    recent = min(RECENT_RESOLVED, max(0, (size - count) // 2))
    for _ in range(recent):
        resolved_at = now - timedelta(hours=rng.uniform(1, 5 * 24))
        at = resolved_at - timedelta(minutes=rng.uniform(5, 600))
        yield "hot", take(w.resolved(w.conversation(at, w.follow_ups()), resolved_at))
    # The rest of the history, resolved between eight days and four years ago.
    span = timedelta(days=365 * HISTORY_YEARS) - timedelta(days=8)
    while count < size and (conversations is None or made < conversations):
        resolved_at = now - timedelta(days=8) - span * rng.random()
        at = resolved_at - timedelta(minutes=rng.uniform(5, 2 * 24 * 60))
        c = w.conversation(at, min(w.follow_ups(), size - count - 1))
        yield "archive", take(w.resolved(c, resolved_at))


def build(size: int, folder: Path) -> Built:
    """Write a store of ``size`` messages into ``folder`` (replacing what was there)."""
    started = time.perf_counter()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    now = datetime.now(UTC)
    hot: dict[str, dict[str, Any]] = {}
    by_month: dict[str, list[dict[str, Any]]] = {}
    messages = 0
    message_bytes = 0
    all_docs: list[dict[str, Any]] = []
    for place, conversation in generate(size, now):
        doc = to_dict(conversation)
        messages += len(conversation.messages)
        message_bytes += sum(len(dump(m)) for m in doc["messages"])
        all_docs.append(doc)
        if place == "hot":
            hot[str(len(hot) + 1)] = doc
        else:
            month = conversation.resolutions[-1].at.strftime("%Y-%m")
            by_month.setdefault(month, []).append(doc)
    HotStorage(folder / HOT_FILE).write({"conversations": hot, "cursors": {}})
    Archive(folder / (Path(HOT_FILE).stem + ".archive")).add(by_month)
    _build_sqlite(folder / "sqlite.db", all_docs)
    total = sum(p.stat().st_size for p in folder.rglob("*.json"))
    built = Built(
        folder,
        messages,
        len(all_docs),
        len(hot),
        total,
        len(by_month),
        message_bytes / messages,
        time.time(),
        time.perf_counter() - started,
    )
    (folder / "meta.json").write_text(
        json.dumps({"format": FORMAT, **built.__dict__, "folder": str(folder)})
    )
    return built


def _build_sqlite(path: Path, docs: list[dict[str, Any]]) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(
            "CREATE TABLE conversations ("
            " key TEXT PRIMARY KEY, status TEXT NOT NULL, holder TEXT, doc TEXT NOT NULL)"
        )
        db.executemany(
            "INSERT INTO conversations VALUES (?, ?, ?, ?)",
            ((d["key"], d["status"], d["holder"], json.dumps(d)) for d in docs),
        )
        db.commit()
    finally:
        db.close()


def cached(size: int, *, rebuild: bool = False) -> Built:
    """The cached store of ``size`` messages, built now if missing, stale or of an old format."""
    folder = CACHE / f"store-{size}"
    meta_path = folder / "meta.json"
    if not rebuild and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("format") == FORMAT and time.time() - meta["built_at"] < MAX_AGE_S:
            meta.pop("format")
            meta["folder"] = Path(meta["folder"])
            return Built(**meta)
    return build(size, folder)


def working_copy(built: Built, into: Path) -> Path:
    """A private copy of a cached store; returns its hot file's path.

    Every store write replaces a file whole (write, fsync, rename), so the big
    JSON files are hard-linked, not copied: a write gives the copy a new file
    and leaves the cache's untouched. The small ``.gen`` tokens are rewritten
    in place, so they (and the SQLite file) are copied.
    """
    if into.exists():
        shutil.rmtree(into)

    def link_or_copy(src: str, dst: str) -> None:
        if src.endswith(".json") and not src.endswith("meta.json"):
            try:
                os.link(src, dst)
                return
            except OSError:
                pass
        shutil.copy2(src, dst)

    shutil.copytree(
        built.folder,
        into,
        copy_function=link_or_copy,
        ignore=shutil.ignore_patterns("*.lock", "sqlite.db"),
    )
    return into / HOT_FILE


LISTING_CONVERSATIONS = 100_000
"""How many conversations ``list``, ``stats`` and ``export`` are timed over."""


@dataclass(frozen=True)
class Listing:
    """The two stores the listing commands are timed on, each of ``conversations``."""

    flood: Path
    """Hot file of every conversation new or claimed: a drop folder flood, all on the desk."""
    history: Path
    """600 hot, the rest resolved over four years in the archive: what stats and export read."""
    conversations: int


def cached_listing(conversations: int = LISTING_CONVERSATIONS, *, rebuild: bool = False) -> Listing:
    """The listing stores, built now if missing, stale or of an old format."""
    folder = CACHE / f"listing-{conversations}"
    meta_path = folder / "meta.json"
    listing = Listing(folder / "flood" / HOT_FILE, folder / "history" / HOT_FILE, conversations)
    if not rebuild and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("format") == FORMAT and time.time() - meta["built_at"] < MAX_AGE_S:
            return listing
    if folder.exists():
        shutil.rmtree(folder)
    now = datetime.now(UTC)
    _write(listing.history.parent, generate(0, now, conversations=conversations))
    _write(listing.flood.parent, _flood(conversations, now))
    meta_path.write_text(json.dumps({"format": FORMAT, "built_at": time.time()}))
    return listing


def _flood(conversations: int, now: datetime) -> Iterator[tuple[str, Conversation]]:
    w = Writer(7)
    for i in range(conversations):
        at = now - timedelta(minutes=w.rng.uniform(1, 24 * 60))
        c = w.conversation(at, 0)
        if i % 10 == 0:
            c = transitions.claim(c, w.rng.choice(COLLEAGUES), at + timedelta(minutes=1))
        yield "hot", c


def _write(folder: Path, conversations: Iterator[tuple[str, Conversation]]) -> None:
    """The conversations as a store in ``folder``: hot ones in the hot files, the rest archived."""
    folder.mkdir(parents=True)
    hot: dict[str, dict[str, Any]] = {}
    by_month: dict[str, list[dict[str, Any]]] = {}
    for place, conversation in conversations:
        doc = to_dict(conversation)
        if place == "hot":
            hot[str(len(hot) + 1)] = doc
        else:
            month = conversation.resolutions[-1].at.strftime("%Y-%m")
            by_month.setdefault(month, []).append(doc)
    HotStorage(folder / HOT_FILE).write({"conversations": hot, "cursors": {}})
    Archive(folder / (Path(HOT_FILE).stem + ".archive")).add(by_month)
