"""Talking to the mailbox: IMAP (imapclient) in, SMTP (smtplib) out, with the errors as ours.

Every failure is one of askdesk's errors in the words staff act on: login
refused, certificate not trusted, folder missing, server unreachable. TLS
is always on and certificates are always verified, against ``ca_file`` when
the library's server has a certificate of its own.
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from askdesk.errors import ChannelError, CredentialsRejected, PlatformUnavailable, RefusedByPlatform

if TYPE_CHECKING:
    from imapclient import IMAPClient

TIMEOUT_S = 30.0
"""How long one IMAP or SMTP exchange may take before the server counts as unreachable."""


@dataclass(frozen=True)
class Server:
    """Where one protocol's server is and how TLS starts there (``implicit`` or ``starttls``)."""

    host: str
    port: int
    tls: str
    username: str
    password: str = field(repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verified TLS: the system's trusted certificates, or ``ca_file``'s."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as error:
        raise ChannelError(f"cannot read the certificate file {ca_file}: {error}") from error


def _network_error(what: str, server: Server, error: BaseException) -> ChannelError:
    """The words for a failure to reach or trust ``server``."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return ChannelError(
            f"{what} server {server.where}: certificate not trusted "
            f"({error.verify_message}); set ca_file if the server has a certificate of its own"
        )
    if isinstance(error, ssl.SSLError):
        return PlatformUnavailable(f"{what} server {server.where}: TLS failed ({error.reason})")
    if isinstance(error, socket.gaierror):
        return PlatformUnavailable(f"{what} server {server.host} not found ({error.strerror})")
    if isinstance(error, TimeoutError | socket.timeout):
        return PlatformUnavailable(f"{what} server {server.where} unreachable: no answer in time")
    if isinstance(error, OSError):
        reason = error.strerror or str(error) or type(error).__name__
        return PlatformUnavailable(f"{what} server {server.where} unreachable: {reason}")
    return PlatformUnavailable(f"{what} server {server.where} failed: {error}")


class Imap:
    """One logged-in IMAP session; use ``Imap.session`` so it is always logged out."""

    def __init__(self, client: IMAPClient, server: Server) -> None:
        self.client = client
        self.server = server

    @classmethod
    @contextmanager
    def session(cls, server: Server, context: ssl.SSLContext) -> Iterator[Imap]:
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        try:
            client = IMAPClient(
                server.host,
                port=server.port,
                ssl=server.tls == "implicit",
                ssl_context=context,
                timeout=TIMEOUT_S,
            )
            if server.tls == "starttls":
                client.starttls(context)
        except imaplib.IMAP4.error as error:
            raise PlatformUnavailable(
                f"IMAP server {server.where} failed to start TLS: {_said(error)}"
            ) from error
        except OSError as error:
            raise _network_error("IMAP", server, error) from error
        client.normalise_times = False  # INTERNALDATE with its zone, not as local time
        try:
            try:
                client.login(server.username, server.password)
            except LoginError as error:
                raise CredentialsRejected(
                    f"IMAP login refused for {server.username} at {server.where}: {_said(error)}"
                ) from error
            yield cls(client, server)
        except OSError as error:
            raise _network_error("IMAP", server, error) from error
        except imaplib.IMAP4.abort as error:
            raise PlatformUnavailable(
                f"IMAP server {server.where} closed the connection: {_said(error)}"
            ) from error
        finally:
            try:
                client.logout()
            except (OSError, imaplib.IMAP4.error):
                client.shutdown() if _open(client) else None

    def select(self, folder: str, readonly: bool = False) -> int:
        """Open ``folder``; its UIDVALIDITY. ``ChannelError`` when there is no such folder."""
        try:
            status = self.client.select_folder(folder, readonly=readonly)
        except imaplib.IMAP4.error as error:
            raise RefusedByPlatform(
                f"IMAP folder {folder!r} missing on {self.server.where}: {_said(error)}"
            ) from error
        return int(status[b"UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid`` in the selected folder, oldest first."""
        # "N:*" always matches the newest mail, even when its UID is below N.
        return sorted(
            uid for uid in self.client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid
        )

    def sizes(self, uids: list[int]) -> dict[int, tuple[int, datetime | None]]:
        """Each mail's size in bytes and when the server received it."""
        found = self.client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
        return {
            uid: (int(data.get(b"RFC822.SIZE", 0)), _moment(data.get(b"INTERNALDATE")))
            for uid, data in found.items()
        }

    def body(self, uid: int, limit: int | None = None) -> bytes | None:
        """The mail's bytes (the first ``limit`` of them), without marking it seen."""
        part = "BODY.PEEK[]" if limit is None else f"BODY.PEEK[]<0.{limit}>"
        found = self.client.fetch([uid], [part])
        data = found.get(uid, {})
        for key, value in data.items():
            if isinstance(key, bytes) and key.startswith(b"BODY[]") and isinstance(value, bytes):
                return value
        return None

    def mark_seen(self, uids: list[int]) -> None:
        from imapclient.imapclient import SEEN

        if uids:
            self.client.add_flags(uids, [SEEN], silent=True)

    def find(self, message_id: str) -> list[tuple[int, bytes]]:
        """The mails of the selected folder whose Message-ID is ``message_id``: (UID, headers).

        The headers are those threading needs: the ids, and who wrote to whom.
        """
        uids = self.client.search(["HEADER", "Message-ID", f"<{message_id}>"])
        if not uids:
            return []
        part = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO REFERENCES FROM REPLY-TO TO)]"
        found = self.client.fetch(uids, [part])
        headers = []
        for uid, data in sorted(found.items()):
            for key, value in data.items():
                if isinstance(key, bytes) and key.startswith(b"BODY[") and isinstance(value, bytes):
                    headers.append((uid, value))
        return headers

    def sent_folder(self) -> str:
        """The folder the server marks ``\\Sent``, else ``Sent``."""
        from imapclient.imapclient import SENT

        try:
            found = self.client.find_special_folder(SENT)
        except imaplib.IMAP4.error:
            found = None
        return str(found) if found else "Sent"

    def file_copy(self, folder: str, mail: bytes, *, draft: bool = False) -> None:
        """Put ``mail`` in ``folder`` as read (the copy colleagues see in webmail).

        ``draft``: flagged ``\\Draft`` until the SMTP server has taken the mail.
        """
        from imapclient.imapclient import DRAFT, SEEN

        try:
            self.client.append(folder, mail, flags=(SEEN, DRAFT) if draft else (SEEN,))
        except imaplib.IMAP4.error as error:
            raise RefusedByPlatform(
                f"IMAP folder {folder!r} refused the copy on {self.server.where}: {_said(error)}"
            ) from error

    def copies(self, message_id: str) -> dict[int, bool]:
        """The selected folder's mails whose Message-ID is ``message_id``: UID -> still a draft."""
        from imapclient.imapclient import DRAFT

        uids = self.client.search(["HEADER", "Message-ID", f"<{message_id}>"])
        if not uids:
            return {}
        found = self.client.fetch(uids, ["FLAGS"])
        return {uid: DRAFT in data.get(b"FLAGS", ()) for uid, data in found.items()}

    def mark_sent(self, uids: list[int]) -> None:
        """The copies are of a mail the SMTP server took: no longer drafts."""
        from imapclient.imapclient import DRAFT

        if uids:
            self.client.remove_flags(uids, [DRAFT], silent=True)

    def discard(self, uids: list[int]) -> None:
        """Delete these mails of the selected folder, and only these."""
        from imapclient.imapclient import DELETED

        if not uids:
            return
        self.client.add_flags(uids, [DELETED], silent=True)
        if self.client.has_capability("UIDPLUS"):
            self.client.expunge(uids)  # UID EXPUNGE: never someone else's deleted mail

    @property
    def can_idle(self) -> bool:
        return bool(self.client.has_capability("IDLE"))


