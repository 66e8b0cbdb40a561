"""The channel's health in plain words, its options, and its credentials kept out of sight."""

from __future__ import annotations

import logging

import pytest

from askdesk.channels.registry import build_channel
from askdesk.config import ChannelConfig
from askdesk.desk.health import health_fields, summary
from askdesk.desk.sync import Poller
from askdesk.errors import ConfigError
from tests.mail.mailkit import Mailbox, patron_mail
from tests.mail_servers import PASSWORD, free_port, make_certificate


def last_error(mailbox: Mailbox, **options: object) -> str:
    channel = mailbox.build(**options)
    result = Poller(mailbox.desk, [channel]).poll(channel)
    assert result.error is not None
    return result.error


def test_a_refused_login_is_said_so_and_the_password_is_not(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ASKDESK_EMAIL_PASSWORD", "wrong password")
    caplog.set_level(logging.DEBUG)
    error = last_error(mailbox)
    assert error.startswith(f"IMAP login refused for {mailbox.address} at 127.0.0.1:")
    assert "wrong password" not in error and "wrong password" not in caplog.text


def test_an_untrusted_certificate_is_said_so(mailbox: Mailbox, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other_ca, _ = make_certificate(tmp_path)
    error = last_error(mailbox, ca_file=str(other_ca))
    assert "certificate not trusted" in error and "ca_file" in error


def test_a_missing_folder_is_said_so(mailbox: Mailbox) -> None:
    error = last_error(mailbox, folder="Questions")
    assert error.startswith("IMAP folder 'Questions' missing on 127.0.0.1:")


def test_an_unreachable_server_is_said_so_and_the_health_line_shows_it(mailbox: Mailbox) -> None:
    port = free_port()
    channel = mailbox.build(imap_port=port)
    poller = Poller(mailbox.desk, [channel])
    result = poller.poll(channel)
    assert result.error == f"IMAP server 127.0.0.1:{port} unreachable: Connection refused"
    health = poller.health["mail"]
    now = mailbox.now()
    assert health_fields(health, now)["last error"] == result.error
    assert summary(health, now).startswith("mail ✗ IMAP server 127.0.0.1")


def test_imap_with_starttls_on_its_own_port(mailbox: Mailbox) -> None:
    mailbox.channel = mailbox.build(imap_port=mailbox.dovecot.starttls_port, imap_tls="starttls")
    mailbox.poller = Poller(mailbox.desk, [mailbox.channel])
    mailbox.deliver(patron_mail())
    assert mailbox.poll().added == 1


def test_tls_defaults_follow_the_port(mailbox: Mailbox) -> None:
    assert mailbox.build(imap_port=143).imap.tls == "starttls"
    assert mailbox.build(imap_port=993).imap.tls == "implicit"
    assert mailbox.build(smtp_port=465).smtp.tls == "implicit"
    assert mailbox.build(smtp_port=587).smtp.tls == "starttls"
    channel = mailbox.build(username="ask")
    assert (channel.imap.username, channel.smtp.username) == ("ask", "ask")
    assert mailbox.build().imap.username == mailbox.address


def test_a_separate_smtp_password_is_used_for_smtp_only(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASKDESK_EMAIL_SMTP_PASSWORD", "smtp secret")
    channel = mailbox.build()
    assert (channel.imap.password, channel.smtp.password) == (PASSWORD, "smtp secret")
    assert "secret" not in repr(channel) and "secret" not in repr(channel.smtp)


def test_a_missing_password_or_a_bad_option_is_one_sentence(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASKDESK_EMAIL_PASSWORD")
    with pytest.raises(ConfigError, match="needs ASKDESK_EMAIL_PASSWORD in the environment"):
        mailbox.build()
    monkeypatch.setenv("ASKDESK_EMAIL_PASSWORD", PASSWORD)
    with pytest.raises(ConfigError, match="imap_tls should be"):
        mailbox.build(imap_tls="none")
    with pytest.raises(ConfigError, match="imap_port should be"):
        mailbox.build(imap_port=70000)
    with pytest.raises(ConfigError, match="needs smtp_host"):
        build_channel(ChannelConfig(type="email", name="mail", options={
            "address": "a@b.org", "imap_host": "imap.b.org"}))  # fmt: skip
