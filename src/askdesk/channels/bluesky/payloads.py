"""AT Protocol JSON → askdesk values: notifications and chat messages to ``Message``, the cursor.

Nothing here talks to the service. Every function takes what it sent as
untrusted JSON: an item that fails its lexicon is a ``BadItem`` with the
reason (the fetch skips it and says so), the rest still arrive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from askdesk.channels.base import Problem
from askdesk.channels.bluesky.text import with_full_links
from askdesk.model import Kind, Message

QUESTIONS = frozenset({"mention", "reply", "quote"})
"""The notification reasons that can be a question to the library."""
NOT_QUESTIONS = frozenset(
    {
        "like",
        "repost",
        "follow",
        "starterpack-joined",
        "verified",
        "unverified",
        "like-via-repost",
        "repost-via-repost",
        "subscribed-post",
        "contact-match",
    }
)
"""The other reasons ``app.bsky.notification.listNotifications`` documents: passed over quietly."""

KEEP_CONVERSATIONS = 200
"""Chat conversations whose last read message the cursor remembers (the most recent)."""
KEEP_SEEN = 100
"""Notification URIs the cursor remembers at its newest time, against reading one twice."""


_HANDLE = re.compile(
    r"(?=.{3,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]"
    r"(?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2040}(?<!:)")
"""The AT Protocol's handle and DID syntax: a chat member's are not checked by any lexicon
model, and they become the author that a reply's ``{patron}`` names."""


UNREADABLE = "askdesk:unreadable"
"""Marks a stand-in for an item the SDK's JSON parser refused (``lenient_json``)."""
_UNREADABLE_WORDS = (
    "the service sent it as JSON askdesk cannot read (nested too deeply, or a lone "
    "surrogate); skipped"
)


class BadItem(ValueError):
    """One notification or chat message that cannot become a message; the text says why."""


@dataclass
class Cursor:
    """What the store keeps between polls. No credential is ever part of it."""

    start: datetime
    """The oldest time the first run reads (``now - FIRST_RUN``)."""
    seen_at: datetime | None = None
    """``indexedAt`` of the newest notification read."""
    seen: list[str] = field(default_factory=list)
    """URIs read at ``seen_at``: several notifications can share one time."""
    chats: dict[str, str] = field(default_factory=dict)
    """Chat conversation id -> ``rev`` of the newest message read in it."""
    chat_refused_at: datetime | None = None
    """When the service said the app password has no access to direct messages."""

    @classmethod
    def read(
        cls, cursor: str | None, now: datetime, first_run: timedelta, problems: list[Problem]
    ) -> Cursor:
        fresh = cls(start=now - first_run)
        if cursor is None:
            return fresh
        try:
            data = json.loads(cursor)
            start = datetime.fromisoformat(data["start"])
            seen_at = _time_or_none(data.get("seen_at"))
            refused = _time_or_none(data.get("chat_refused_at"))
            seen, chats = data.get("seen", []), data.get("chats", {})
            if start.tzinfo is None or not isinstance(seen, list) or not isinstance(chats, dict):
                raise ValueError("not ours")
            if not all(isinstance(v, str) for v in [*seen, *chats, *chats.values()]):
                raise ValueError("not ours")
        except (ValueError, TypeError, KeyError):
            problems.append(
                Problem(
                    "bluesky cursor",
                    "could not read it; the first-run window is read again (duplicates skipped)",
                )
            )
            return fresh
        return cls(start, seen_at, seen, chats, refused)

    def dump(self) -> str:
        newest = sorted(self.chats.items(), key=lambda item: item[1])[-KEEP_CONVERSATIONS:]
        return json.dumps(
            {
                "start": self.start.isoformat(),
                "seen_at": self.seen_at.isoformat() if self.seen_at else None,
                "seen": self.seen[-KEEP_SEEN:],
                "chats": dict(newest),
                "chat_refused_at": (
                    self.chat_refused_at.isoformat() if self.chat_refused_at else None
                ),
            },
            sort_keys=True,
        )

    def is_new(self, uri: str, indexed_at: datetime) -> bool:
        """Whether a notification comes after what was read (or at the same time, unread)."""
        if self.seen_at is None:
            return indexed_at >= self.start
        return indexed_at > self.seen_at or (indexed_at == self.seen_at and uri not in self.seen)

    def mark(self, uri: str, indexed_at: datetime) -> None:
        if self.seen_at is None or indexed_at > self.seen_at:
            self.seen_at, self.seen = indexed_at, [uri]
        elif indexed_at == self.seen_at and uri not in self.seen:
            self.seen.append(uri)


