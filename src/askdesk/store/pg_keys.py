"""How a key from outside goes into PostgreSQL's indexed key columns.

A message key is the platform's id for it (``channel:remote_id``), and a
conversation key may be a patron's address: both come from outside. PostgreSQL
refuses what TinyDB keeps: ``text`` cannot hold NUL (U+0000), and a btree
index entry cannot exceed about 2,700 bytes. A web form's id with a NUL in it,
or a chat client's 10 KB message id, would fail the whole batch it came in,
and the next poll would fetch the same batch and fail again, so nothing more
arrived on that channel. Such a key is indexed by a digest instead; the
conversation itself keeps the key exactly as it came (its JSON holds any
character), so every desk shows what a TinyDB store shows.
"""

from __future__ import annotations

import hashlib

INDEXED_BYTES = 1000
"""Keys up to this size go into the index as they are: every key a platform
really uses, so a database stays readable by hand."""
SHOWN_CHARS = 100
"""How much of a long key its digest form keeps, for whoever reads the table."""
DIGEST = "…sha256:"
"""What marks a key indexed by its digest: no platform's id holds it."""


def indexed(key: str) -> str:
    """``key`` as the key columns hold it: itself, or its start and SHA-256 digest."""
    raw = key.encode("utf-8", "surrogatepass")
    if len(raw) <= INDEXED_BYTES and "\x00" not in key:
        return key
    start = key[:SHOWN_CHARS].replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return f"{start}{DIGEST}{hashlib.sha256(raw).hexdigest()}"
