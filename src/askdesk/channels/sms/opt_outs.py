"""Which numbers texted STOP and not START since: kept by pseudonym in the channel's cursor.

An opt-out is recorded on the number's conversation, but that is not enough
to honour it: retention anonymises the conversation after a while (and with
it every link to the number), and a STOP may come from a number with no
conversation at all. So the channel keeps its own register in its cursor,
which the store keeps apart from conversations, retention never touches and
``askdesk store copy`` takes along: each opted-out number's keyed pseudonym
(never the number) and when it texted STOP. A question from a number in it
arrives with a reminder beside it, an opt-out record, so the composer,
``askdesk reply`` and the send refuse a reply on that conversation too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from askdesk.model import Message, Role

FIELD = "opted_out"
"""The cursor's key for the register: ``{pseudonym: time of the STOP}``."""
REMINDER = ".opted-out"
"""What a reminder's id adds to the id of the text it stands beside."""


@dataclass
class OptOuts:
    """The pseudonyms that opted out, each with the time of its STOP."""

    stopped: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def read(cls, cursor: str | None) -> OptOuts:
        """The register in ``cursor``; an entry that is not a pseudonym and a time is dropped."""
        try:
            data = json.loads(cursor) if cursor else {}
        except ValueError:
            data = {}
        raw = data.get(FIELD) if isinstance(data, dict) else None
        stopped = {}
        for patron, at in (raw if isinstance(raw, dict) else {}).items():
            try:
                when = datetime.fromisoformat(at) if isinstance(at, str) else None
            except ValueError:
                when = None
            if when is not None and when.tzinfo is not None:
                stopped[patron] = when
        return cls(stopped)

    def note(self, message: Message) -> Message | None:
        """Keep up with one text (read in time order); the reminder to put beside it, if any."""
        patron = message.conversation
        if patron is None:
            return None
        since = self.stopped.get(patron)
        if message.role is Role.OPT_OUT:
            if since is None or message.received_at > since:
                self.stopped[patron] = message.received_at
            return None
        if message.role is Role.OPT_IN:
            if since is not None and message.received_at >= since:
                del self.stopped[patron]
            return None
        if since is None or message.received_at < since:
            return None
        return Message(
            channel=message.channel,
            remote_id=f"{message.remote_id}{REMINDER}",
            kind=message.kind,
            author=message.author,
            text=(
                f"still opted out: texted STOP at {since:%Y-%m-%d %H:%M} UTC and not START "
                "since, so no text can go to this number"
            ),
            received_at=message.received_at,
            conversation=patron,
            role=Role.OPT_OUT,
        )

    def into(self, cursor: str) -> str:
        """``cursor`` (a JSON object) with the register in it."""
        data = json.loads(cursor)
        data[FIELD] = {p: at.isoformat() for p, at in sorted(self.stopped.items())}
        return json.dumps(data, sort_keys=True)


def is_reminder(message: Message) -> bool:
    return message.role is Role.OPT_OUT and message.remote_id.endswith(REMINDER)
