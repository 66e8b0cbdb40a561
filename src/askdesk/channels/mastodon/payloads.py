"""Mastodon REST entities → askdesk values: notifications and statuses to ``Message``.

Nothing here talks to the instance. Everything is untrusted JSON as
Mastodon.py hands it over (dicts; some ids already ints, times already
``datetime``s): a notification that cannot become a message is a ``BadItem``
with the reason, which the fetch skips and reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from askdesk.channels.base import Problem
from askdesk.channels.html_text import html_to_text
from askdesk.model import Kind, Message

NOT_QUESTIONS = frozenset(
    {
        "admin.report",
        "admin.sign_up",
        "annual_report",
        "favourite",
        "follow",
        "follow_request",
        "moderation_warning",
        "poll",
        "quote",
        "quoted_update",
        "reblog",
        "severed_relationships",
        "status",
        "update",
    }
)
"""Notification types Mastodon documents that are not a patron asking: ignored quietly."""

_ID = re.compile(r"[0-9A-Za-z]{1,64}")  # Mastodon's are digits; Pleroma's and Akkoma's base62
_ACCT = re.compile(r"[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*(?:@[\w-]+(?:\.[\w-]+)*)?")


class BadItem(ValueError):
    """One notification that cannot become a message; the text says why."""


@dataclass(frozen=True)
class Account:
    """The library's own account: its id (its posts never arrive) and username."""

    id: str
    username: str


@dataclass
class Cursor:
    """What the store keeps between polls: the newest notification handled and who we are.

    No credential is ever part of it. ``account`` saves a cron ``fetch`` the
    ``verify_credentials`` call on every run.
    """

    min_id: str | None = None
    account: Account | None = None
    limits: tuple[int, int] | None = None
    """The instance's (characters per status, characters a URL counts as), when last heard."""
    limits_at: datetime | None = None

    @classmethod
    def read(cls, cursor: str | None, problems: list[Problem]) -> Cursor:
        if cursor is None:
            return cls()
        try:
            data = json.loads(cursor)
            min_id = data.get("min_id")
            account_id, username = data.get("account_id"), data.get("username")
            if min_id is not None and ident(min_id) is None:
                raise ValueError("not ours")
            account = None
            if ident(account_id) is not None and isinstance(username, str) and username:
                account = Account(str(account_id), username)
            limits, limits_at = _limits(data.get("limits")), parse_time(data.get("limits_at"))
        except (ValueError, TypeError, AttributeError):
            problems.append(
                Problem(
                    "mastodon cursor",
                    "could not read it; the latest mentions are read again (duplicates skipped)",
                )
            )
            return cls()
        return cls(min_id=min_id, account=account, limits=limits, limits_at=limits_at)

    def dump(self) -> str:
        account = self.account
        return json.dumps(
            {
                "min_id": self.min_id,
                "account_id": account.id if account else None,
                "username": account.username if account else None,
                "limits": list(self.limits) if self.limits else None,
                "limits_at": self.limits_at.isoformat() if self.limits_at else None,
            },
            sort_keys=True,
        )


def _limits(value: Any) -> tuple[int, int] | None:
    """Two whole numbers above 0 (as ``dump`` writes them), else None: asked again."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value):
        return None
    return (value[0], value[1])


def ident(value: Any) -> str | None:
    """An entity id as a string (Mastodon.py turns some into ints), or None when malformed."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def id_order(value: str) -> tuple[int, str]:
    """Sort key for ids: newer ids are longer or, at the same length, greater."""
    return (len(value), value)


def account_of(raw: Any) -> Account:
    """The ``Account`` entity of ``verify_credentials``."""
    if not isinstance(raw, Mapping):
        raise BadItem("the account is not an object")
    account_id, username = ident(raw.get("id")), raw.get("username")
    if account_id is None or not isinstance(username, str) or not _ACCT.fullmatch(username):
        raise BadItem("the account has no id or username")
    return Account(account_id, username)


def mention_status(raw: Any) -> Mapping[str, Any] | None:
    """The status of a ``mention`` notification; None for a type that is not a question."""
    if not isinstance(raw, Mapping):
        raise BadItem("not a notification object; skipped")
    kind = raw.get("type")
    if kind in NOT_QUESTIONS:
        return None
    if kind != "mention":
        shown = kind[:40] if isinstance(kind, str) else type(kind).__name__
        raise BadItem(f"unknown notification type {shown!r}; skipped")
    status = raw.get("status")
    if not isinstance(status, Mapping):
        raise BadItem("a mention without its status; skipped")
    return status


