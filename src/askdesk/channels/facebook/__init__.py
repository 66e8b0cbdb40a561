"""Facebook Page messages (Messenger) through the Graph API, split by concern as twitter/ is.

- ``payloads``: Graph JSON to ``Message``, the cursor, talking to nobody;
- ``client``: the requests, and Meta's answers as askdesk's errors;
- ``window``: Messenger's 24-hour (and human agent 7-day) reply window in words;
- ``channel``: ``FacebookChannel`` (fetch, send, reply_window) and its ``ADAPTER``.
"""

from askdesk.channels.facebook.channel import ADAPTER, FacebookChannel, PageSettings

__all__ = ["ADAPTER", "FacebookChannel", "PageSettings"]
