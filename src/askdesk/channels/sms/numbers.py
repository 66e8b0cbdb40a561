"""Phone numbers: which are E.164, how lists show them masked, and a name that is not one.

A patron's number is personal data: lists show ``+1 555-•••-4321``, the
conversation shows it whole, and keys, exports and statistics carry a
pseudonym made from it instead (``patron_id``).
"""

from __future__ import annotations

import hashlib
import hmac
import re

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
MASK = "•"


def e164(value: object) -> str | None:
    """``value`` when it is an E.164 number (``+`` and 7 to 15 digits), else None."""
    return value if isinstance(value, str) and _E164.fullmatch(value) else None


def masked(number: str) -> str:
    """``+1 555-•••-4321`` (North America), ``+44 ••••••1234`` elsewhere; the rest as it is."""
    if e164(number) is None:
        return number
    digits = number[1:]
    if digits.startswith("1") and len(digits) == 11:
        return f"+1 {digits[1:4]}-{MASK * 3}-{digits[-4:]}"
    return f"+{digits[:2]} {MASK * (len(digits) - 6)}{digits[-4:]}"


def patron_id(secret: bytes, channel: str, number: str) -> str:
    """The name a number's conversations go by in keys: the same for one number, not the number.

    An HMAC-SHA256 under the store's own secret (``desk.pseudonyms``): there
    are only about 10^10 phone numbers, so a plain hash of one is undone by
    trying them all; without the secret a key names nobody.
    """
    digest = hmac.new(secret, f"{channel}\n{number}".encode(), hashlib.sha256).hexdigest()
    return f"sms-{digest[:20]}"


def former_patron_id(channel: str, number: str) -> str:
    """The unkeyed name keys carried before ``patron_id`` was keyed: only to find a number's
    conversation begun then, so its follow-ups still join it. Never given to a new one."""
    digest = hashlib.sha256(f"{channel}\n{number}".encode()).hexdigest()
    return f"sms-{digest[:16]}"