def notification(raw: Any, me: str, *, channel: str, models: Any) -> Message | None:
    """The message for one notification; None for what is not a question (likes, ours)."""
    if not isinstance(raw, dict):
        raise BadItem("not a notification object")
    if raw.get(UNREADABLE):
        raise BadItem(_UNREADABLE_WORDS)
    reason = raw.get("reason")
    if reason in NOT_QUESTIONS:
        return None
    if reason not in QUESTIONS:
        raise BadItem(f"unknown notification reason {str(reason)[:40]!r}; skipped")
    checked = _lexicon(raw, models.AppBskyNotificationListNotifications.Notification)
    if checked.author.did == me:
        return None  # the account's own post
    record = raw.get("record")
    if not isinstance(record, dict) or record.get("$type") != "app.bsky.feed.post":
        raise BadItem("its record is not an app.bsky.feed.post; skipped")
    written = record.get("text")
    # Over-long text is the poster's service's business: the patron's words arrive whole,
    # while everything else about the record must be as the lexicon says.
    post = _lexicon(
        {**record, "text": ""} if isinstance(written, str) else record,
        models.AppBskyFeedPost.Record,
    )
    received_at = parse_time(checked.indexed_at)
    if received_at is None:
        raise BadItem(f"indexedAt {checked.indexed_at[:40]!r} is not a time; skipped")
    text = with_full_links(str(written), record.get("facets") or [])
    text += _attachments(record.get("embed"))
    handle = _handle_or_did(checked.author.handle, checked.author.did)
    uri = checked.uri
    return Message(
        channel=channel,
        remote_id=uri,
        kind=Kind.MENTION,
        author=f"@{handle}",
        text=text,
        received_at=received_at,
        conversation=thread(
            uri, post.reply.root.uri if post.reply else None, me, checked.author.did
        ),
        url=post_url(handle, uri),
        label=_display_name(checked.author.display_name),
    )


def thread(uri: str, root: str | None, me: str, author: str) -> str:
    """The conversation a post belongs to: its thread's root post.

    Under a post of the library's own (an announcement), each patron's
    replies are a conversation of their own, not one for everybody who answered it.
    """
    if root is None:
        return uri
    if did_of(root) == me:
        return f"{root}?patron={author}"
    return root


def chat_message(
    raw: Any, convo: str, members: Mapping[str, tuple[str, str | None]], me: str, *, channel: str
) -> Message | None:
    """The message for one ``chat.bsky.convo.defs#messageView``; None for the account's own."""
    if not isinstance(raw, dict):
        raise BadItem("not a chat message object")
    if raw.get(UNREADABLE):
        raise BadItem(_UNREADABLE_WORDS)
    if raw.get("$type") == "chat.bsky.convo.defs#deletedMessageView":
        return None
    sender = raw.get("sender")
    sender_did = sender.get("did") if isinstance(sender, dict) else None
    if sender_did == me:
        return None  # a reply staff sent
    wanted = ("id", "rev", "text", "sentAt")
    missing = [f for f in wanted if not isinstance(raw.get(f), str)]
    if missing or not isinstance(sender_did, str) or not _DID.fullmatch(sender_did):
        raise BadItem(f"{', '.join(missing or ['sender'])} missing or not text; skipped")
    sent_at = parse_time(raw["sentAt"])
    if sent_at is None:
        raise BadItem(f"sentAt {raw['sentAt'][:40]!r} is not a time; skipped")
    handle, name = members.get(sender_did, (sender_did, None))
    return Message(
        channel=channel,
        remote_id=f"chat:{convo}:{raw['id']}",
        kind=Kind.DIRECT,
        author=f"@{handle}",
        text=with_full_links(raw["text"], raw.get("facets") or []) + _attachments(raw.get("embed")),
        received_at=sent_at,
        conversation=f"chat:{convo}",
        url=f"https://bsky.app/messages/{convo}",
        label=name,
    )


