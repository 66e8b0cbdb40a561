"""The Bluesky login kept between runs, in an owner-only file in the user's state folder.

``createSession`` is rate-limited (30 per 5 minutes, 300 a day per account),
so a cron ``askdesk fetch`` every minute must not log in every time: the
session (access and refresh tokens, never the app password) is written here
whenever it is made or refreshed, and the next run starts from it. It is a
credential, so it is never put in the shared store, and the file is readable
by its owner only; a file that others can read is not trusted and is replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "askdesk"
MAX_BYTES = 64 * 1024
"""A session is two tokens and a few names; anything bigger is not one of ours."""


def default_folder() -> Path:
    """``<user state folder>/bluesky``: per user, per machine, outside every store."""
    return Path(platformdirs.user_state_dir(APP)) / "bluesky"


@dataclass(frozen=True)
class SessionFile:
    """Where the session of one account on one service lives."""

    path: Path

    @classmethod
    def of(cls, service: str, handle: str, folder: Path | None = None) -> SessionFile:
        # The name is a digest: handles and URLs are not file names, and the
        # same account configured twice shares one login.
        digest = hashlib.sha256(f"{service.rstrip('/')}\n{handle.lower()}".encode()).hexdigest()
        return cls((folder or default_folder()) / f"session-{digest[:24]}.json")

    def read(self) -> str | None:
        """The saved session string, or None when there is none that can be trusted."""
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode) or (os.name == "posix" and mode & 0o077):
                return None  # others could have read or changed it: log in afresh
            raw = handle.read(MAX_BYTES + 1)
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        session = data.get("session") if isinstance(data, dict) else None
        return session if isinstance(session, str) and session else None

    def write(self, session: str) -> None:
        """Replace the file atomically, owner-only from the first byte."""
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = folder / f".{self.path.name}.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)  # a crashed run's leftover: its mode is not ours
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"session": session}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)
