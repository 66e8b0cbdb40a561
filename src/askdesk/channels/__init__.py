"""One module per platform: platform payload → ``Message``; no store, no UI.

Heavy SDKs are imported inside the adapter that needs them, so a desk with
only the demo feed never pays for tweepy.
"""

from askdesk.channels.base import Channel, Fetched, Problem, Receipt, Sender, SentLookup

__all__ = ["Channel", "Fetched", "Problem", "Receipt", "Sender", "SentLookup"]
