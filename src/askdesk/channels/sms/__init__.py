"""SMS ("Text a Librarian") through a provider, Twilio first, split by concern:

- ``numbers``: E.164, masking for lists, the pseudonym keys carry instead of a number;
- ``payloads``: Twilio's JSON to ``Message``, opt-out words, the cursor;
- ``provider``: what a provider does (list, send, delivery), so another can be added;
- ``twilio``: Twilio's REST API over plain HTTP;
- ``channel``: ``SmsChannel`` (fetch, send, reply_window) and its ``ADAPTER``.
"""

from askdesk.channels.sms.channel import ADAPTER, SmsChannel
from askdesk.channels.sms.numbers import masked

__all__ = ["ADAPTER", "SmsChannel", "masked"]
