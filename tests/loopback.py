"""Starting and stopping a test server's process on 127.0.0.1 (Dovecot, Prosody).

What the server starters share: a free port, a process in a session of its
own started and waited for until it listens, and stopped by its own PID only
(SIGTERM, then SIGKILL if it will not go).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence

START_SECONDS = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_listening(
    argv: Sequence[str],
    port: int,
    *,
    why_it_exited: Callable[[subprocess.Popen[bytes]], str],
    keep_stderr: bool = False,
) -> subprocess.Popen[bytes]:
    """``argv`` started in a session of its own, once it listens on ``port``.

    A server that exits first raises with ``why_it_exited(process)`` (its
    stderr, with ``keep_stderr``, or its log); one that never listens, too.
    """
    name = argv[0].rsplit("/", 1)[-1]
    process = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if keep_stderr else subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {why_it_exited(process)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    stop(process, wait_s=10)
    raise RuntimeError(f"{name} did not listen on {port} within {START_SECONDS} s")


def stop(process: subprocess.Popen[bytes] | None, *, wait_s: float) -> None:
    """End ``process`` (one this test run started): SIGTERM, then SIGKILL after ``wait_s``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
