"""A real Dovecot (IMAP) and a real aiosmtpd (SMTP submission) on 127.0.0.1 for the email tests.

Dovecot runs from a config in a temp folder: a passwd-file of users (one per
test, so each test has a mailbox of its own), TLS with a certificate made
here with openssl, mail stored as ``nobody`` (Dovecot refuses to store mail as
root). aiosmtpd is a real SMTP server with STARTTLS and AUTH that keeps what it
was sent. Only processes started here are ever stopped, Dovecot by its PID.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import os
import pwd
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import free_port, start_listening, stop

PASSWORD = "correct horse battery"
ACCOUNTS = 500
_users = itertools.count(1)


def dovecot_or_skip() -> str:
    """``dovecot``; skips without it (and openssl), but fails under CI."""
    dovecot = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if dovecot is None or shutil.which("openssl") is None:
        if os.environ.get("CI"):
            pytest.fail(
                "dovecot (and openssl) are not installed; the email tests need them in CI "
                "(apt-get install dovecot-imapd openssl, or python3 dev.py)"
            )
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd): no email tests")
    return dovecot


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Dovecot:
    """One Dovecot serving IMAPS on ``port`` and IMAP with STARTTLS on ``starttls_port``."""

    folder: Path
    port: int = field(default_factory=free_port)
    starttls_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.dovecot = dovecot_or_skip()
        self.folder.chmod(0o755)  # the mail processes run as nobody and must reach mail/
        self.mail = self.folder / "mail"
        self.mail.mkdir()
        nobody = pwd.getpwnam("nobody")
        os.chown(self.mail, nobody.pw_uid, nobody.pw_gid)
        self.ca_file, self.key = make_certificate(self.folder)
        # Every account is made before the start: Dovecot may not notice a passwd-file
        # that changes twice within one second.
        self.users = self.folder / "users"
        self.users.write_text(
            "".join(f"desk{n}@library.test:{{PLAIN}}{PASSWORD}\n" for n in range(1, ACCOUNTS + 1))
        )
        self.log = self.folder / "dovecot.log"
        self.config = self.folder / "dovecot.conf"
        self.config.write_text(
            f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.log}
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.ca_file}
ssl_key = <{self.key}
auth_mechanisms = plain login
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{self.mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.users}
}}
userdb {{
  driver = static
  args = home={self.mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {self.starttls_port}
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
"""
        )

    def add_user(self) -> str:
        """An account nobody used yet, with an empty mailbox: its address (its login name)."""
        number = next(_users)
        if number > ACCOUNTS:
            raise RuntimeError(f"all {ACCOUNTS} test accounts are used; raise ACCOUNTS")
        return f"desk{number}@library.test"

    def start(self) -> None:
        self.process = start_listening(
            [self.dovecot, "-c", str(self.config), "-F"],
            self.port,
            why_it_exited=_stderr,
            keep_stderr=True,
        )

    def stop(self) -> None:
        process, self.process = self.process, None
        stop(process, wait_s=15)

    def client(self, address: str) -> Any:
        """An imapclient session as ``address``: the patron's side, putting mail in (APPEND)."""
        import imapclient

        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imapclient.IMAPClient("127.0.0.1", port=self.port, ssl_context=context)
        client.login(address, PASSWORD)
        return client

    def append(self, address: str, raw: bytes | EmailMessage, folder: str = "INBOX") -> None:
        """Put one mail into ``address``'s ``folder``, as a mail server delivering it would."""
        data = raw.as_bytes(policy=email.policy.SMTP) if isinstance(raw, EmailMessage) else raw
        client = self.client(address)
        try:
            client.append(folder, data)
        finally:
            client.logout()

    def messages(self, address: str, folder: str) -> list[tuple[int, set[bytes], EmailMessage]]:
        """Every mail in ``folder``: (UID, flags, the parsed mail)."""
        client = self.client(address)
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        finally:
            client.logout()
        return [
            (
                uid,
                set(data[b"FLAGS"]),
                email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default),  # type: ignore[arg-type]
            )
            for uid, data in sorted(fetched.items())
        ]


class Outbox:
    """What the SMTP server accepted: the envelope and the mail, in order."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.refuse_with: str | None = None
        """An SMTP reply such as "451 4.3.0 try later": every DATA is answered with it."""
        self.on_accept: Callable[[], None] | None = None
        """Run once a mail is kept, before the client hears "250" (to kill a sender there)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with is not None:
            return self.refuse_with
        # Line ends as a delivery agent stores them, so the parsed text has plain "\n".
        content = envelope.content.replace(b"\r\n", b"\n")
        mail = email.message_from_bytes(content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), mail))  # type: ignore[arg-type]
        if self.on_accept is not None:
            self.on_accept()
        return "250 OK"


@dataclass
class Smtp:
    """aiosmtpd on a free port: STARTTLS required, AUTH required (``address``/``PASSWORD``).

    It serves ``cert`` (the Dovecot's: one ``ca_file`` trusts both, as at a library
    whose mail server does both).
    """

    cert: Path
    key: Path
    address: str = ""
    port: int = field(default_factory=free_port)
    outbox: Outbox = field(default_factory=Outbox)
    controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            good = isinstance(data, LoginPassword) and (
                data.login.decode(),
                data.password.decode(),
            ) == (self.address, PASSWORD)
            return AuthResult(success=good)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self.controller = Controller(
            self.outbox,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=authenticate,
        )
        self.controller.start()

    def stop(self) -> None:
        controller, self.controller = self.controller, None
        if controller is not None:
            controller.stop()


def _stderr(process: subprocess.Popen[bytes]) -> str:
    return process.stderr.read().decode(errors="replace") if process.stderr else ""


def new_mail_folder() -> Path:
    """A folder Dovecot's unprivileged mail processes can reach (pytest's tmp is root's only)."""
    return Path(tempfile.mkdtemp(prefix="askdesk-dovecot-"))
