"""Mastodon through Mastodon.py, split the way ``channels/twitter`` is.

- ``credentials``: the access token, through the shared credentials helper;
- ``payloads``: Mastodon's REST entities to ``Message``, talking to nobody;
- ``client``: the requests, and the instance's answers as askdesk's errors;
- ``text``: whom a reply addresses and how Mastodon counts its length;
- ``channel``: ``MastodonChannel`` (fetch, send, find_sent) and its ``ADAPTER``.
"""

from askdesk.channels.mastodon.channel import ADAPTER, MastodonChannel
from askdesk.channels.mastodon.text import addressed, status_length

__all__ = ["ADAPTER", "MastodonChannel", "addressed", "status_length"]
