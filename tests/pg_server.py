"""A real PostgreSQL 15 server on loopback, in a temp folder, for the tests and the bench.

``initdb`` refuses to run as root, so as root the server's folder belongs to
the ``postgres`` user and every server command runs as that user through
``runuser``. Nothing here touches the apt package's own ``main`` cluster.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
SUPERUSER = "askdesk"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    folder: Path
    port: int
    run_as: str | None
    """The user the server runs as (``None``: this process's own user)."""

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        if self.run_as is None:
            return list(args)
        return ["runuser", "-u", self.run_as, "--", *args]

    def run(self, *args: str) -> None:
        done = subprocess.run(
            self._command(*args), capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise Unavailable(f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}")

    options: str = ""

    def go_down(self) -> None:
        """Stop the server, keeping its data: a database that goes away mid-shift."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                self._command(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"),
                capture_output=True,
                timeout=60,
                check=False,
            )

    def come_up(self) -> None:
        """Start the server (again) on the same port and data."""
        self.run(
            str(BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            self.options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self.go_down()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(durable: bool = False) -> Server:
    """Start a server; ``durable=False`` turns off fsync (tests), ``True`` keeps it (bench)."""
    if not (BIN / "initdb").exists():
        raise Unavailable(f"PostgreSQL 15 is not installed ({BIN / 'initdb'} is missing)")
    run_as: str | None = None
    folder = Path(tempfile.mkdtemp(prefix="askdesk-pg-"))
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as error:
            raise Unavailable("running as root and there is no 'postgres' user") from error
        run_as = "postgres"
        folder.chmod(0o755)  # the postgres user must reach its data folder
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = Server(folder, free_port(), run_as)
    try:
        server.run(
            str(BIN / "initdb"),
            "-D",
            str(server.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-instructions",
        )
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-p {server.port}",
            f"-k {server.folder}",
            "-c max_connections=200",
        ]
        if not durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        server.options = " ".join(options)
        server.come_up()
    except (Unavailable, OSError, subprocess.TimeoutExpired) as error:
        server.stop()
        if isinstance(error, Unavailable):
            raise
        raise Unavailable(f"could not start PostgreSQL: {error}") from error
    return server
