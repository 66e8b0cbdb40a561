"""The record key a reply's post is created under, the same on every attempt.

A post's AT-URI ends in its record key, which the writer may choose. askdesk
chooses one from the reply itself, so a send that timed out after the
service had stored the post is found by that key (``getRecord``), and a
second ``createRecord`` under it is refused by the service instead of
posting the reply twice. ``app.bsky.feed.post`` keys are TIDs (the lexicon's
``"key": "tid"``): 53 bits of microseconds since 1970 and a 10-bit clock id,
in base32-sortable; here the time is when staff wrote the reply and the clock
id comes from the reply's id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from askdesk.model import Reply

_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_LENGTH = 13


def reply_record_key(reply: Reply) -> str:
    """The TID ``reply``'s post is created under: from its time and id, so always the same."""
    return tid(reply.created_at, int.from_bytes(hashlib.sha256(reply.id.encode()).digest()[:2]))


def tid(at: datetime, clock_id: int) -> str:
    """The TID of ``at`` (to the microsecond) with ``clock_id`` (its low 10 bits)."""
    micros = int(at.timestamp()) * 1_000_000 + at.microsecond
    value = ((micros & (2**53 - 1)) << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(_TID_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))
