"""A real Prosody on 127.0.0.1 for the XMPP tests, and slixmpp patrons that talk to it.

The server runs from a config in a temp folder on a free port, with a
self-signed certificate made here with openssl (trusted through ``ca_file``),
``mod_offline`` for patrons who write while nobody is connected, and ``mam``
for the archive askdesk catches up from. Only the process started here is
ever stopped, by its PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import free_port, start_listening, stop

DOMAIN = "library.test"
LIBRARY = f"desk@{DOMAIN}"
PASSWORD = "correct horse battery"


def prosody_or_skip() -> tuple[str, str]:
    """``prosody`` and ``prosodyctl``; skips without them, but fails under CI."""
    prosody, prosodyctl = shutil.which("prosody"), shutil.which("prosodyctl")
    if prosody is None or prosodyctl is None or shutil.which("openssl") is None:
        if os.environ.get("CI"):
            pytest.fail(
                "prosody (and openssl) are not installed; the XMPP tests need them in CI "
                "(apt-get install prosody openssl, or python3 dev.py)"
            )
        pytest.skip("prosody is not installed (apt-get install prosody): no XMPP tests")
    return prosody, prosodyctl


@dataclass
class Prosody:
    """One Prosody process serving ``DOMAIN``; ``restart`` keeps its data and port."""

    folder: Path
    port: int = field(default_factory=free_port)
    mam: bool = True
    tls: bool = True
    """False: a server that offers no TLS at all (no certificate, no STARTTLS)."""
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.prosody, self.prosodyctl = prosody_or_skip()
        self.certs = self.folder / "certs"
        self.certs.mkdir(parents=True, exist_ok=True)
        (self.folder / "data").mkdir(exist_ok=True)
        self.ca_file = self.certs / f"{DOMAIN}.crt"
        if not self.ca_file.exists():
            subprocess.run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(self.certs / f"{DOMAIN}.key"), "-out", str(self.ca_file),
                    "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN}",
                ],
                check=True,
                capture_output=True,
            )  # fmt: skip
        self.config = self.folder / "prosody.cfg.lua"
        self.write_config()

    def write_config(self) -> None:
        modules = ["roster", "saslauth", *(["tls"] if self.tls else []), "disco", "ping"]
        modules += ["presence", "message", "iq"]
        modules += ["offline", "carbons", *(["mam"] if self.mam else [])]
        quoted = ", ".join(f'"{m}"' for m in modules)
        self.config.write_text(
            f"""
run_as_root = true
daemonize = false
pidfile = "{self.folder}/prosody.pid"
data_path = "{self.folder}/data"
certificates = "{self.certs if self.tls else self.folder / "no-certs"}"
log = {{ info = "{self.folder}/prosody.log" }}
c2s_ports = {{ {self.port} }}
c2s_interfaces = {{ "127.0.0.1" }}
c2s_require_encryption = {"true" if self.tls else "false"}
s2s_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
modules_disabled = {{ "s2s"{"" if self.tls else ', "tls"'} }}
modules_enabled = {{ {quoted} }}
authentication = "internal_hashed"
archive_expires_after = "1d"
default_archive_policy = true
VirtualHost "{DOMAIN}"
"""
        )

    def register(self, user: str, password: str = PASSWORD) -> str:
        subprocess.run(
            [self.prosodyctl, "--config", str(self.config), "register", user, DOMAIN, password],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return f"{user}@{DOMAIN}"

    def start(self) -> None:
        self.process = start_listening(
            [self.prosody, "--config", str(self.config), "-F"],
            self.port,
            why_it_exited=lambda _: self._log_tail(),
        )

    def _log_tail(self) -> str:
        return (self.folder / "prosody.log").read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        process, self.process = self.process, None
        stop(process, wait_s=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def channel_options(self, **extra: Any) -> dict[str, Any]:
        """The ``[[channels]]`` options of the library's account on this server."""
        return {
            "jid": LIBRARY,
            "server": "127.0.0.1",
            "port": self.port,
            "ca_file": str(self.ca_file),
            **extra,
        }


@dataclass
class Received:
    sender: str
    body: str
    type: str


class Patron:
    """A patron's chat client: slixmpp on its own loop in its own thread, as a person's app."""

    def __init__(self, server: Prosody, jid: str, resource: str = "phone") -> None:
        import slixmpp

        self.server = server
        self.jid = f"{jid}/{resource}"
        self.received: list[Received] = []
        self.presences: list[tuple[str, str, str]] = []
        """(from, show, status) of every presence this client was sent."""
        self._arrived = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.client: Any = None
        self._slixmpp = slixmpp

    def _call(self, make: Callable[[], Any], timeout: float = 15) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(make(), self.loop)
        return future.result(timeout)

    def connect(self, *, presence_to: str | None = None, available: bool = False) -> Patron:
        """Sign in; with ``presence_to``, send that JID directed presence (it learns when we go);
        ``available``: announce ourselves, so that presence comes to us."""

        async def go() -> None:
            client = self._slixmpp.ClientXMPP(self.jid, PASSWORD)
            client.ca_certs = self.server.ca_file
            client.register_plugin("xep_0085")
            client.add_event_handler("message", self._message)
            client.add_event_handler("presence", self._presence)
            started: asyncio.Future[None] = self.loop.create_future()
            client.add_event_handler("session_start", lambda _: started.set_result(None))
            client.connect(host="127.0.0.1", port=self.server.port)
            await asyncio.wait_for(started, 10)
            if presence_to is not None:
                client.send_presence(pto=presence_to)
            if available:
                client.send_presence()
            self.client = client

        self._call(go)
        return self

    def _message(self, msg: Any) -> None:
        if msg["type"] in ("chat", "normal") and msg["body"]:
            with self._arrived:
                self.received.append(Received(str(msg["from"]), msg["body"], msg["type"]))
                self._arrived.notify_all()

    def _presence(self, presence: Any) -> None:
        with self._arrived:
            self.presences.append(
                (str(presence["from"]), presence["show"] or "available", presence["status"])
            )
            self._arrived.notify_all()

    def wait_for_presence(
        self, sender_prefix: str, show: str, timeout: float = 10
    ) -> tuple[str, str, str] | None:
        """The latest presence from a JID starting with ``sender_prefix`` once it shows ``show``."""

        def latest() -> tuple[str, str, str] | None:
            mine = [p for p in self.presences if p[0].startswith(sender_prefix)]
            return mine[-1] if mine and mine[-1][1] == show else None

        with self._arrived:
            self._arrived.wait_for(lambda: latest() is not None, timeout)
            return latest()

    def say(self, text: str, *, to: str = LIBRARY, mtype: str = "chat") -> None:
        async def go() -> None:
            self.client.send_message(mto=to, mbody=text, mtype=mtype)

        self._call(go)

    def send_raw(self, build: Callable[[Any], Any]) -> None:
        """Send what ``build(client)`` makes: a stanza tests shape by hand."""

        async def go() -> None:
            build(self.client).send()

        self._call(go)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def leave(self) -> None:
        """Close the session (unavailable presence to whoever had our directed presence)."""
        if self.client is None:
            return
        client, self.client = self.client, None

        async def go() -> None:
            client.disconnect()
            await asyncio.wait_for(client.disconnected, 5)

        with contextlib.suppress(TimeoutError):
            self._call(go)  # else the server closes it; the test is over

    def close(self) -> None:
        self.leave()

        async def settle() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self._call(settle)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()
