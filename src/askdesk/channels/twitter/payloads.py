"""X API v2 JSON → askdesk values: tweets and DM events to ``Message``, pages, ids, times.

Nothing here talks to X. Every function takes what X sent as untrusted JSON:
a malformed tweet or event is a ``BadItem`` with the reason (the fetch skips
it and says so), a malformed page an ``UnexpectedPayload``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from askdesk.channels.base import Problem, Receipt
from askdesk.errors import RefusedByPlatform, UnexpectedPayload
from askdesk.model import Conversation, Kind, Message

_DM_THREAD = re.compile(r"[0-9]{1,20}(?:-[0-9]{1,20})?")
_CREATED_AT_LEGACY = "%a %b %d %H:%M:%S %z %Y"


_USERNAME = re.compile(r"[A-Za-z0-9_]{1,50}")
"""X's username syntax (15 characters today; some historical accounts are longer)."""


class BadItem(ValueError):
    """One tweet or DM event that cannot become a message; the text says why."""


@dataclass
class Cursor:
    """What the store keeps between polls. No credential is ever part of it."""

    start: datetime
    """The oldest time the first run reads (``now - backfill_hours``)."""
    account: str | None = None
    since_id: str | None = None
    dm_newest: str | None = None

    @classmethod
    def read(
        cls, cursor: str | None, now: datetime, backfill: timedelta, problems: list[Problem]
    ) -> Cursor:
        fresh = cls(start=now - backfill)
        if cursor is None:
            return fresh
        try:
            data = json.loads(cursor)
            start = datetime.fromisoformat(data["start"])
            ids = {key: data.get(key) for key in ("account", "since_id", "dm_newest")}
            if start.tzinfo is None or not all(v is None or digits(v) for v in ids.values()):
                raise ValueError("not ours")
        except (ValueError, TypeError, KeyError):
            problems.append(
                Problem(
                    "twitter cursor",
                    "could not read it; the first-run window is read again (duplicates skipped)",
                )
            )
            return fresh
        return cls(start=start, **ids)

    def dump(self) -> str:
        return json.dumps(
            {
                "start": self.start.isoformat(),
                "account": self.account,
                "since_id": self.since_id,
                "dm_newest": self.dm_newest,
            },
            sort_keys=True,
        )


def mention(
    raw: Any, users: Mapping[str, str], account: str, *, channel: str, include_quotes: bool
) -> Message | None:
    """The message for one tweet; None for what is not a question (ours, retweets, quotes)."""
    if not isinstance(raw, dict):
        raise BadItem("not a tweet object")
    missing = [f for f in ("id", "text", "author_id", "created_at") if raw.get(f) is None]
    if raw.get("author_id") == account:
        return None  # the account's own post
    kinds = {r.get("type") for r in as_list(raw.get("referenced_tweets")) if isinstance(r, dict)}
    if "retweeted" in kinds:
        return None
    if "quoted" in kinds and "replied_to" not in kinds and not include_quotes:
        return None
    if missing:
        raise BadItem(f"{', '.join(missing)} missing; skipped")
    tweet_id = digits(raw["id"])
    if tweet_id is None:
        raise BadItem("its id is not a number; skipped")
    received_at = parse_time(raw["created_at"])
    if received_at is None:
        raise BadItem(f"created_at {str(raw['created_at'])[:40]!r} is not a time; skipped")
    username = users.get(str(raw["author_id"]))
    if username is None:
        raise BadItem("its author is not in the response's includes.users; skipped")
    note = raw.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) else None  # a long post, whole
    text = text if isinstance(text, str) else raw["text"]
    if not isinstance(text, str):
        raise BadItem("its text is not a string; skipped")
    return Message(
        channel=channel,
        remote_id=tweet_id,
        kind=Kind.MENTION,
        author=f"@{username}",
        text=html.unescape(text),  # v2 sends &amp; &lt; &gt; escaped
        received_at=received_at,
        conversation=digits(raw.get("conversation_id")) or tweet_id,
        url=f"https://x.com/{username}/status/{tweet_id}",
    )