def members_of(convo: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """A chat conversation's members: DID -> (handle, display name)."""
    found: dict[str, tuple[str, str | None]] = {}
    for member in _list(convo.get("members")):
        if isinstance(member, dict) and _DID.fullmatch(str(member.get("did"))):
            handle = member.get("handle")
            name = member.get("displayName")
            found[member["did"]] = (_handle_or_did(handle, member["did"]), _display_name(name))
    return found


def did_of(uri: str) -> str:
    """The account part of an AT-URI (``at://did:plc:…/app.bsky.feed.post/…``)."""
    return uri.removeprefix("at://").split("/", 1)[0]


def post_url(handle: str, uri: str) -> str:
    """Where the post is on bsky.app."""
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def where(kind: str, raw: Any) -> str:
    """How a skipped item is named in a ``Problem``: ``notification at://…``."""
    found = (raw.get("uri") or raw.get("id")) if isinstance(raw, dict) else None
    return f"{kind} {str(found)[:120]}" if isinstance(found, str) else f"a {kind} without an id"


def parse_time(value: Any) -> datetime | None:
    """An AT Protocol datetime (RFC 3339 with a zone) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _time_or_none(value: Any) -> datetime | None:
    if value is None:
        return None
    at = parse_time(value)
    if at is None:
        raise ValueError("not a time")
    return at


def _lexicon(raw: Any, model: Any) -> Any:
    """``raw`` as the SDK's lexicon model, or ``BadItem`` naming the first field that is wrong."""
    from atproto_client.exceptions import ModelError
    from atproto_client.models.utils import get_or_create

    try:
        return get_or_create(raw, model, strict=True)
    except ModelError as error:
        lines = str(error).splitlines()
        field_name = lines[1].strip() if len(lines) > 1 else "a field"
        raise BadItem(f"does not match its lexicon ({field_name[:60]}); skipped") from None


def _attachments(embed: Any) -> str:
    """Images (with their alt text) and link cards, as lines after the text."""
    if not isinstance(embed, dict):
        return ""
    inner = embed.get("media")
    media: dict[str, Any] = inner if isinstance(inner, dict) else embed
    lines: list[str] = []
    for image in _list(media.get("images")):
        alt = image.get("alt") if isinstance(image, dict) else None
        lines.append(f"[image: {alt}]" if isinstance(alt, str) and alt else "[image]")
    external = media.get("external")
    if isinstance(external, dict) and isinstance(external.get("uri"), str):
        lines.append(f"[link: {external['uri']}]")
    return "".join(f"\n{line}" for line in lines)


def _handle_or_did(handle: Any, did: Any) -> str:
    """What names the author: their handle, or their DID when the handle is not one (the
    SDK does not check its syntax, and a reply's ``{patron}`` must name them alone)."""
    if isinstance(handle, str) and _HANDLE.fullmatch(handle):
        return handle
    if isinstance(did, str) and _DID.fullmatch(did):
        return did
    raise BadItem("its author has neither a handle nor a DID; skipped")


def _list(value: Any) -> list[Any]:
    """A JSON array as a list; anything else (a chat message is not checked against its
    lexicon) as an empty one."""
    return value if isinstance(value, list) else []


def _display_name(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
