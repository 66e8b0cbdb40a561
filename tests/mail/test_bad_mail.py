"""Mail that is large, malformed or hostile: readable text or a skipped mail with its UID."""

from __future__ import annotations

import pytest

from askdesk.desk.text import one_line
from tests.mail.mailkit import Mailbox, patron_mail


def test_a_5_mb_mail_arrives_whole_with_its_attachment_listed(mailbox: Mailbox) -> None:
    mail = patron_mail("Photos of the damaged book attached.", message_id="<big5@example.org>")
    mail.add_attachment(b"\xff\xd8" + bytes(5 * 1024 * 1024), maintype="image", subtype="jpeg",
                        filename="damage.jpg")  # fmt: skip
    mailbox.deliver(mail)
    mailbox.poll()
    text = mailbox.desk.get("mail:big5@example.org").latest.text  # type: ignore[union-attr]
    assert "Photos of the damaged book attached." in text
    assert "damage.jpg (image/jpeg, 5.0 MB)" in text
    assert mailbox.store_path.stat().st_size < 100_000


def test_a_50_mb_mail_is_read_in_part_and_says_so(mailbox: Mailbox) -> None:
    mail = patron_mail("My thesis, for the repository.", message_id="<big50@example.org>")
    mail.add_attachment(bytes(50 * 1024 * 1024), maintype="application", subtype="pdf",
                        filename="thesis.pdf")  # fmt: skip
    mailbox.deliver(mail)
    result = mailbox.poll()
    assert (result.added, result.problems) == (1, [])
    text = mailbox.desk.get("mail:big50@example.org").latest.text  # type: ignore[union-attr]
    assert "My thesis, for the repository." in text
    assert "thesis.pdf (application/pdf, size unknown)" in text
    assert "too large to read here whole" in text


def test_a_mail_without_message_id_gets_a_stable_id_and_is_not_doubled(mailbox: Mailbox) -> None:
    mailbox.deliver(patron_mail("No id here", message_id=None))
    assert mailbox.poll().added == 1
    [conversation] = mailbox.desk.live()
    assert conversation.latest.remote_id.startswith("sha256-")
    # Read again from the start (as after a changed UIDVALIDITY): the same key, no double.
    fetched = mailbox.channel.fetch(None, mailbox.now())
    assert [m.key for m in fetched.messages] == [conversation.latest.key]
    assert mailbox.desk.ingest(fetched.messages).duplicates == 1


def test_malformed_mime_and_an_undecodable_charset_still_read_as_text(mailbox: Mailbox) -> None:
    no_boundary = (
        b"From: Bo <bo@example.org>\r\nSubject: broken\r\nMessage-ID: <mime1@example.org>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"Where is the map room?\r\n--nothing\r\n"
    )
    bad_charset = (
        b"From: =?x-klingon?q?Worf?= <worf@example.org>\r\nSubject: =?x-klingon?q?Qapla?=\r\n"
        b"Message-ID: <charset1@example.org>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\n\r\nbooks about \xff\xfe honour\r\n"
    )
    mailbox.deliver(no_boundary)
    mailbox.deliver(bad_charset)
    result = mailbox.poll()
    assert (result.added, result.problems) == (2, [])
    broken = mailbox.desk.get("mail:mime1@example.org").latest.text  # type: ignore[union-attr]
    assert "Where is the map room?" in broken
    klingon = mailbox.desk.get("mail:charset1@example.org").latest  # type: ignore[union-attr]
    assert "books about" in klingon.text and "honour" in klingon.text
    assert "worf@example.org" in klingon.author


def test_line_breaks_in_a_subject_or_name_stay_on_one_line(mailbox: Mailbox) -> None:
    raw = (
        b"From: =?utf-8?q?Eve=0D=0ABcc=3A_all=40example=2Eorg?= <eve@example.org>\r\n"
        b"Subject: =?utf-8?q?Hours=0D=0ABcc=3A_victim=40example=2Eorg?=\r\n"
        b"Message-ID: <inject1@example.org>\r\n\r\nWhen do you open?\r\n"
    )
    mailbox.deliver(raw)
    mailbox.poll()
    message = mailbox.desk.get("mail:inject1@example.org").latest  # type: ignore[union-attr]
    subject = message.text.partition("\n")[0]
    assert subject == "Hours Bcc: victim@example.org"
    assert "\r" not in message.author and "\n" not in message.author
    assert one_line(message.author) == message.author