def direct_message(
    raw: Any, users: Mapping[str, str], account: str, *, channel: str
) -> Message | None:
    """The message for one DM event; None for the account's own and for join/leave events."""
    if not isinstance(raw, dict):
        raise BadItem("not a DM event object")
    if raw.get("event_type") not in (None, "MessageCreate"):
        return None  # someone joined or left a group: not a message
    if raw.get("sender_id") == account:
        return None  # the account's own message (a reply staff sent)
    wanted = ("id", "text", "sender_id", "dm_conversation_id", "created_at")
    missing = [f for f in wanted if raw.get(f) is None]
    if missing:
        raise BadItem(f"{', '.join(missing)} missing; skipped")
    event_id = digits(raw["id"])
    received_at = parse_time(raw["created_at"])
    conversation = raw["dm_conversation_id"]
    thread = isinstance(conversation, str) and _DM_THREAD.fullmatch(conversation)
    if event_id is None or received_at is None or not thread:
        raise BadItem("its id, created_at or dm_conversation_id is malformed; skipped")
    username = users.get(str(raw["sender_id"]))
    if username is None:
        raise BadItem("its sender is not in the response's includes.users; skipped")
    if not isinstance(raw["text"], str):
        raise BadItem("its text is not a string; skipped")
    return Message(
        channel=channel,
        remote_id=f"dm-{event_id}",
        kind=Kind.DIRECT,
        author=f"@{username}",
        text=raw["text"],
        received_at=received_at,
        conversation=f"dm-{conversation}",
        url=f"https://x.com/messages/{conversation}",
    )


def page(payload: Mapping[str, Any], what: str) -> tuple[list[Any], dict[str, Any]]:
    """A page's ``data`` list and ``meta`` object, or ``UnexpectedPayload``."""
    data = payload.get("data", [])
    meta = payload.get("meta", {})
    if not isinstance(data, list) or not isinstance(meta, dict):
        raise UnexpectedPayload(f"X answered {what} with a page of an unexpected shape")
    if "data" not in payload and "meta" not in payload:
        found = detail(payload)
        raise UnexpectedPayload(f"X answered {what} without data" + (f": {found}" if found else ""))
    return data, meta


def users(payload: Mapping[str, Any]) -> dict[str, str]:
    """``includes.users`` as id -> username; malformed entries are left out."""
    includes = payload.get("includes")
    listed = includes.get("users") if isinstance(includes, dict) else None
    found: dict[str, str] = {}
    for user in listed if isinstance(listed, list) else []:
        username = user.get("username") if isinstance(user, dict) else None
        # A public reply starts with "@username": anything but X's own syntax could
        # make it mention someone else ("mallory @mayor").
        if isinstance(username, str) and _USERNAME.fullmatch(username):
            found[str(user.get("id"))] = username
    return found


def receipt(payload: Mapping[str, Any], key: str, what: str) -> Receipt:
    """The id of what was just posted (``data[key]``)."""
    data = payload.get("data")
    remote_id = digits(data.get(key)) if isinstance(data, dict) else None
    if remote_id is None:
        # It was probably sent: the retry looks for it on X before sending again.
        raise UnexpectedPayload(f"X did not give the id of the reply after {what}")
    return Receipt(remote_id=remote_id)


def account_id(payload: Mapping[str, Any]) -> str | None:
    """The ``data.id`` of a user lookup (``get_me``, ``get_user``)."""
    data = payload.get("data")
    return digits(data.get("id")) if isinstance(data, dict) else None


def detail(body: Mapping[str, Any]) -> str:
    """X's own words for an error: ``detail``, or the first of ``errors``."""
    found = body.get("detail")
    if not isinstance(found, str):
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        found = first.get("message") or first.get("detail") if isinstance(first, dict) else None
    return found[:200] if isinstance(found, str) else ""


def dm_thread(conversation: Conversation) -> str:
    """The X DM conversation a ``dm-…`` conversation answers in."""
    thread = (conversation.latest.conversation or "").removeprefix("dm-")
    if not thread:
        raise RefusedByPlatform(f"{conversation.key} has no X DM conversation to answer in")
    return thread


def where(kind: str, raw: Any) -> str:
    """How a skipped item is named in a ``Problem``: ``tweet 123``."""
    found = digits(raw.get("id")) if isinstance(raw, dict) else None
    return f"{kind} {found}" if found else f"a {kind} without an id"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def digits(value: Any) -> str | None:
    """``value`` when it is an id as X writes them (a string of ASCII digits), else None."""
    return value if isinstance(value, str) and value.isascii() and value.isdigit() else None


def as_int(value: Any, default: int = 0) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = digits(value)
    return int(text) if text is not None else default


def epoch(seconds: int | None) -> datetime | None:
    if seconds is None or seconds < 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time (v2), or the legacy ``Wed Oct 10 20:19:24 +0000 2018``, in UTC."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        try:
            at = datetime.strptime(value, _CREATED_AT_LEGACY)
        except ValueError:
            return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
