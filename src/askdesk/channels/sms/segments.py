"""How many SMS segments a text takes, counted as carriers count them.

GSM-7 (GSM 03.38) holds 160 septets in one text and 153 in each part of a
longer one; a character of the extension table (``€``, ``[``…) costs two. A
single character outside GSM-7 makes the whole text UCS-2: 70 UTF-16 units,
67 a part, an emoji two. An escape pair or a surrogate pair is never split
across parts. The composer (``desk.limits``) shows this count and the
channel checks it again before sending, in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
_GSM_SINGLE, _GSM_SEGMENT = 160, 153
_UCS2_SINGLE, _UCS2_SEGMENT = 70, 67


@dataclass(frozen=True)
class Segments:
    """``count`` segments; ``characters``: the septets (GSM-7) or UTF-16 units (UCS-2)
    counted; ``segment_size``: what one segment holds at this length."""

    count: int
    characters: int
    segment_size: int
    encoding: str

    def label(self, limit: int) -> str:
        """``1 segment (SMS, 44/70 characters, Unicode)``; ``, limit N`` once over it."""
        unicode = ", Unicode" if self.encoding == "UCS-2" else ""
        if self.count <= 1:
            detail = f"SMS, {self.characters:,}/{self.segment_size} characters{unicode}"
        else:
            detail = f"SMS, {self.segment_size} characters each{unicode}"
        over = f", limit {limit}" if self.count > limit else ""
        unit = "segment" if self.count == 1 else "segments"
        return f"{self.count} {unit}{over} ({detail})"


def segments(text: str) -> Segments:
    """The segments ``text`` takes (0 for no text)."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENSION for char in text):
        costs = [2 if char in _GSM_EXTENSION else 1 for char in text]
        encoding, single, segment = "GSM-7", _GSM_SINGLE, _GSM_SEGMENT
    else:
        costs = [2 if ord(char) > 0xFFFF else 1 for char in text]  # UTF-16 surrogate pairs
        encoding, single, segment = "UCS-2", _UCS2_SINGLE, _UCS2_SEGMENT
    total = sum(costs)
    if total <= single:
        return Segments(1 if text else 0, total, single, encoding)
    count, filled = 1, 0
    for cost in costs:
        if filled + cost > segment:
            count, filled = count + 1, 0
        filled += cost
    return Segments(count, total, segment, encoding)
