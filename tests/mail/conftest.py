"""A real Dovecot for the whole session (a fresh mailbox per test) and an SMTP server per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mail.mailkit import Mailbox
from tests.mail_servers import PASSWORD, Dovecot, Smtp, new_mail_folder


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    folder = new_mail_folder()
    server = Dovecot(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKDESK_EMAIL_PASSWORD", PASSWORD)


@pytest.fixture
def smtp(dovecot: Dovecot) -> Iterator[Smtp]:
    server = Smtp(dovecot.ca_file, dovecot.key)
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot: Dovecot, smtp: Smtp, tmp_path: Path, mail_env: None) -> Iterator[Mailbox]:
    """The library's mailbox on Dovecot (its own account), its SMTP server, a desk on a store."""
    address = dovecot.add_user()
    smtp.address = address
    smtp.start()
    mailbox = Mailbox(dovecot, smtp, address, tmp_path / "askdesk.json")
    yield mailbox
    mailbox.close()
