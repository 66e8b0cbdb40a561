"""Replies out through a real SMTP server (STARTTLS, AUTH), filed in Dovecot's Sent, sent once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta

from askdesk.desk.outbox import Outbox
from askdesk.model import Reply, ReplyStatus, replying
from tests.mail.mailkit import Mailbox, patron_mail

SIGNED = "Yes, we open at 10 on Sundays.\n\nBest wishes,\nana\nAnytown Public Library"


def outbox_of(mailbox: Mailbox, **options: object) -> Outbox:
    return Outbox(mailbox.desk, {"mail": mailbox.channel}, backoff=(0, 0, 0), **options)  # type: ignore[arg-type]


def asked(mailbox: Mailbox, **headers: str) -> str:
    """A patron's question, polled onto the desk: its conversation key."""
    mailbox.deliver(patron_mail("Are you open on Sunday?", **headers))  # type: ignore[arg-type]
    assert mailbox.poll().added == 1
    [conversation] = mailbox.desk.live()
    return conversation.key


def test_the_reply_is_threaded_under_the_patrons_mail_and_filed_in_sent(mailbox: Mailbox) -> None:
    mailbox.deliver(patron_mail("Earlier question", message_id="<root@example.org>"))
    mailbox.poll()
    mailbox.deliver(
        patron_mail(
            "Are you open on Sunday?",
            subject="Re: RE: Re: Sunday",
            message_id="<latest@example.org>",
            References="<root@example.org>",
            Reply_To="Ann at work <ann@work.example.org>",
        )
    )
    mailbox.poll()
    key = "mail:root@example.org"
    outbox = outbox_of(mailbox)
    _, reply = outbox.queue(key, SIGNED)
    [result] = outbox.run_due()
    assert result.status is ReplyStatus.SENT
    [(envelope_from, rcpt, mail)] = mailbox.smtp.outbox.received
    assert (envelope_from, rcpt) == (mailbox.address, ["ann@work.example.org"])
    assert mail["From"] == mailbox.address and mail["To"] == "ann@work.example.org"
    assert mail["Subject"] == "Re: Sunday"
    assert mail["In-Reply-To"] == "<latest@example.org>"
    assert mail["References"] == "<root@example.org> <latest@example.org>"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().rstrip("\n") == SIGNED
    # Our own Message-ID is recorded with the reply.
    recorded = mailbox.desk.get(key).reply(reply.id)  # type: ignore[union-attr]
    assert recorded is not None and f"<{recorded.remote_id}>" == mail["Message-ID"]
    # Colleagues reading the mailbox see it in Sent, read.
    [(_, flags, copy)] = mailbox.dovecot.messages(mailbox.address, "Sent")
    assert copy["Message-ID"] == mail["Message-ID"] and b"\\Seen" in flags


def test_the_patrons_answer_to_our_reply_joins_the_conversation(mailbox: Mailbox) -> None:
    key = asked(mailbox)
    outbox = outbox_of(mailbox)
    outbox.queue(key, SIGNED)
    outbox.run_due()
    ours = mailbox.smtp.outbox.received[0][2]["Message-ID"]
    mailbox.desk.resolve(key, *_answered())
    # A client that sends only In-Reply-To, naming our reply (found in Sent).
    mailbox.deliver(
        patron_mail("Thanks! And Saturday?", message_id="<again@example.org>", In_Reply_To=ours)
    )
    result = mailbox.poll()
    assert (result.added, result.joined) == (0, 1)
    conversation = mailbox.desk.get(key)
    assert conversation is not None and len(conversation.messages) == 2
    assert conversation.status.value == "new"  # reopened by the follow-up


def test_line_breaks_in_the_patrons_subject_cannot_add_headers_to_the_reply(
    mailbox: Mailbox,
) -> None:
    raw = (
        b"From: =?utf-8?q?Eve=0D=0ABcc=3A_all=40example=2Eorg?= <eve@example.org>\r\n"
        b"Subject: =?utf-8?q?Hours=0D=0ABcc=3A_victim=40example=2Eorg=0D=0A=0D=0Abody?=\r\n"
        b"Reply-To: eve@example.org, victim@example.org\r\n"
        b"Message-ID: <inject2@example.org>\r\n\r\nWhen do you open?\r\n"
    )
    mailbox.deliver(raw)
    mailbox.poll()
    outbox = outbox_of(mailbox)
    outbox.queue("mail:inject2@example.org", "At ten.")
    [result] = outbox.run_due()
    assert result.status is ReplyStatus.SENT
    [(_, rcpt, mail)] = mailbox.smtp.outbox.received
    assert rcpt == ["eve@example.org"]
    assert mail["Bcc"] is None and mail["Cc"] is None
    assert mail["Subject"] == "Re: Hours Bcc: victim@example.org body"
    assert mail.get_content().strip() == "At ten."


