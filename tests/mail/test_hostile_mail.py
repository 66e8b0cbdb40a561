"""A hostile patron's mail: raw bytes, escapes and markup in headers, hostile attachment names."""

from __future__ import annotations

from askdesk.desk.outbox import Outbox
from askdesk.model import ReplyStatus
from tests.mail.mailkit import Mailbox


def outbox_of(mailbox: Mailbox) -> Outbox:
    return Outbox(mailbox.desk, {"mail": mailbox.channel}, backoff=(0, 0, 0))  # type: ignore[arg-type]


RAW_8BIT = (
    b"From: Zo\xc3\xab \xff\xfe Smith <zoe@example.org>\r\n"
    b"Subject: Hours \xe9t\xe9 \xff\r\n"
    b"Message-ID: <raw8bit@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWhen do you open?\r\n"
    b"--b\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="list\xff.pdf"\r\n\r\n%PDF\r\n--b--\r\n'
)


def test_raw_8bit_bytes_in_headers_arrive_readable_and_the_reply_goes(mailbox: Mailbox) -> None:
    mailbox.deliver(RAW_8BIT)
    result = mailbox.poll()
    assert (result.added, result.problems) == (1, [])
    message = mailbox.desk.get("mail:raw8bit@example.org").latest  # type: ignore[union-attr]
    # Raw UTF-8 is read as such (RFC 6532); bytes that are no UTF-8 become stand-ins, not lone
    # surrogates, which no store, screen or log line can encode (every fetch failed on them).
    assert message.author == "Zo\u00eb \ufffd\ufffd Smith <zoe@example.org>"
    assert message.text.startswith("Hours \ufffdt\ufffd \ufffd\n\nWhen do you open?")
    assert "list\ufffd.pdf (application/pdf, 4 B)" in message.text
    outbox = outbox_of(mailbox)
    outbox.queue("mail:raw8bit@example.org", "At ten.")
    [sent] = outbox.run_due()
    assert sent.status is ReplyStatus.SENT
