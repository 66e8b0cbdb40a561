"""The email channel: IMAP in (imapclient), SMTP out (smtplib), threads by Message-ID."""

from askdesk.channels.email.channel import ADAPTER, EmailChannel

__all__ = ["ADAPTER", "EmailChannel"]
