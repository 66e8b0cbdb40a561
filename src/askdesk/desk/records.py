"""Conversations as plain records for ``--format json`` and scripts."""

from __future__ import annotations

from typing import Any

from askdesk.desk.views import listed_author
from askdesk.model import Conversation


def conversation_record(c: Conversation, *, full: bool = False) -> dict[str, Any]:
    """One JSON object per conversation; field names are a contract for scripts."""
    latest = c.latest
    resolution = c.resolution
    record: dict[str, Any] = {
        "key": c.key,
        "message_key": latest.key,
        "channel": c.channel,
        "kind": c.kind.value,
        "author": latest.author if full else listed_author(c),
        "text": latest.text,
        "status": c.status.value,
        "holder": c.holder,
        "flagged": c.flagged,
        "flag_reason": c.flag,
        "received_at": latest.received_at.isoformat(),
        "waiting_since": c.waiting_since.isoformat(),
        "conversation": c.key,
        "messages": len(c.messages),
        "url": latest.url,
        "resolution": None
        if resolution is None
        else {
            "at": resolution.at.isoformat(),
            "staff": resolution.staff,
            "outcome": resolution.outcome.value,
            "type": resolution.question_type.value,
            "read": resolution.read_level,
            "time_spent_min": resolution.time_spent_min,
            "fields": dict(resolution.fields),
        },
    }
    if full:
        record["thread"] = [
            {
                "key": m.key,
                "author": m.author,
                "text": m.text,
                "received_at": m.received_at.isoformat(),
                "kind": m.kind.value,
                "url": m.url,
            }
            for m in c.messages
        ]
        record["events"] = [
            {"at": e.at.isoformat(), "staff": e.staff, "action": e.action, **e.details}
            for e in c.events
        ]
    return record


def describe_event(action: str, details: dict[str, Any]) -> str:
    """An event in words for the history view: ``claimed``, ``flagged: hostile``."""
    match action:
        case "arrive":
            return "arrived"
        case "follow-up":
            return "wrote again"
        case "notice":
            if details.get("what") == "bounce":
                return "a delivery failure report came back (not a question)"
            return "an automatic reply came (out of office or similar; not a question)"
        case "claim":
            return "claimed"
        case "release":
            return "released to New"
        case "hand-off":
            return f"handed to {details.get('to', '?')}"
        case "take-over":
            return f"took it over from {details.get('from', '?')}"
        case "resolve":
            recorded = [f"{details['minutes']} min"] if "minutes" in details else []
            fields = details.get("fields")
            if isinstance(fields, dict):
                recorded += [f"{name} {choice}" for name, choice in fields.items()]
            return (
                f"resolved: {details.get('outcome')}, {details.get('type')}, "
                f"READ {details.get('read')}" + "".join(f", {r}" for r in recorded)
            )
        case "reopen":
            return "reopened" + (" by a follow-up" if "message" in details else "")
        case "flag":
            return f"flagged: {details.get('reason', '')}"
        case "unflag":
            return "flag cleared"
        case "note":
            return f"note: {details.get('text', '')}"
        case "reply-queued":
            return "wrote a reply"
        case "reply":
            via = (
                f" from template {', '.join(details['templates'])}"
                if details.get("templates")
                else ""
            )
            route = " privately" if details.get("private") else ""
            echo = (
                " (the message listed earlier as sent outside askdesk was this reply)"
                if details.get("echo")
                else ""
            )
            return f"replied{route}{via}{echo}"
        case "reply-retry":
            return "asked to send a reply again"
        case "reply-edit":
            return "edited a reply"
        case "reply-cancel":
            return "cancelled a reply"
        case "patron-left":
            return "patron left"
        case "sent-elsewhere":
            return "sent a message outside askdesk"
        case "opt-out":
            return "opted out of texts (STOP): replies are refused"
        case "opt-in":
            return "opted back in to texts (START)"
        case "delivery":
            return f"reply {str(details.get('reply', ''))[:8]}: {details.get('delivery')}"
        case "anonymize":
            return "patron details removed (retention)"
        case _:
            return action
