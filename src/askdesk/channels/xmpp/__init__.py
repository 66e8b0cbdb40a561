"""XMPP (Jabber) chat: the library's chat account as a live channel (``type = "xmpp"``).

- ``stanzas``: what a ``<message/>`` means to the desk (a question, a patron
  leaving, nothing), pure functions over its XML;
- ``connection``: slixmpp on an asyncio loop in a thread of its own, with
  reconnects, backoff and catch-up from the server's archive;
- ``channel``: ``XmppChannel`` (the live side and ``send``) and its ``ADAPTER``.
"""

from askdesk.channels.xmpp.channel import ADAPTER, XmppChannel

__all__ = ["ADAPTER", "XmppChannel"]
