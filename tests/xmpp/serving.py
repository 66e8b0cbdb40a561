"""``askdesk serve`` (and friends) as real processes on one store, for the XMPP tests."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.xmpp_server import PASSWORD, Prosody

LEASE_SECONDS = 3
WAIT_S = 20.0


def write_config(folder: Path, prosody: Prosody, store: Path) -> Path:
    options = prosody.channel_options()
    config = folder / "config.toml"
    config.write_text(
        f"""staff = "server"
store = "{store}"

[desk]
lease_seconds = {LEASE_SECONDS}

[[channels]]
type = "xmpp"
name = "chat"
jid = "{options["jid"]}"
server = "{options["server"]}"
port = {options["port"]}
ca_file = "{options["ca_file"]}"
"""
    )
    return config


def askdesk_env(password: str = PASSWORD) -> dict[str, str]:
    return {**os.environ, "ASKDESK_XMPP_PASSWORD": password}


def askdesk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "askdesk", "--config", str(config), *args],
        env=askdesk_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


class Served:
    """One ``askdesk serve`` process; its journal lines are read as they come."""

    def __init__(self, config: Path, staff: str = "server", password: str = PASSWORD) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "askdesk", "--config", str(config), "--as", staff, "serve"],
            env=askdesk_env(password),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, *words: str, timeout: float = WAIT_S) -> str:
        """The next journal line holding every one of ``words``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"askdesk serve printed no line with {words} in {timeout} s: {self.lines}"
                ) from None
            if all(word in line for word in words):
                return line

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=WAIT_S)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no goodbye, no lease released
        self.process.wait(timeout=WAIT_S)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT_S)
