"""Twilio's 2010-04-01 JSON → askdesk values: inbound messages, opt-outs, the cursor.

Nothing here talks to Twilio. A malformed message is a ``BadItem`` with the
reason (the fetch skips it and says so), a malformed page ``UnexpectedPayload``.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from askdesk.channels.sms.numbers import e164
from askdesk.errors import UnexpectedPayload
from askdesk.model import Kind, Message, Role

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "UNSTOP"})
"""Twilio's default opt-out and opt-in keywords: the whole message, in any case."""

_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
DELIVERY = ("queued", "sending", "sent", "delivered", "undelivered", "failed")
"""The statuses of an outbound message, as Twilio names them."""


class BadItem(ValueError):
    """One message that cannot become a ``Message``; the text says why."""


def role_of(text: str) -> Role:
    """An opt-out (``STOP``), an opt-in (``START``) or a question."""
    word = text.strip().rstrip(".!").upper()
    if word in OPT_OUT:
        return Role.OPT_OUT
    if word in OPT_IN:
        return Role.OPT_IN
    return Role.QUESTION


def listing(payload: dict[str, Any]) -> tuple[list[Any], str | None]:
    """A Messages page's ``messages`` and its ``next_page_uri`` (a path under ``api_base``)."""
    messages = payload.get("messages")
    if not isinstance(messages, list):
        raise UnexpectedPayload("Twilio answered the Messages list with a page of another shape")
    following = payload.get("next_page_uri")
    if isinstance(following, str) and following.startswith("/2010-04-01/"):
        return messages, following
    return messages, None


def sent_at(raw: Any) -> datetime | None:
    """A message's ``date_sent`` (RFC 2822, ``Thu, 23 Nov 2026 13:50:01 +0000``) or None."""
    return _time(raw, "date_sent")


def created_at(raw: Any) -> datetime | None:
    """A message's ``date_created``: when Twilio took it (a queued text has no ``date_sent``)."""
    return _time(raw, "date_created")


def _time(raw: Any, field: str) -> datetime | None:
    value = raw.get(field) if isinstance(raw, dict) else None
    if not isinstance(value, str):
        return None
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else None


def inbound(raw: Any, *, channel: str, number: str, media: list[str]) -> Message | None:
    """The ``Message`` for one inbound text to ``number``; None for what is not one.

    Its ``conversation`` (the patron's pseudonym) is left to the channel, which holds
    the store's secret.
    """
    if not isinstance(raw, dict):
        raise BadItem("not a message object")
    if raw.get("direction") != "inbound" or raw.get("to") != number:
        return None  # the library's own texts, or texts to another number on the account
    sid = sid_of(raw)
    if sid is None:
        raise BadItem("its sid is missing or malformed; skipped")
    received_at = sent_at(raw)
    if received_at is None:
        raise BadItem(f"date_sent {str(raw.get('date_sent'))[:40]!r} is not a time; skipped")
    sender = e164(raw.get("from"))
    if sender is None:
        raise BadItem("its sender is not an E.164 number; skipped")
    body = raw.get("body")
    text = body if isinstance(body, str) else ""
    lines = [text] if text else []
    lines.extend(f"[MMS media: {item}]" for item in media)
    if not lines:
        raise BadItem("it has no text and no media; skipped")
    return Message(
        channel=channel,
        remote_id=sid,
        kind=Kind.SMS,
        author=sender,
        text="\n".join(lines),
        received_at=received_at,
        role=role_of(text) if not media else Role.QUESTION,
    )


def media_count(raw: Any) -> int | None:
    """``num_media``, a string of ASCII digits on Twilio: 0 when absent, None when it is
    there but no count ("²" passes ``str.isdigit`` and fails ``int``): the list is read."""
    value = raw.get("num_media") if isinstance(raw, dict) else None
    if value is None:
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def media_item(raw: Any) -> tuple[str, str] | None:
    """One entry of a Media list: its content type and its path (listed, never fetched)."""
    uri = raw.get("uri") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(uri, str) or not uri.startswith("/"):
        return None
    kind = raw.get("content_type")
    return (kind if isinstance(kind, str) else "unknown type", uri.removesuffix(".json"))


def sid_of(raw: Any) -> str | None:
    sid = raw.get("sid") if isinstance(raw, dict) else None
    return sid if isinstance(sid, str) and _SID.fullmatch(sid) else None


def status_of(raw: Any) -> str | None:
    status = raw.get("status") if isinstance(raw, dict) else None
    return status if status in DELIVERY else None


def error_of(payload: Any) -> tuple[int | None, str]:
    """A Twilio error object's ``code`` and ``message``."""
    if not isinstance(payload, dict):
        return None, ""
    code, said = payload.get("code"), payload.get("message")
    return (
        code if isinstance(code, int) else None,
        said[:200] if isinstance(said, str) else "",
    )
