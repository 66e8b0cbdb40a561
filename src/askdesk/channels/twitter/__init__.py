"""Twitter/X through tweepy's v2 Client: a model of a channel adapter split by concern.

- ``credentials``: which X credentials, through the shared credentials helper;
- ``payloads``: X's JSON to ``Message`` and ids, talking to nobody;
- ``client``: the requests, and X's answers as askdesk's errors;
- ``text``: a public reply's words and how X counts them;
- ``channel``: ``TwitterChannel`` (fetch, send, find_sent) and its ``ADAPTER``.
"""

from askdesk.channels.twitter.channel import ADAPTER, TwitterChannel
from askdesk.channels.twitter.credentials import Credentials, load_credentials
from askdesk.channels.twitter.text import public_reply_text

__all__ = ["ADAPTER", "Credentials", "TwitterChannel", "load_credentials", "public_reply_text"]