def test_smtp_down_then_back_sends_the_reply_once(mailbox: Mailbox) -> None:
    key = asked(mailbox)
    outbox = outbox_of(mailbox)
    _, reply = outbox.queue(key, SIGNED)
    mailbox.smtp.stop()
    [down] = outbox.run_due()
    assert down.status is ReplyStatus.PENDING
    assert f"SMTP server 127.0.0.1:{mailbox.smtp.port} unreachable" in down.detail
    waiting = mailbox.desk.get(key).reply(reply.id)  # type: ignore[union-attr]
    assert waiting is not None and waiting.last_error is not None
    mailbox.smtp.outbox.refuse_with = "451 4.3.0 Try again later"
    mailbox.smtp.start()
    [refused] = outbox.run_due()
    assert refused.status is ReplyStatus.PENDING and "451" in refused.detail
    mailbox.smtp.outbox.refuse_with = None
    [back] = outbox.run_due()
    assert back.status is ReplyStatus.SENT
    assert outbox.run_due() == []
    assert len(mailbox.smtp.outbox.received) == 1
    assert len(mailbox.dovecot.messages(mailbox.address, "Sent")) == 1


def test_a_crash_between_smtp_and_recording_the_send_does_not_send_twice(
    mailbox: Mailbox,
) -> None:
    key = asked(mailbox)
    outbox = outbox_of(mailbox, stale_after=timedelta(0))
    _, reply = outbox.queue(key, SIGNED)
    # What the outbox does up to the crash: take the reply, hand it to SMTP...
    now = mailbox.now()
    taken = mailbox.desk.store.update(
        key, lambda c: replying.take_for_sending(c, reply.id, now, "crashed:1")
    )
    mailbox.channel.send(taken, taken.reply(reply.id), now)  # type: ignore[arg-type]
    # ...and the process dies before it records "sent". The next askdesk looks it up.
    restarted = outbox_of(mailbox.reopened(), stale_after=timedelta(0))
    [settled] = restarted.run_due()
    assert settled.status is ReplyStatus.SENT and settled.detail == "found on the platform"
    assert len(mailbox.smtp.outbox.received) == 1


def test_a_crash_before_smtp_sends_it_after_looking_in_sent(mailbox: Mailbox) -> None:
    key = asked(mailbox)
    outbox = outbox_of(mailbox, stale_after=timedelta(0))
    _, reply = outbox.queue(key, SIGNED)
    now = mailbox.now()
    mailbox.desk.store.update(
        key, lambda c: replying.take_for_sending(c, reply.id, now, "crashed:1")
    )
    restarted = outbox_of(mailbox.reopened(), stale_after=timedelta(0))
    results = restarted.run_due()
    assert [r.status for r in results] == [ReplyStatus.PENDING, ReplyStatus.SENT]
    assert len(mailbox.smtp.outbox.received) == 1


SEND_IN_ANOTHER_PROCESS = """
import json, sys
from askdesk.channels.registry import build_channel
from askdesk.clock import SystemClock
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.outbox import Outbox
from askdesk.store import TinyDBStore

channel = build_channel(ChannelConfig(type="email", name="mail", options=json.loads(sys.argv[1])))
desk = Desk(TinyDBStore(sys.argv[2]), "ana", SystemClock())
Outbox(desk, {"mail": channel}).run_due()
"""


def sent_by_an_askdesk_killed_once_smtp_has_the_mail(mailbox: Mailbox) -> tuple[str, Reply]:
    """A patron's mail and a reply queued to it, sent by another askdesk process that
    is killed -9 the moment the SMTP server has the mail, before it hears "250"."""
    key = asked(mailbox)
    _, reply = outbox_of(mailbox).queue(key, SIGNED)
    sender = subprocess.Popen(
        [sys.executable, "-c", SEND_IN_ANOTHER_PROCESS, json.dumps(mailbox.options()),
         str(mailbox.store_path)]
    )  # fmt: skip
    mailbox.smtp.outbox.on_accept = lambda: os.kill(sender.pid, signal.SIGKILL)
    assert sender.wait(timeout=60) == -signal.SIGKILL
    mailbox.smtp.outbox.on_accept = None
    return key, reply


