"""What the email tests share: the library's mailbox, its channel, a desk, and patrons' mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from askdesk.channels.email import EmailChannel
from askdesk.channels.registry import build_channel
from askdesk.clock import SystemClock
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from askdesk.store import TinyDBStore
from tests.mail_servers import Dovecot, Smtp


def patron_mail(
    text: str = "Do you have Middlemarch?",
    *,
    sender: str = "Ann Patron <ann@example.org>",
    subject: str = "A question",
    message_id: str | None = "<q1@example.org>",
    **headers: str,
) -> EmailMessage:
    """A plain mail from a patron; ``headers`` (``In_Reply_To=…``) are added as given."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "desk@library.test"
    mail["Subject"] = subject
    mail["Date"] = "Thu, 03 Dec 2026 09:00:00 +0000"
    if message_id is not None:
        mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(text)
    return mail


@dataclass
class Mailbox:
    dovecot: Dovecot
    smtp: Smtp
    address: str
    store_path: Path

    def __post_init__(self) -> None:
        self.built: list[EmailChannel] = []
        self.desk = Desk(TinyDBStore(self.store_path), "ana", SystemClock())
        self.channel = self.build()
        self.poller = Poller(self.desk, [self.channel])

    def options(self, **extra: Any) -> dict[str, Any]:
        return {
            "address": self.address,
            "imap_host": "127.0.0.1",
            "imap_port": self.dovecot.port,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.smtp.port,
            "ca_file": str(self.dovecot.ca_file),
            **extra,
        }

    def build(self, **extra: Any) -> EmailChannel:
        """The channel as askdesk builds it from a ``[[channels]]`` table."""
        channel = build_channel(
            ChannelConfig(type="email", name="mail", options=self.options(**extra))
        )
        assert isinstance(channel, EmailChannel)
        self.built.append(channel)
        return channel

    def close(self) -> None:
        """Every channel built here stops listening (IMAP IDLE) at the end of the test."""
        for channel in self.built:
            channel.stop_watching()

    def deliver(self, mail: EmailMessage | bytes, folder: str = "INBOX") -> None:
        """A patron's mail arrives (IMAP APPEND, as a delivery agent files it)."""
        self.dovecot.append(self.address, mail, folder)

    def reopened(self) -> Mailbox:
        """The same mailbox and store as a new askdesk process sees them (after a crash)."""
        again = Mailbox(self.dovecot, self.smtp, self.address, self.store_path)
        self.built.extend(again.built)
        return again

    def now(self) -> datetime:
        return self.desk.clock.now()

    def poll(self) -> Any:
        result = self.poller.poll(self.channel)
        assert result.error is None, result.error
        return result
