"""Bluesky through the atproto SDK, split by concern like ``channels.twitter``.

- ``credentials``: the app password, through the shared credentials helper;
- ``session``: the login kept between runs in an owner-only file;
- ``payloads``: AT Protocol JSON to ``Message`` and the cursor, talking to nobody;
- ``client``: the calls, the login, and the service's answers as askdesk's errors;
- ``lenient_json``: a page the SDK's JSON parser refuses, read item by item;
- ``text``: how Bluesky counts a post or a chat message, and a post's text made readable;
- ``record_key``: the key a reply's post is created under, the same on every attempt;
- ``channel``: ``BlueskyChannel`` (fetch, send, find_sent) and its ``ADAPTER``.
"""

from askdesk.channels.bluesky.channel import ADAPTER, BlueskyChannel
from askdesk.channels.bluesky.session import SessionFile

__all__ = ["ADAPTER", "BlueskyChannel", "SessionFile"]
