"""The reply mail itself: one 'Re:', and no header a patron's words could add."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from askdesk.channels.email.outgoing import reply_mail, reply_subject


def test_one_re_however_many_the_patron_had() -> None:
    assert reply_subject("Re: RE: Aw: Re[2]: Sunday hours") == "Re: Sunday hours"
    assert reply_subject("Sunday hours") == "Re: Sunday hours"
    assert reply_subject("  ") == "Re: your message"


def test_a_subject_stored_with_line_breaks_still_makes_one_header() -> None:
    outgoing = reply_mail(
        sender="ask@library.test",
        to="eve@example.org",
        subject="Hours\r\nBcc: victim@example.org\n\nbody",
        text="At ten.",
        message_id="askdesk.1@library.test",
        in_reply_to="bad id\r\nBcc: x@y",
        thread=["root@example.org", "not an id"],
        at=datetime(2026, 12, 3, 9, tzinfo=UTC),
    )
    mail = email.message_from_bytes(outgoing.data, policy=email.policy.default)
    assert mail["Subject"] == "Re: Hours Bcc: victim@example.org body"
    assert mail["Bcc"] is None and mail["In-Reply-To"] is None
    assert mail["References"] == "<root@example.org>"
    assert outgoing.data.count(b"\r\nBcc") == 0
