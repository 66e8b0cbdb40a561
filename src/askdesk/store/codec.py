"""Conversations to plain JSON-able dicts and back, the same for every backend."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from askdesk.errors import StoreError
from askdesk.model import (
    Conversation,
    Event,
    Kind,
    Message,
    Outcome,
    QuestionType,
    Reply,
    ReplyStatus,
    Resolution,
    Role,
    Status,
)

E = TypeVar("E", bound=Enum)


def _by_value(kind: type[E]) -> dict[Any, E]:
    return {member.value: member for member in kind}


_KINDS, _STATUSES, _OUTCOMES = _by_value(Kind), _by_value(Status), _by_value(Outcome)
_TYPES, _REPLY_STATUSES = _by_value(QuestionType), _by_value(ReplyStatus)
_ROLES = _by_value(Role)
"""A dict lookup instead of ``Kind(value)``: Enum's call is a third of the time
it takes to read 100,000 conversations for ``askdesk list``."""


def _member(members: dict[Any, E], value: Any) -> E:
    try:
        return members[value]
    except (KeyError, TypeError):
        kind = type(next(iter(members.values()))).__name__
        raise ValueError(f"{value!r} is not a valid {kind}") from None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _maybe_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def reply_to_dict(r: Reply) -> dict[str, Any]:
    return {
        "id": r.id,
        "text": r.text,
        "staff": r.staff,
        "created_at": r.created_at.isoformat(),
        "status": r.status.value,
        "private": r.private,
        "templates": list(r.templates),
        "attempts": r.attempts,
        "next_attempt_at": _iso(r.next_attempt_at),
        "last_error": r.last_error,
        "sending_since": _iso(r.sending_since),
        "sending_by": r.sending_by,
        "remote_id": r.remote_id,
        "sent_at": _iso(r.sent_at),
        **({"delivery": r.delivery} if r.delivery is not None else {}),
    }


def reply_from_dict(d: dict[str, Any]) -> Reply:
    return Reply(
        id=d["id"],
        text=d["text"],
        staff=d["staff"],
        created_at=_time(d["created_at"]),
        status=_member(_REPLY_STATUSES, d["status"]),
        private=bool(d.get("private", False)),
        templates=tuple(d.get("templates", ())),
        attempts=int(d.get("attempts", 0)),
        next_attempt_at=_maybe_time(d.get("next_attempt_at")),
        last_error=d.get("last_error"),
        sending_since=_maybe_time(d.get("sending_since")),
        sending_by=d.get("sending_by"),
        remote_id=d.get("remote_id"),
        sent_at=_maybe_time(d.get("sent_at")),
        delivery=d.get("delivery"),
    )


def message_to_dict(m: Message) -> dict[str, Any]:
    record: dict[str, Any] = {
        "channel": m.channel,
        "remote_id": m.remote_id,
        "kind": m.kind.value,
        "author": m.author,
        "text": m.text,
        "received_at": m.received_at.isoformat(),
        "conversation": m.conversation,
        "url": m.url,
        "label": m.label,
        **({"role": m.role.value} if m.role is not Role.QUESTION else {}),
    }
    if m.fold_at is not None:
        record["fold_at"] = m.fold_at
    return record


def message_from_dict(d: dict[str, Any]) -> Message:
    return Message(
        channel=d["channel"],
        remote_id=d["remote_id"],
        kind=_member(_KINDS, d["kind"]),
        author=d["author"],
        text=d["text"],
        received_at=_time(d["received_at"]),
        conversation=d.get("conversation"),
        url=d.get("url"),
        label=d.get("label"),
        role=_member(_ROLES, d.get("role", Role.QUESTION.value)),
        fold_at=d["fold_at"] if isinstance(d.get("fold_at"), int) else None,
    )


def resolution_to_dict(r: Resolution) -> dict[str, Any]:
    """Time spent and the library's fields only when recorded: older records have neither."""
    d: dict[str, Any] = {
        "at": r.at.isoformat(),
        "staff": r.staff,
        "outcome": r.outcome.value,
        "type": r.question_type.value,
        "read": r.read_level,
    }
    if r.time_spent_min is not None:
        d["minutes"] = r.time_spent_min
    if r.fields:
        d["fields"] = dict(r.fields)
    return d


def resolution_from_dict(d: dict[str, Any]) -> Resolution:
    minutes = d.get("minutes")
    fields = d.get("fields") or {}
    if not isinstance(fields, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in fields.items()
    ):
        raise ValueError("a resolution's fields should map names to choices")
    return Resolution(
        at=_time(d["at"]),
        staff=d["staff"],
        outcome=_member(_OUTCOMES, d["outcome"]),
        question_type=_member(_TYPES, d["type"]),
        read_level=int(d["read"]),
        time_spent_min=None if minutes is None else int(minutes),
        fields=dict(fields),
    )


def to_dict(c: Conversation) -> dict[str, Any]:
    return {
        "key": c.key,
        "channel": c.channel,
        "kind": c.kind.value,
        "status": c.status.value,
        "holder": c.holder,
        "flag": c.flag,
        "messages": [message_to_dict(m) for m in c.messages],
        "resolutions": [resolution_to_dict(r) for r in c.resolutions],
        "events": [
            {"at": e.at.isoformat(), "staff": e.staff, "action": e.action, "details": e.details}
            for e in c.events
        ],
        "replies": [reply_to_dict(r) for r in c.replies],
    }


def from_dict(d: dict[str, Any]) -> Conversation:
    try:
        return Conversation(
            key=d["key"],
            channel=d["channel"],
            kind=_member(_KINDS, d["kind"]),
            status=_member(_STATUSES, d["status"]),
            holder=d.get("holder"),
            flag=d.get("flag"),
            messages=tuple(message_from_dict(m) for m in d["messages"]),
            resolutions=tuple(resolution_from_dict(r) for r in d["resolutions"]),
            events=tuple(
                Event(at=_time(e["at"]), staff=e["staff"], action=e["action"], details=e["details"])
                for e in d["events"]
            ),
            replies=tuple(reply_from_dict(r) for r in d.get("replies", ())),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        key = d.get("key") if isinstance(d, dict) else None
        raise MalformedRecord(key if isinstance(key, str) else "?", _detail(error)) from error


class MalformedRecord(StoreError):
    """A stored conversation that cannot be read; the store says which file holds it."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"conversation {key!r} in the store is malformed ({detail})")
        self.key = key
        self.detail = detail


def _detail(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r}" if error.args else "a field is missing"
    return str(error) or type(error).__name__


def record_problem(doc: Any) -> str | None:
    """What keeps a stored conversation from being indexed, or None.

    A cheap check made on every record when a file is read: the fields the
    store's index, dedup and archiving rely on. The rest is checked when a
    conversation is decoded (``from_dict``).
    """
    if not isinstance(doc, dict):
        return f"a {type(doc).__name__} where a conversation should be"
    key = doc.get("key")
    if not isinstance(key, str):
        return "a conversation without a key"
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        return f"{key} has no messages"
    for m in messages:
        if not (
            isinstance(m, dict)
            and isinstance(m.get("channel"), str)
            and isinstance(m.get("remote_id"), str)
        ):
            return f"{key} has a message without its channel and id"
    if not isinstance(doc.get("status"), str):
        return f"{key} has no status"
    resolutions = doc.get("resolutions")
    if not isinstance(resolutions, list):
        return f"{key} has no list of resolutions"
    for r in resolutions:
        try:
            datetime.fromisoformat(r["at"])
        except (KeyError, TypeError, ValueError):
            return f"{key} has a resolution without a valid time"
    return None
