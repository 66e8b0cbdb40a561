"""A reply as a mail: plain text, threaded under the patron's mail, with headers nobody can bend.

Every header value comes from a patron's mail, so each is made one line
before it is set (``parsing.one_line``), and the stdlib's ``EmailMessage``
refuses a header with a line break in it all the same: a subject carrying
``\\r\\nBcc: …`` stays a subject.
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from askdesk.channels.email.parsing import message_ids, one_line

_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw)(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
MAX_REFERENCES = 20
"""References sent: the thread's first mail and the latest ones, as RFC 5322 suggests."""


@dataclass(frozen=True)
class Outgoing:
    """A reply ready for SMTP: who it goes to, its Message-ID, its bytes."""

    to: str
    message_id: str
    data: bytes


def reply_subject(subject: str) -> str:
    """``Re: <their subject>`` with exactly one ``Re:``, however many they had."""
    bare = _REPLY_PREFIX.sub("", one_line(subject)).strip()
    return f"Re: {bare}" if bare else "Re: your message"


def our_message_id(reply_id: str, address: str) -> str:
    """The Message-ID of a reply (without brackets): the same for every attempt to send it,
    so the Sent folder tells whether it went."""
    domain = address.rpartition("@")[2] or "askdesk.invalid"
    safe_id = re.sub(r"[^A-Za-z0-9.-]", "", reply_id) or "reply"
    return f"askdesk.{safe_id}@{domain}"


def reply_mail(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    message_id: str,
    in_reply_to: str | None,
    thread: list[str],
    at: datetime,
) -> Outgoing:
    """The reply as bytes for SMTP and for the copy in Sent."""
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = reply_subject(subject)
    mail["Date"] = format_datetime(at)
    mail["Message-ID"] = f"<{message_id}>"
    references = [i for i in thread if message_ids(f"<{i}>") == [i]]
    if len(references) > MAX_REFERENCES:
        references = [references[0], *references[-(MAX_REFERENCES - 1) :]]
    if in_reply_to and message_ids(f"<{in_reply_to}>") == [in_reply_to]:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        if in_reply_to not in references:
            references.append(in_reply_to)
    if references:
        mail["References"] = " ".join(f"<{i}>" for i in references)
    mail.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8")
    return Outgoing(to=to, message_id=message_id, data=mail.as_bytes())