def test_an_askdesk_killed_once_smtp_has_the_mail_never_sends_it_twice(mailbox: Mailbox) -> None:
    key, reply = sent_by_an_askdesk_killed_once_smtp_has_the_mail(mailbox)
    assert len(mailbox.smtp.outbox.received) == 1

    restarted = outbox_of(mailbox.reopened(), stale_after=timedelta(0))
    [settled] = restarted.run_due()
    assert settled.status is ReplyStatus.UNCERTAIN  # staff decide; askdesk does not guess
    assert "cannot tell whether the patron got it" in settled.detail
    assert restarted.run_due() == []
    assert len(mailbox.smtp.outbox.received) == 1  # never a second time
    [(_, flags, _)] = mailbox.dovecot.messages(mailbox.address, "Sent")
    assert b"\\Draft" in flags
    stored = mailbox.desk.get(key).reply(reply.id)  # type: ignore[union-attr]
    assert stored is not None and "still a draft" in (stored.last_error or "")


def test_a_sent_folder_that_is_missing_keeps_the_reply_unsent_and_says_why(
    mailbox: Mailbox,
) -> None:
    mailbox.channel = mailbox.build(sent_folder="Sent Items")  # no such folder on this server
    key = asked(mailbox)
    outbox = outbox_of(mailbox)
    _, reply = outbox.queue(key, SIGNED)
    [result] = outbox.run_due()
    assert result.status is ReplyStatus.FAILED
    assert "IMAP folder 'Sent Items' missing" in result.detail
    assert "check sent_folder" in result.detail
    assert mailbox.smtp.outbox.received == []
    stored = mailbox.desk.get(key).reply(reply.id)  # type: ignore[union-attr]
    assert stored is not None and "never goes twice" in (stored.last_error or "")


def test_a_mail_the_smtp_server_refuses_leaves_no_copy_in_sent(mailbox: Mailbox) -> None:
    key = asked(mailbox)
    outbox = outbox_of(mailbox)
    outbox.queue(key, SIGNED)
    mailbox.smtp.outbox.refuse_with = "550 5.7.1 Relaying denied"
    [refused] = outbox.run_due()
    assert refused.status is ReplyStatus.FAILED and "550" in refused.detail
    assert mailbox.dovecot.messages(mailbox.address, "Sent") == []


def _answered() -> tuple[object, ...]:
    from askdesk.model import Outcome, QuestionType

    return (Outcome.ANSWERED, QuestionType.READY_REFERENCE, 2)


def test_staff_can_send_an_uncertain_reply_again_as_on_every_channel(mailbox: Mailbox) -> None:
    key, reply = sent_by_an_askdesk_killed_once_smtp_has_the_mail(mailbox)
    restarted = outbox_of(mailbox.reopened(), stale_after=timedelta(0))
    [uncertain] = restarted.run_due()
    assert uncertain.status is ReplyStatus.UNCERTAIN
    assert uncertain.detail.endswith("otherwise send it again")

    # Staff checked and chose: send it again (`y`, `askdesk outbox --retry`).
    again = restarted.retry(key, reply.id)
    assert (again.status, again.detail) == (ReplyStatus.PENDING, "will be sent again")
    [sent] = restarted.run_due()
    assert sent.status is ReplyStatus.SENT
    assert len(mailbox.smtp.outbox.received) == 2  # what staff asked for, once more
    [(_, flags, _)] = mailbox.dovecot.messages(mailbox.address, "Sent")  # the one copy
    assert b"\\Draft" not in flags


def test_a_copy_left_a_draft_after_the_mail_went_is_said_on_the_health_line(
    mailbox: Mailbox,
) -> None:
    key = asked(mailbox)
    outbox = outbox_of(mailbox)
    _, reply = outbox.queue(key, SIGNED)

    sent_files = mailbox.dovecot.mail / mailbox.address / ".Sent" / "cur"

    def sent_folder_read_only() -> None:  # between SMTP taking the mail and the copy marked sent
        sent_files.chmod(0o555)  # Dovecot, as nobody, can no longer change a flag there

    mailbox.smtp.outbox.on_accept = sent_folder_read_only
    [sent] = outbox.run_due()
    assert sent.status is ReplyStatus.SENT
    mailbox.smtp.outbox.on_accept = None
    mailbox.poll()
    said = mailbox.poller.health["mail"].last_error or ""
    assert f"reply {reply.id[:8]}: it went to the patron, but its copy in 'Sent' still " in said
    assert "do not send it again from webmail" in said

    sent_files.chmod(0o755)
    mailbox.poll()  # tried again, and now it can
    assert mailbox.poller.health["mail"].last_error is None
    [(_, flags, _)] = mailbox.dovecot.messages(mailbox.address, "Sent")
    assert b"\\Draft" not in flags
