#!/usr/bin/env python3
"""Set up and run askdesk from a fresh checkout with nothing but Python 3.11+.

    python3 dev.py start [ASKDESK ARGS…]   create .venv if needed, install, open the desk
    python3 dev.py test  [PYTEST ARGS…]    the same, plus test tools, then the whole suite
    python3 dev.py bench [BENCH ARGS…]     the benchmark (bench/run.py)

The virtual environment is rebuilt only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
NO_TESTS_RAN = 5


def say(text: str) -> None:
    print(f"dev.py: {text}", file=sys.stderr, flush=True)


def ensure_venv(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"dev.py: askdesk needs Python 3.11 or newer, not {sys.version.split()[0]}")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".askdesk-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing askdesk" + (f" with [{extras}]" if extras else ""))
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target],
        check=True,
    )
    stamp.write_text(digest)


SYSTEM_TOOLS = {
    # command on PATH -> Debian package: what the tests drive or start on loopback
    "tmux": "tmux",  # the end-to-end tests drive askdesk in tmux
    "prosody": "prosody",  # XMPP chat channel tests
    "dovecot": "dovecot-imapd",  # email channel tests (IMAP)
    "/usr/lib/postgresql/15/bin/initdb": "postgresql",  # PostgreSQL store tests
}


def _present(command: str) -> bool:
    return Path(command).exists() if command.startswith("/") else shutil.which(command) is not None


def ensure_system_tools() -> None:
    """Install the servers and tools the tests use, where we may (root with apt).

    Without them their tests skip with a message locally and fail under CI.
    """
    missing = sorted({pkg for cmd, pkg in SYSTEM_TOOLS.items() if not _present(cmd)})
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say(f"installing {', '.join(missing)} for the tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-qq"], check=False, env=env)
        subprocess.run(
            [apt, "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=False,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    still = sorted(cmd for cmd in SYSTEM_TOOLS if not _present(cmd))
    if still:
        say(f"not installed: {', '.join(still)}; their tests will skip (and fail under CI)")


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("start", [])
    if command == "start":
        ensure_venv("")
        return subprocess.call([str(BIN / "askdesk"), *rest])
    if command == "test":
        ensure_venv("test")
        ensure_system_tools()
        code = subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
        if code == NO_TESTS_RAN:
            say("no tests ran: that is a failure")
            return 1
        return code
    if command == "bench":
        ensure_venv("test")
        return subprocess.call([str(PYTHON), str(ROOT / "bench" / "run.py"), *rest], cwd=ROOT)
    say(f"unknown command {command!r}; use start, test or bench")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
