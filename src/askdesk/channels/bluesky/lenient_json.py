"""The SDK's requests, with a page its JSON parser refuses read item by item.

The atproto SDK parses every answer with pydantic_core, which refuses nesting
deeper than 200 levels and lone surrogates (a ``\\ud800`` escape). Either can sit
in one patron's post or chat message, and then the whole page failed: every
poll after it too, until the page changed, so later mentions waited. Such a page
is read here with the standard library instead; each item of its lists that the
SDK's parser would refuse is replaced by a stand-in (``UNREADABLE``) that keeps
only its id and time, so the channel skips that one with a sentence and reads on.
Imported only where the SDK is in use.
"""

from __future__ import annotations

import json
from typing import Any

from atproto_client.request import Request, Response
from pydantic_core import from_json

from askdesk.channels.bluesky.payloads import UNREADABLE

KEPT = ("uri", "indexedAt", "id", "rev", "sentAt")
"""What a stand-in keeps of the item it replaces: enough to name it and move past it."""
KEPT_LENGTH = 3000


class LenientRequest(Request):  # type: ignore[misc]  # atproto ships no type hints
    """``Request`` whose GET reads a page the SDK's parser refuses with ``read_page``."""

    def get(self, *args: Any, **kwargs: Any) -> Response:
        answer = self._send_request("GET", *args, **kwargs)
        headers = {key.lower(): value for key, value in answer.headers.items()}
        content: Any = answer.content
        if "application/json" in headers.get("content-type", "").lower():
            content = read_page(answer.content)
        return Response(
            success=True, status_code=answer.status_code, content=content, headers=headers
        )


def read_page(data: bytes) -> Any:
    """``data`` as the SDK's parser reads it, or item by item where it refuses.

    Raises ``ValueError`` (as the SDK's parser does) when even the standard
    library cannot read it, or when what it refuses is not inside a list.
    """
    try:
        return from_json(data)
    except ValueError:
        pass
    try:
        page = json.loads(data)
    except (ValueError, RecursionError):
        raise ValueError("JSON that neither parser can read") from None
    if not isinstance(page, dict):
        return _as_the_sdk_reads(page)
    return {
        key: [_item(item) for item in value]
        if isinstance(value, list)
        else _as_the_sdk_reads(value)
        for key, value in page.items()
    }


def _as_the_sdk_reads(value: Any) -> Any:
    """``value`` as pydantic_core reads it; ``ValueError`` where it refuses."""
    try:
        return from_json(json.dumps(value))
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _item(item: Any) -> Any:
    try:
        return _as_the_sdk_reads(item)
    except ValueError:
        kept = {}
        if isinstance(item, dict):
            for key in KEPT:
                value = item.get(key)
                if isinstance(value, str) and value.isascii() and len(value) <= KEPT_LENGTH:
                    kept[key] = value
        return {UNREADABLE: True, **kept}
