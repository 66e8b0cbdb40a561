"""A chat account that cannot connect says why in one sentence; a lost server is reconnected."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from askdesk.desk.health import health_fields
from askdesk.desk.sync import ChannelHealth
from tests.xmpp.chatkit import holding, open_desk
from tests.xmpp_server import DOMAIN, Patron, Prosody, free_port


def stored_health(store_path: Path) -> ChannelHealth:
    desk = open_desk(store_path)
    record = desk.store.channel_records()["chat"]["health"]
    return ChannelHealth.from_record("chat", "xmpp", record)


def test_a_wrong_password_is_one_sentence_on_the_health_line(
    prosody: Prosody, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASKDESK_XMPP_PASSWORD", "not the password")
    desk = open_desk(store_path)
    with holding(desk, prosody) as (runner, _, events):
        event = events.wait("reconnecting")
    assert "the server refused the password for desk@library.test" in event.detail
    health = stored_health(store_path)
    assert health.last_error == "the server refused the password for desk@library.test"
    assert "not the password" not in str(health.to_record())
    assert runner.health["chat"].link == "stopped"


def test_an_unreachable_server_says_so_and_when_it_tries_again(
    prosody: Prosody, xmpp_env: None, store_path: Path
) -> None:
    desk = open_desk(store_path)
    port = free_port()  # nothing listens there
    with holding(desk, prosody, port=port) as (runner, _, events):
        event = events.wait("reconnecting")
        health = runner.health["chat"]
        fields = health_fields(health, desk.clock.now())
    assert event.detail.startswith("in 1 s: cannot reach 127.0.0.1:")
    assert "Connection refused" in (health.last_error or "")
    assert fields["next poll"] in ("reconnecting in 1 s", "reconnecting now")


def test_a_certificate_that_does_not_verify_is_refused(
    prosody: Prosody, xmpp_env: None, store_path: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.crt"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(tmp_path / "other.key"), "-out", str(other), "-subj", f"/CN={DOMAIN}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    desk = open_desk(store_path)
    with holding(desk, prosody, ca_file=str(other)) as (_, _, events):
        event = events.wait("reconnecting")
    assert "does not verify" in event.detail
    assert "set ca_file" in event.detail
    assert "Traceback" not in event.detail


def test_the_channel_reconnects_after_the_server_restarts(
    prosody: Prosody, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    desk = open_desk(store_path)
    with holding(desk, prosody) as (runner, _, events):
        events.wait("connected")
        prosody.restart()
        reconnecting = events.wait("reconnecting")
        assert reconnecting.detail.startswith("in 1 s")
        assert runner.health["chat"].link in ("reconnecting", "connecting", "connected")
        events.wait("connected")
        ada = Patron(prosody, "ada@library.test").connect()
        patrons.append(ada)
        ada.say("Back again?")
        arrived = events.wait("arrived")
    conversation = desk.get(arrived.key or "")
    assert conversation is not None and conversation.latest.text == "Back again?"


def test_a_server_without_tls_never_gets_the_password(
    tmp_path: Path, xmpp_env: None, store_path: Path
) -> None:
    plain = Prosody(tmp_path / "plain", tls=False)
    plain.register("desk")
    plain.start()
    try:
        desk = open_desk(store_path)
        with holding(desk, plain) as (_, _, events):
            event = events.wait("reconnecting")
    finally:
        plain.stop()
    assert "offers no TLS; askdesk never sends the password unencrypted" in event.detail
    log = (tmp_path / "plain" / "prosody.log").read_text()
    assert "Authenticated" not in log and "authenticated" not in log


def test_a_server_without_an_archive_is_said_once_on_the_health_line(
    tmp_path: Path, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    bare = Prosody(tmp_path / "no-mam", mam=False)
    for user in ("desk", "ada"):
        bare.register(user)
    bare.start()
    try:
        desk = open_desk(store_path)
        with holding(desk, bare) as (runner, _, events):
            connected = events.wait("connected")
            ada = Patron(bare, "ada@library.test").connect()
            patrons.append(ada)
            ada.say("Still works without an archive?")
            events.wait("arrived")
            fields = health_fields(runner.health["chat"], desk.clock.now())
    finally:
        bare.stop()
    assert "keeps no message archive (XEP-0313)" in connected.detail
    assert "keeps no message archive" in fields["last error"]
    assert [e.what for e in events.seen].count("connected") == 1
