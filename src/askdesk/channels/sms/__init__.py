"""SMS ("Text a Librarian") through a provider, Twilio first, split by concern:

- ``numbers``: E.164, masking for lists, the pseudonym keys carry instead of a number;
- ``payloads``: Twilio's JSON to ``Message``, opt-out words, the cursor;
- ``provider``: what a provider does (list, send, delivery), so another can be added;
- ``twilio``: Twilio's REST API over plain HTTP;
- ``channel``: ``SmsChannel`` (fetch, send, reply_window) and its ``ADAPTER``.
"""

from typing import TYPE_CHECKING, Any

from askdesk.channels.sms.numbers import masked

if TYPE_CHECKING:
    from askdesk.channels.sms.channel import ADAPTER, SmsChannel

__all__ = ["ADAPTER", "SmsChannel", "masked"]


def __getattr__(name: str) -> Any:
    """The channel and its adapter on first use: the desk's lists mask numbers and
    count segments without loading Twilio's client (a command that talks to no
    channel, such as ``stats``, starts without it)."""
    if name in ("ADAPTER", "SmsChannel"):
        from askdesk.channels.sms import channel

        return getattr(channel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
