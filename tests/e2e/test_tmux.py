"""The installed ``askdesk`` in a real terminal: tmux runs it, the test types and reads the screen.

This is the one place that polls the screen: askdesk runs as a separate
process, so there is no event to wait on, only what tmux shows. Every wait is
bounded and the tmux session (on a socket of its own) is always killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

COLUMNS, LINES = 120, 32
STARTUP_SECONDS = 15.0
STEP_SECONDS = 0.2


def _tmux() -> str:
    tmux = shutil.which("tmux")
    if tmux is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed; the e2e tests need it in CI (apt-get install tmux)")
        pytest.skip("tmux is not installed")
    return tmux


def _askdesk() -> Path:
    script = Path(sys.executable).parent / "askdesk"
    if not script.is_file():
        pytest.fail(
            f"the askdesk console script is not at {script}; install the package (pip -e .)"
        )
    return script


class Terminal:
    """One tmux session on a private socket, so no other tmux server or session is touched."""

    def __init__(self, tmux: str, env: dict[str, str], socket: Path) -> None:
        self.tmux = tmux
        self.env = env
        self.socket = socket
        self.session = f"askdesk-{uuid.uuid4().hex[:10]}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, "-u", "-S", str(self.socket), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=check,
        )

    def start(self, command: list[str], config: Path) -> None:
        # -e hands the askdesk and XDG variables to the pane even if a server
        # were already listening on this socket with an older environment.
        passed = [f"-e{k}={v}" for k, v in self.env.items() if k.startswith(("ASKDESK_", "XDG_"))]
        self.run(
            "-f",
            str(config),
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(COLUMNS),
            "-y",
            str(LINES),
            *passed,
            *command,
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def pane(self, *fields: str) -> list[str]:
        """tmux's ``#{field}`` values for the pane, e.g. ``pane_dead``."""
        shown = "|".join(f"#{{{field}}}" for field in fields)
        return (
            self.run("display-message", "-p", "-t", self.session, shown).stdout.strip().split("|")
        )

    def wait_for(self, what: str, test: Callable[[str], bool], timeout: float) -> str:
        """Poll the screen until ``test`` holds; fail with the last screen after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if test(screen):
                return screen
            if self.pane("pane_dead") == ["1"] or time.monotonic() > deadline:
                pytest.fail(f"waited {timeout:.0f}s for {what}; the screen shows:\n{screen}")
            time.sleep(STEP_SECONDS)

    def wait_until_exited(self, timeout: float) -> str:
        """How the program in the pane ended: ``exit 0``, ``signal 15``.

        tmux may see the terminal close a moment before it collects the exit
        status, so wait for the status itself, not only for ``pane_dead``.
        """
        deadline = time.monotonic() + timeout
        while True:
            dead, status, killed_by = self.pane("pane_dead", "pane_dead_status", "pane_dead_signal")
            if dead == "1" and (status or killed_by):
                return f"exit {status}" if status else f"signal {killed_by}"
            if dead == "1":
                # tmux 3.3 can miss the SIGCHLD of a program whose terminal closed
                # first: under load the program stayed a zombie for over 10 s. The
                # handler reaps every child that has exited, so a nudge to the
                # server this test started collects the status.
                os.kill(int(self.pane("pid")[0]), signal.SIGCHLD)
            if time.monotonic() > deadline:
                pytest.fail(f"askdesk did not exit within {timeout:.0f}s:\n{self.screen()}")
            time.sleep(STEP_SECONDS)

    def kill(self) -> None:
        self.run("kill-session", "-t", self.session, check=False)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    tmux = _tmux()
    env = {
        **os.environ,  # includes the isolated XDG folders from the autouse fixture
        "ASKDESK_STORE": str(tmp_path / "desk.json"),
        "ASKDESK_AS": "ana",
        "ASKDESK_CONFIG": str(tmp_path / "askdesk.toml"),
    }
    if "UTF-8" not in env.get("LANG", "").upper():
        env["LANG"] = "C.UTF-8"  # the desk draws box lines and ⚑
    env.pop("TMUX", None)  # never attach to the tmux this suite may be running in
    # A short private folder: socket paths are limited to about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="askdesk-e2e-"))
    term = Terminal(tmux, env, folder / "tmux.sock")
    try:
        yield term
    finally:
        term.kill()
        shutil.rmtree(folder, ignore_errors=True)


def write_setup(folder: Path) -> Path:
    """A config with one drop-folder channel (so no demo feed) and two waiting questions.

    The older question carries a raw ANSI clear-screen escape: in a real
    terminal it must show as text, not clear the screen.
    """
    drop = folder / "drop"
    drop.mkdir()
    now = datetime.now(UTC)
    lines = [
        {
            "id": "1",
            "author": "Ana Ruiz",
            "text": "Are you open late on Thursdays? \u001b[2J",
            "received_at": (now - timedelta(minutes=9)).isoformat(),
        },
        {
            "id": "2",
            "author": "Ben Ode",
            "text": "Can I reserve a meeting room for Saturday?",
            "received_at": (now - timedelta(minutes=4)).isoformat(),
        },
    ]
    part = drop / ".questions.part"
    part.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    part.replace(drop / "questions.jsonl")
    config = folder / "askdesk.toml"
    config.write_text(
        'library = "Anytown Public Library"\n'
        "[desk]\nrefresh_seconds = 0.2\n"
        f'[[channels]]\ntype = "drop"\nname = "webform"\npath = "{drop}"\n',
        encoding="utf-8",
    )
    tmux_conf = folder / "tmux.conf"
    tmux_conf.write_text("set -g remain-on-exit on\nset -g status off\n", encoding="utf-8")
    return tmux_conf


def test_claim_in_a_real_terminal(terminal: Terminal, tmp_path: Path) -> None:
    askdesk = _askdesk()
    tmux_conf = write_setup(tmp_path)
    terminal.start([str(askdesk)], tmux_conf)

    # The whole tab line, not only its first tab: a busy machine may be caught mid-frame.
    screen = terminal.wait_for(
        "New (2) and Claimed (0)", lambda s: "New (2)" in s and "Claimed (0)" in s, STARTUP_SECONDS
    )
    # The escape reached the screen as a visible stand-in; the screen was not cleared.
    assert "␛[2J" in screen
    assert "Anytown Public Library" in screen

    terminal.keys("c")
    screen = terminal.wait_for("Claimed (1)", lambda s: "Claimed (1)" in s, 10)
    assert "New (1)" in screen
    if os.environ.get("ASKDESK_E2E_SHOW"):
        print(screen)

    terminal.keys("q")
    assert terminal.wait_until_exited(10) == "exit 0"

    listed = subprocess.run(
        [str(askdesk), "list", "--format", "json"],
        env=terminal.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    records = json.loads(listed.stdout)
    claimed = [r for r in records if r["status"] == "claimed"]
    assert [(r["key"], r["holder"]) for r in claimed] == [("webform:1", "ana")]
    assert sorted(r["status"] for r in records) == ["claimed", "new"]
