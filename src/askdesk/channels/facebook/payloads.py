"""Graph API JSON → askdesk values: Messenger threads and messages to ``Message``, the cursor.

Nothing here talks to Meta. Every function takes what the Graph API sent as
untrusted JSON: a malformed message is a ``BadItem`` with the reason (the
fetch skips it and says so), a malformed page an ``UnexpectedPayload``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from askdesk.errors import UnexpectedPayload
from askdesk.model import Kind, Message, Role

_ID = re.compile(r"[A-Za-z0-9_.:=+/-]{1,200}")
"""What Graph ids look like: page-scoped ids are digits, threads ``t_…``, messages ``m_…``."""

_GRAPH_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)([+-]\d{4}|Z)?")

_MEDIA = {"image": "image", "video": "video", "audio": "audio"}
"""A MIME type's first part -> the word staff read for the attachment."""


class BadItem(ValueError):
    """One message that cannot become a ``Message``; the text says why."""


def page(payload: Mapping[str, Any], what: str) -> tuple[list[Any], str | None]:
    """A listing's ``data`` and the ``after`` cursor of the next page, or ``UnexpectedPayload``.

    The next page is asked for with ``after`` at ``graph_url``, never by following
    ``paging.next``: the token goes only where the configuration says.
    """
    data = payload.get("data")
    if not isinstance(data, list):
        raise UnexpectedPayload(f"Facebook answered {what} with a page of an unexpected shape")
    paging = payload.get("paging")
    if not isinstance(paging, dict) or not paging.get("next"):
        return data, None  # Graph leaves out ``next`` on the last page
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return data, after if isinstance(after, str) and after else None


def thread_of(raw: Any) -> tuple[str, datetime, str | None]:
    """A conversation's id, ``updated_time`` and link (on facebook.com), or ``BadItem``."""
    if not isinstance(raw, dict):
        raise BadItem("not a conversation object")
    thread = graph_id(raw.get("id"))
    if thread is not None and ("/" in thread or thread.strip(".") == ""):
        # The id goes into the next request's path ({thread}/messages): one that climbs
        # out of it would take the Page's token to another Graph endpoint.
        thread = None
    updated = parse_time(raw.get("updated_time"))
    if thread is None or updated is None:
        raise BadItem("its id or updated_time is missing or malformed; skipped")
    link = raw.get("link")
    url = f"https://www.facebook.com{link}" if isinstance(link, str) and link[:1] == "/" else None
    return thread, updated, url


def patron_of(raw: Any, page_id: str) -> str | None:
    """The page-scoped id of the thread's other participant (whom replies go to)."""
    participants = raw.get("participants") if isinstance(raw, dict) else None
    listed = participants.get("data") if isinstance(participants, dict) else None
    for person in listed if isinstance(listed, list) else []:
        found = graph_id(person.get("id")) if isinstance(person, dict) else None
        if found is not None and found != page_id:
            return found
    return None


def message(
    raw: Any, *, page_id: str, thread: str, channel: str, url: str | None, kind: Kind
) -> Message:
    """The ``Message`` for one Graph message: the patron's, or the Page's own sent elsewhere."""
    if not isinstance(raw, dict):
        raise BadItem("not a message object")
    message_id = graph_id(raw.get("id"))
    if message_id is None:
        raise BadItem("its id is missing or malformed; skipped")
    received_at = parse_time(raw.get("created_time"))
    if received_at is None:
        shown = str(raw.get("created_time"))[:40]
        raise BadItem(f"created_time {shown!r} is not a time; skipped")
    sender = raw.get("from")
    sender_id = graph_id(sender.get("id")) if isinstance(sender, dict) else None
    if sender_id is None or not isinstance(sender, dict):
        raise BadItem("its sender (from.id) is missing; skipped")
    name = sender.get("name")
    author = name if isinstance(name, str) and name.strip() else f"Facebook user {sender_id}"
    text = body(raw)
    if not text:
        raise BadItem("it has no text, attachment or sticker; skipped")
    return Message(
        channel=channel,
        remote_id=message_id,
        kind=kind,
        author=author,
        text=text,
        received_at=received_at,
        conversation=thread,
        url=url,
        role=Role.SENT_ELSEWHERE if sender_id == page_id else Role.QUESTION,
    )


def body(raw: Mapping[str, Any]) -> str:
    """The words staff read: the text, then one line per attachment, sticker or reaction.

    Nothing is fetched: an attachment is named by its type and URL.
    """
    lines: list[str] = []
    text = raw.get("message")
    if isinstance(text, str) and text:
        lines.append(text)
    sticker = raw.get("sticker")
    if isinstance(sticker, str) and sticker:
        lines.append(f"[sticker: {sticker}]")
    attachments = raw.get("attachments")
    listed = attachments.get("data") if isinstance(attachments, dict) else None
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, dict):
            lines.append(attachment(item))
    reactions = raw.get("reactions")
    listed = reactions.get("data") if isinstance(reactions, dict) else None
    named = [
        r["reaction"]
        for r in (listed if isinstance(listed, list) else [])
        if isinstance(r, dict) and isinstance(r.get("reaction"), str)
    ]
    if named:
        lines.append(f"[reactions: {' '.join(named)}]")
    return "\n".join(lines)


def attachment(item: Mapping[str, Any]) -> str:
    """``[image: URL]``; an attachment of a type Meta has not documented keeps its MIME type."""
    mime = item.get("mime_type")
    mime = mime if isinstance(mime, str) else ""
    kind = _MEDIA.get(mime.partition("/")[0])
    for key in ("image_data", "video_data"):
        data = item.get(key)
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            return f"[{kind or key.removesuffix('_data')}: {data['url']}]"
    found = item.get("file_url")
    if isinstance(found, str):
        return f"[{kind or 'file'}: {found}]"
    name = item.get("name")
    shown = f" {name}" if isinstance(name, str) and name else ""
    return f"[attachment of unknown type {mime or 'without a MIME type'}{shown}]"


def graph_id(value: Any) -> str | None:
    """``value`` when it is shaped like a Graph id, else None."""
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def parse_time(value: Any) -> datetime | None:
    """A Graph time (``2026-12-03T01:02:03+0000``) in UTC, or None."""
    if not isinstance(value, str):
        return None
    found = _GRAPH_TIME.fullmatch(value)
    if found is None:
        return None
    try:
        at = datetime.fromisoformat(found.group(1))
    except ValueError:
        return None
    offset = found.group(2)
    if offset in (None, "Z", "+0000", "-0000"):
        return at.replace(tzinfo=UTC)
    sign = 1 if offset[0] == "+" else -1
    shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
    return (at - sign * shift).replace(tzinfo=UTC)


def error_of(payload: Any) -> tuple[int | None, int | None, str]:
    """A Graph error object's ``code``, ``error_subcode`` and ``message``."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return None, None, ""
    code, subcode = error.get("code"), error.get("error_subcode")
    said = error.get("message")
    return (
        code if isinstance(code, int) else None,
        subcode if isinstance(subcode, int) else None,
        said[:200] if isinstance(said, str) else "",
    )


def usage(value: str | None) -> int | None:
    """The highest percentage in an ``X-App-Usage``/``X-Page-Usage`` header, or None."""
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    numbers = (
        [v for v in data.values() if isinstance(v, int | float)] if isinstance(data, dict) else []
    )
    return int(max(numbers)) if numbers else None