def _open(client: Any) -> bool:
    return getattr(client, "_imap", None) is not None


def _said(error: BaseException) -> str:
    """What the server answered, as one line (imaplib hands it over as bytes or str)."""
    text = str(error.args[0] if error.args else error)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return " ".join(text.split())[:200] or type(error).__name__


def _moment(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


def send_smtp(server: Server, context: ssl.SSLContext, sender: str, to: str, mail: bytes) -> None:
    """Hand ``mail`` to the submission server once; errors in the words staff act on."""
    try:
        smtp: smtplib.SMTP
        if server.tls == "implicit":
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_S, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_S)
        with smtp:
            if server.tls == "starttls":
                smtp.starttls(context=context)
            smtp.login(server.username, server.password)
            smtp.sendmail(sender, [to], mail)
    except smtplib.SMTPAuthenticationError as error:
        raise CredentialsRejected(
            f"SMTP login refused for {server.username} at {server.where}: {_smtp_said(error)}"
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        raise RefusedByPlatform(
            f"SMTP server {server.where} offers no STARTTLS or AUTH: {error}"
        ) from error
    except smtplib.SMTPRecipientsRefused as error:
        said = "; ".join(_smtp_said(e) for e in error.recipients.values())
        raise RefusedByPlatform(f"SMTP server {server.where} refused {to}: {said}") from error
    except smtplib.SMTPResponseException as error:
        said = _smtp_said(error)
        if 400 <= error.smtp_code < 500:
            raise PlatformUnavailable(
                f"SMTP server {server.where} said try later: {said}"
            ) from error
        raise RefusedByPlatform(f"SMTP server {server.where} refused the mail: {said}") from error
    except smtplib.SMTPException as error:
        raise PlatformUnavailable(f"SMTP server {server.where} failed: {error}") from error
    except OSError as error:
        raise _network_error("SMTP", server, error) from error


def _smtp_said(error: smtplib.SMTPResponseException | tuple[int, bytes]) -> str:
    code, message = (
        (error.smtp_code, error.smtp_error)
        if isinstance(error, smtplib.SMTPResponseException)
        else error
    )
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"[:200]