def test_a_changed_uidvalidity_reads_the_folder_again_without_doubles(mailbox: Mailbox) -> None:
    client = mailbox.dovecot.client(mailbox.address)
    client.create_folder("Questions")
    client.logout()
    mailbox.channel = mailbox.build(folder="Questions")
    mailbox.poller = type(mailbox.poller)(mailbox.desk, [mailbox.channel])
    mailbox.deliver(patron_mail("First", message_id="<uv1@example.org>"), "Questions")
    assert mailbox.poll().added == 1
    cursor_before = mailbox.desk.store.cursor("mail")
    # The folder is made anew: the same mail and a new one, under a new UIDVALIDITY.
    client = mailbox.dovecot.client(mailbox.address)
    client.delete_folder("Questions")
    client.create_folder("Questions")
    client.logout()
    mailbox.deliver(patron_mail("First", message_id="<uv1@example.org>"), "Questions")
    mailbox.deliver(patron_mail("Second", message_id="<uv2@example.org>"), "Questions")
    result = mailbox.poll()
    assert (result.added, result.duplicates) == (1, 1)
    assert mailbox.desk.store.cursor("mail") != cursor_before
    assert sorted(c.key for c in mailbox.desk.live()) == [
        "mail:uv1@example.org",
        "mail:uv2@example.org",
    ]


def test_a_flood_is_read_a_batch_at_a_time(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from askdesk.channels.email import channel

    monkeypatch.setattr(channel, "BATCH", 2)
    for n in range(5):
        mailbox.deliver(patron_mail(f"Question {n}", message_id=f"<flood{n}@example.org>"))
    first = mailbox.poll()
    assert (first.added, first.waiting) == (2, 3)
    mailbox.poll()
    last = mailbox.poll()
    assert (last.added, last.waiting) == (1, 0)
    assert len(mailbox.desk.live()) == 5


def nested_too_deep(depth: int = 1000) -> bytes:
    """A 65 KB mail whose multipart parts nest 1000 deep: the stdlib's parser cannot take it."""
    head = (
        b"From: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>\r\nSubject: =?utf-8?q?Map_r=C3=B6om?=\r\n"
        b"Message-ID: <deep1@example.org>\r\nMIME-Version: 1.0\r\n"
    )
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n)
        for n in range(depth)
    )
    closing = b"".join(b"--b%d--\r\n" % n for n in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\r\n\r\nWhere is the map room?\r\n" + closing


def test_a_mail_the_parser_cannot_read_is_on_the_desk_with_a_notice_and_read_once(
    mailbox: Mailbox,
) -> None:
    mailbox.deliver(nested_too_deep())
    mailbox.deliver(patron_mail("And the next question", message_id="<after@example.org>"))
    first = mailbox.poll()
    assert first.added == 2  # the mail after it arrives too
    health = mailbox.poller.health["mail"].last_error or ""
    assert "UID 1: could not be read (its parts are nested inside each other too deeply)" in health
    notice = mailbox.desk.get("mail:deep1@example.org")
    assert notice is not None
    assert notice.latest.author == "Zoë <zoe@example.org>"
    assert notice.latest.text.startswith("Map röom\n\n(askdesk could not read this mail: its")
    assert "It is kept in the mailbox, INBOX UID 1, 64 KB; open it there" in notice.latest.text
    # Not read again at the next poll, nor doubled when the folder is read from the start.
    again = mailbox.poll()
    assert (again.added, again.problems) == (0, [])
    fetched = mailbox.channel.fetch(None, mailbox.now())
    assert mailbox.desk.ingest(fetched.messages).duplicates == 2
    # Nothing lost: the mail stays in the mailbox, marked read once the desk had it.
    client = mailbox.dovecot.client(mailbox.address)
    client.select_folder("INBOX", readonly=True)
    kept = client.fetch([1, 2], ["FLAGS", "RFC822.SIZE"])
    client.logout()
    assert [(uid, b"\\Seen" in data[b"FLAGS"]) for uid, data in sorted(kept.items())] == [
        (1, True),
        (2, True),
    ]
    assert kept[1][b"RFC822.SIZE"] == len(nested_too_deep())
