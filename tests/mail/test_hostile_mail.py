"""A hostile patron's mail: raw bytes, escapes and markup in headers, hostile attachment names."""

from __future__ import annotations

from email.message import EmailMessage

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


ESCAPES = (
    b"From: =?utf-8?q?=1B]0;pwned=07=1B[2J=C2=9B31m[@click=app.quit]_=E2=80=AEEve?= "
    b"<eve@example.org>\r\n"
    b"Subject: =?utf-8?q?Fines_=1B]8;;https://evil.example=07here=1B]8;;=07_=C2=9B2J?=\r\n"
    b"Message-ID: <escapes@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + b"A long one. " * 90_000 + b"\r\n"
    b"--b\r\nContent-Type: application/x-\x1b[2J; name=x\r\n"
    b'Content-Disposition: attachment; filename="../../etc/=?utf-8?q?passwd=1B=5B2J?="\r\n\r\n'
    b"x\r\n--b--\r\n"
)


def test_escape_codes_in_encoded_words_never_reach_a_header_or_a_line(mailbox: Mailbox) -> None:
    """OSC title, OSC 8 link and CSI in an encoded-word name and subject, a 1 MB body, an
    attachment named like a path with a control character in its MIME type: the mail
    arrives with C0 controls gone from its one-line fields (the screen shows the rest inert),
    its text cut at the desk's limit, the attachment only listed; the reply goes to Eve."""
    mailbox.deliver(ESCAPES)
    assert mailbox.poll().added == 1
    message = mailbox.desk.get("mail:escapes@example.org").latest  # type: ignore[union-attr]
    subject = message.text.partition("\n")[0]
    for line in (message.author, subject):
        assert not [c for c in line if ord(c) < 0x20], line
    assert message.author.endswith("<eve@example.org>") and message.url == "mailto:eve@example.org"
    assert len(message.text) < 101_000 and "cut here" in message.text
    outbox = outbox_of(mailbox)
    outbox.queue("mail:escapes@example.org", "We waive it.")
    [sent] = outbox.run_due()
    assert sent.status is ReplyStatus.SENT
    [(_, rcpt, mail)] = mailbox.smtp.outbox.received
    assert rcpt == ["eve@example.org"]
    assert "\x1b" not in str(mail["Subject"]) and mail["Bcc"] is None


def test_a_mail_of_megabytes_of_html_tags_is_read_only_in_its_first_megabyte(
    mailbox: Mailbox,
) -> None:
    """Taking HTML apart costs about 2 s a megabyte: an HTML-only mail of 5 MB of empty tags
    held the mailbox's fetch for ten seconds (a 20 MB one, a minute) for no words at all."""
    html = "<p>Where is the map room?</p>" + "<b></b>" * 700_000 + "<p>the end</p>"
    mail = EmailMessage()
    mail["From"] = "Eve <eve@example.org>"
    mail["Subject"] = "tags"
    mail["Message-ID"] = "<tags@example.org>"
    mail.set_content(html, subtype="html")
    mailbox.deliver(mail)
    assert mailbox.poll().added == 1
    text = mailbox.desk.get("mail:tags@example.org").latest.text  # type: ignore[union-attr]
    assert text.startswith("tags\n\nWhere is the map room?")
    assert text.endswith("(… cut here: the rest is in the mailbox.)")
    assert "the end" not in text
