"""Crash-safe JSON files: atomic replace, and a cheap "has anyone written?" check.

Every writer replaces a file whole (temporary file, fsync, rename), so a crash
at any instant leaves the old file or the new one. After each replace the
writer stamps a fresh random token into a small ``.gen`` file beside it;
readers compare that token (and the file's stat) with the ones they loaded,
which stays right even when the file system reuses an inode within one
timestamp tick, as it does under a burst of claims.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import orjson

from askdesk.errors import StoreError

Identity = tuple[str, int, int, int]


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"could not write {path}: {error.strerror or error}") from error
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # Some file systems refuse fsync on folders; the rename still happened.
    finally:
        os.close(fd)


def dump(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError as error:
        # A string that is not valid Unicode (a lone surrogate) reached the store:
        # refuse the write in words; what is on disk stays as it was.
        raise StoreError(f"could not encode a record for the store: {error}") from error


def load(path: Path, what: str = "askdesk store") -> Any:
    """Parse a JSON file, or explain which file is broken and what to do."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise StoreError(f"cannot read the {what} {path}: {error.strerror or error}") from error
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise StoreError(
            f"the {what} {path} is damaged ({error.args[0] if error.args else 'not JSON'}); "
            "it was left untouched: move it aside to start a new store, "
            "or restore it from a backup"
        ) from error


class Watched:
    """A JSON file whose writes are announced through a token file beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.token_path = path.with_name(path.name + ".gen")

    def identity(self) -> Identity | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read {self.path}: {error.strerror or error}") from error
        try:
            token = self.token_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            token = ""
        return (token, st.st_ino, st.st_mtime_ns, st.st_size)

    def write(self, data: Any) -> Identity:
        """Replace the file with ``data``; returns its new identity.

        The caller holds the lock its writers share, so the identity can be
        noted here instead of asked for again.
        """
        atomic_write(self.path, dump(data))
        # Stamped after the replace: a reader that sees the new token always
        # reads the new file; one that raced sees the old token and reloads.
        token = uuid.uuid4().hex
        try:
            self.token_path.write_text(token, encoding="ascii")
            st = os.stat(self.path)
        except OSError as error:
            raise StoreError(f"could not write {self.token_path}: {error}") from error
        return (token, st.st_ino, st.st_mtime_ns, st.st_size)
