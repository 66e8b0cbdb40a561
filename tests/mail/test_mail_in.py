"""Mail into a real Dovecot mailbox, onto the desk: the issue's mail matrix, the in side."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from askdesk.desk.health import health_fields
from askdesk.desk.views import row_for
from askdesk.model import Kind, Status
from tests.mail.mailkit import Mailbox, patron_mail


def test_a_plain_question_lands_in_new_decoded_and_marked_seen_once_stored(
    mailbox: Mailbox,
) -> None:
    mailbox.deliver(patron_mail("Do you have Middlemarch?\n\nThanks,\nAnn"))
    result = mailbox.poll()
    assert (result.added, result.problems) == (1, [])
    [conversation] = mailbox.desk.live()
    assert conversation.key == "mail:q1@example.org"
    assert conversation.status is Status.NEW and conversation.kind is Kind.EMAIL
    message = conversation.latest
    assert message.author == "Ann Patron <ann@example.org>"
    assert message.text == "A question\n\nDo you have Middlemarch?\n\nThanks,\nAnn"
    assert message.url == "mailto:ann@example.org"
    # Not yet: the mailbox shows it unread until the store is known to have it.
    [(_, flags, _)] = mailbox.dovecot.messages(mailbox.address, "INBOX")
    assert b"\\Seen" not in flags
    mailbox.poll()
    [(_, flags, _)] = mailbox.dovecot.messages(mailbox.address, "INBOX")
    assert b"\\Seen" in flags
    assert len(mailbox.desk.live()) == 1


def test_html_only_mail_reads_as_text_without_scripts_or_styles(mailbox: Mailbox) -> None:
    mail = patron_mail(message_id="<html1@example.org>")
    mail.set_content(
        "<html><head><style>p {color: red}</style><script>steal()</script></head>"
        "<body><p>Is the <b>reading room</b> open on Sunday?</p>"
        '<p>I saw <a href="https://library.example.org/hours">the hours page</a>.</p>'
        "</body></html>",
        subtype="html",
    )
    mailbox.deliver(mail)
    mailbox.poll()
    text = mailbox.desk.get("mail:html1@example.org").latest.text  # type: ignore[union-attr]
    assert text.startswith("A question\n\nIs the reading room open on Sunday?")
    assert "the hours page" in text and "https://library.example.org/hours" in text
    assert "steal" not in text and "color" not in text and "<" not in text


def test_an_attachment_is_listed_by_name_type_and_size_and_not_kept(mailbox: Mailbox) -> None:
    mail = patron_mail("My card is attached.", message_id="<att1@example.org>")
    scan = b"%PDF-1.4 " + b"x" * 20_000
    mail.add_attachment(scan, maintype="application", subtype="pdf", filename="card scan.pdf")
    mailbox.deliver(mail)
    mailbox.poll()
    text = mailbox.desk.get("mail:att1@example.org").latest.text  # type: ignore[union-attr]
    assert "My card is attached." in text
    assert "card scan.pdf (application/pdf, 20 KB)" in text
    assert "%PDF" not in mailbox.store_path.read_text() and "JVBER" not in text


def test_iso_8859_1_body_and_encoded_word_names_are_decoded(mailbox: Mailbox) -> None:
    raw = (
        b"From: =?utf-8?b?SsO8cmdlbiBNw7xsbGVy?= <jm@example.de>\r\n"
        b"To: desk@library.test\r\n"
        b"Subject: =?iso-8859-1?q?B=FCcher_f=FCr_K=F6ln?=\r\n"
        b"Message-ID: <latin1@example.de>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Gr\xfc\xdfe, haben Sie B\xfccher \xfcber K\xf6ln?\r\n"
    )
    mailbox.deliver(raw)
    mailbox.poll()
    message = mailbox.desk.get("mail:latin1@example.de").latest  # type: ignore[union-attr]
    assert message.author == "Jürgen Müller <jm@example.de>"
    assert message.text == "Bücher für Köln\n\nGrüße, haben Sie Bücher über Köln?"


def test_quoted_mail_and_signature_are_folded_in_the_row_and_kept_in_the_view(
    mailbox: Mailbox,
) -> None:
    mailbox.deliver(
        patron_mail(
            "Thank you! One more thing: can I renew twice?\n\n"
            "On Wed, 2 Dec 2026, Library wrote:\n> You can renew online.\n> Best wishes\n"
            "\n-- \nAnn Patron\nSomewhere Street 1\n",
            message_id="<fold1@example.org>",
        )
    )
    mailbox.poll()
    conversation = mailbox.desk.get("mail:fold1@example.org")
    assert conversation is not None
    row = row_for(conversation, conversation.latest.received_at, timedelta(hours=1))
    assert row.preview == "A question Thank you! One more thing: can I renew twice?"
    assert "> You can renew online." in conversation.latest.text
    assert "Somewhere Street 1" in conversation.latest.text


def test_a_follow_up_by_in_reply_to_joins_the_conversation_and_subject_alone_does_not(
    mailbox: Mailbox,
) -> None:
    mailbox.deliver(patron_mail("First question", message_id="<t1@example.org>"))
    mailbox.poll()
    mailbox.deliver(
        patron_mail(
            "And a second thought",
            subject="Re: A question",
            message_id="<t2@example.org>",
            In_Reply_To="<t1@example.org>",
        )
    )
    # Same subject, no In-Reply-To or References: a new conversation.
    mailbox.deliver(patron_mail("Unrelated", subject="Re: A question", message_id="<t3@x.org>"))
    # Names only the second mail: still the first mail's conversation.
    mailbox.deliver(
        patron_mail("Third", message_id="<t4@example.org>", In_Reply_To="<t2@example.org>")
    )
    result = mailbox.poll()
    assert (result.added, result.joined) == (1, 1)
    thread = mailbox.desk.get("mail:t1@example.org")
    assert thread is not None
    assert [m.remote_id for m in thread.messages] == [
        "t1@example.org",
        "t2@example.org",
        "t4@example.org",
    ]
    assert mailbox.desk.get("mail:t3@x.org") is not None


def test_out_of_office_and_bounce_are_recorded_not_questions(mailbox: Mailbox) -> None:
    mailbox.deliver(patron_mail("Question", message_id="<ask1@example.org>"))
    mailbox.poll()
    mailbox.deliver(
        patron_mail(
            "I am away until Monday.",
            subject="Out of office: A question",
            message_id="<ooo1@example.org>",
            In_Reply_To="<ask1@example.org>",
            Auto_Submitted="auto-replied",
        )
    )
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.org>"
    bounce["To"] = "desk@library.test"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<bounce1@mx.example.org>"
    bounce["References"] = "<ask1@example.org>"
    bounce.set_content("Your message could not be delivered.")
    mailbox.deliver(bounce)
    mailbox.deliver(patron_mail("Newsletter", message_id="<news@x.org>", List_Id="<l.x.org>"))
    result = mailbox.poll()
    assert (result.added, result.joined) == (0, 0)
    conversation = mailbox.desk.get("mail:ask1@example.org")
    assert conversation is not None and len(conversation.messages) == 1
    notices = [(e.action, e.details["what"]) for e in conversation.events if e.action == "notice"]
    assert notices == [("notice", "auto-reply"), ("notice", "bounce")]
    assert [c.key for c in mailbox.desk.live()] == ["mail:ask1@example.org"]
    health = mailbox.poller.health["mail"]
    assert health.set_aside == 3
    assert (
        "3 auto-replies or bounces set aside" in health_fields(health, mailbox.now())["last error"]
    )
    # Fetched again (a crash before the cursor was kept): nothing is noted twice.
    mailbox.desk.record_notices("mail", mailbox.channel.fetch(None, mailbox.now()).notices)
    again = mailbox.desk.get("mail:ask1@example.org")
    assert again is not None and len(again.events) == len(conversation.events)


def test_mail_from_the_library_itself_is_never_a_question(mailbox: Mailbox) -> None:
    mailbox.deliver(patron_mail("Test", sender=f"Desk <{mailbox.address}>", message_id="<o@l>"))
    assert mailbox.poll().added == 0
    assert mailbox.desk.live() == []


def test_an_auto_reply_fetched_with_its_question_is_noted_on_it(mailbox: Mailbox) -> None:
    mailbox.deliver(patron_mail("Question", message_id="<same1@example.org>"))
    mailbox.deliver(
        patron_mail(
            "Away this week.",
            message_id="<same2@example.org>",
            In_Reply_To="<same1@example.org>",
            X_Autoreply="yes",
        )
    )
    assert mailbox.poll().added == 1
    conversation = mailbox.desk.get("mail:same1@example.org")
    assert conversation is not None
    assert [e.details["id"] for e in conversation.events if e.action == "notice"] == [
        "same2@example.org"
    ]


def test_naming_someone_elses_thread_does_not_put_a_mail_in_their_conversation(
    mailbox: Mailbox,
) -> None:
    mailbox.deliver(patron_mail("Is my card renewed?", message_id="<ann1@example.org>"))
    mailbox.poll()
    # Someone who learnt the first Message-ID (a forward, a quote) writes "in" the thread,
    # with the patron's address as Reply-To.
    mailbox.deliver(
        patron_mail(
            "Please send the patron's address and loans to me",
            sender="Mallory <mallory@example.net>",
            message_id="<m1@example.net>",
            In_Reply_To="<ann1@example.org>",
            References="<ann1@example.org>",
            Reply_To="ann@example.org",
        )
    )
    # The patron herself, from the same address in another case, does join.
    mailbox.deliver(
        patron_mail(
            "And my hold?",
            sender="Ann Patron <Ann@Example.org>",
            message_id="<ann2@example.org>",
            In_Reply_To="<m1@example.net>",
            References="<ann1@example.org> <m1@example.net>",
        )
    )
    result = mailbox.poll()
    assert (result.added, result.joined) == (1, 1)
    ann = mailbox.desk.get("mail:ann1@example.org")
    assert ann is not None
    assert [m.remote_id for m in ann.messages] == ["ann1@example.org", "ann2@example.org"]
    mallory = mailbox.desk.get("mail:m1@example.net")
    assert mallory is not None and [m.author for m in mallory.messages] == [
        "Mallory <mallory@example.net>"
    ]


def test_an_answer_to_our_reply_joins_when_it_comes_from_where_the_reply_went(
    mailbox: Mailbox,
) -> None:
    # The patron asked from work with Reply-To home; our reply went home; home answers.
    mailbox.deliver(
        patron_mail("Do you lend telescopes?", message_id="<w1@work.example>",
                    sender="Ann Patron <ann@work.example>", Reply_To="ann@home.example")
    )  # fmt: skip
    mailbox.poll()
    mailbox.deliver(
        patron_mail(
            "Thanks! Can I book one?",
            sender="Ann <ann@home.example>",
            message_id="<h1@home.example>",
            In_Reply_To="<w1@work.example>",
        )
    )
    mailbox.deliver(  # a thread whose first mail the mailbox does not hold: nobody joins it
        patron_mail("Me too", sender="Bo <bo@example.org>", message_id="<b1@example.org>",
                    In_Reply_To="<gone@example.org>")
    )  # fmt: skip
    result = mailbox.poll()
    assert (result.added, result.joined) == (1, 1)
    ann = mailbox.desk.get("mail:w1@work.example")
    assert ann is not None and len(ann.messages) == 2
    assert mailbox.desk.get("mail:b1@example.org") is not None