def author_id(status: Mapping[str, Any]) -> str | None:
    account = status.get("account")
    return ident(account.get("id")) if isinstance(account, Mapping) else None


def replied_to(status: Mapping[str, Any]) -> str | None:
    """The id of the status this one answers, if any."""
    return ident(status.get("in_reply_to_id"))


def thread_root(
    status: Mapping[str, Any], ancestors: Sequence[Any], library: Account
) -> str | None:
    """The conversation a status belongs to: the first status of its thread that asked us.

    That is the oldest status, the new one included, that is not the
    library's own and mentions the library (so it reached askdesk as a
    question): replies in that thread join it, while two patrons answering
    the library's own announcement start a conversation each.
    """
    for candidate in [*ancestors, status]:
        if not isinstance(candidate, Mapping) or author_id(candidate) == library.id:
            continue
        mentions = candidate.get("mentions")
        if isinstance(mentions, list) and any(
            isinstance(m, Mapping) and ident(m.get("id")) == library.id for m in mentions
        ):
            return ident(candidate.get("id"))
    return None


def message(
    status: Mapping[str, Any], library: Account, *, channel: str, conversation: str | None
) -> Message | None:
    """The message for one mentioning status; None for the library's own."""
    status_id = ident(status.get("id"))
    if status_id is None:
        raise BadItem("its status has no id; skipped")
    account = status.get("account")
    if not isinstance(account, Mapping):
        raise BadItem(f"status {status_id} has no account; skipped")
    if ident(account.get("id")) == library.id:
        return None  # the library's own post
    acct = account.get("acct")
    if not isinstance(acct, str) or not _ACCT.fullmatch(acct):
        raise BadItem(f"status {status_id}: its account's acct is missing or malformed; skipped")
    received_at = parse_time(status.get("created_at"))
    if received_at is None:
        raise BadItem(f"status {status_id}: created_at is not a time; skipped")
    content = status.get("content")
    if not isinstance(content, str):
        raise BadItem(f"status {status_id}: its content is not text; skipped")
    url = status.get("url") or status.get("uri")
    return Message(
        channel=channel,
        remote_id=status_id,
        kind=Kind.DIRECT if status.get("visibility") == "direct" else Kind.MENTION,
        author=f"@{acct}",
        text=status_text(status, content, library),
        received_at=received_at,
        conversation=conversation if conversation not in (None, status_id) else None,
        url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
    )


def status_text(status: Mapping[str, Any], content: str, library: Account) -> str:
    """What staff read: the content warning, the words, then each attachment with its alt text."""
    parts: list[str] = []
    warning = status.get("spoiler_text")
    if isinstance(warning, str) and warning.strip():
        parts.append(f"CW: {warning.strip()}")
    words = _without_library_mention(html_to_text(content), library)
    if words:
        parts.append(words)
    media = [_attachment(item) for item in _list(status.get("media_attachments"))]
    if media := [line for line in media if line]:
        parts.append("\n".join(media))
    return "\n\n".join(parts)


def _attachment(item: Any) -> str:
    if not isinstance(item, Mapping):
        return ""
    kind = item.get("type") if isinstance(item.get("type"), str) else "attachment"
    alt = item.get("description")
    alt = " ".join(alt.split()) if isinstance(alt, str) and alt.strip() else "no description"
    url = item.get("url") or item.get("remote_url")
    link = f" {url}" if isinstance(url, str) and url.startswith(("https://", "http://")) else ""
    return f"[{kind}: {alt}]{link}"


def _without_library_mention(text: str, library: Account) -> str:
    """``text`` without the library's @-mention among the mentions it starts with."""
    mine = re.compile(rf"@{re.escape(library.username)}(?:@[\w.-]+)?", re.IGNORECASE)
    leading = re.match(r"(?:@[\w.-]+(?:@[\w.-]+)?\s+)*(?:@[\w.-]+(?:@[\w.-]+)?)?", text)
    head = leading.group(0) if leading else ""
    kept = [word for word in head.split() if not mine.fullmatch(word)]
    rest = text[len(head) :].lstrip(" ")
    return " ".join([*kept, rest] if rest else kept).strip()


def parse_time(value: Any) -> datetime | None:
    """A time as Mastodon.py hands it over (a ``datetime``) or as Mastodon writes it (ISO 8601)."""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
