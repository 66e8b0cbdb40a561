"""Crash-safe JSON files: atomic replace, and a cheap "has anyone written?" check.

Every writer replaces a file whole (temporary file, fsync, rename), so a crash
at any instant leaves the old file or the new one. After each replace the
writer stamps a fresh random token into a small ``.gen`` file beside it;
readers compare that token (and the file's stat) with the ones they loaded,
which stays right even when the file system reuses an inode within one
timestamp tick, as it does under a burst of claims.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import stat
import uuid
from pathlib import Path
from typing import Any

import orjson

from askdesk.errors import StoreError

Identity = tuple[str, int, int, int]

THIS_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
"""This machine in temporary file names: only its own dead writers' files are swept."""
_TEMP = re.compile(r"\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp")
"""``.askdesk.json.HOST.PID.RANDOM.tmp``: what ``atomic_write`` writes before the rename."""
NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def not_writable(folder: Path, error: OSError) -> StoreError:
    """The sentence for a store folder askdesk may read but not write."""
    return StoreError(
        f"cannot write in the store folder {folder} ({error.strerror or error}): askdesk "
        "replaces its files there on every change; ask whoever manages that folder for "
        "write access, or point --store at a folder you can write"
    )


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{THIS_HOST}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        if error.errno in NOT_WRITABLE:
            raise not_writable(path.parent, error) from error
        raise StoreError(f"could not write {path}: {error.strerror or error}") from error
    _fsync_dir(path.parent)


def sweep_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files of this machine's writers that died mid-write.

    A writer killed between writing its temporary file and the rename leaves
    the file behind (the store itself is whole: old or new). Only names of
    ``atomic_write``'s pattern are touched, and only when their writer's
    process is gone; the caller holds the store's lock, so no writer of ours
    is between its write and its rename. Returns what was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed  # no folder yet, or one we cannot list: nothing of ours to sweep
    for entry in entries:
        match = _TEMP.fullmatch(entry.name)
        if match is None or match["host"] != THIS_HOST or alive(int(match["pid"])):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass  # another process swept it first, or the folder is read-only: harmless
    return removed


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    except OverflowError:
        return False  # not a pid this system can have
    return True


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


def load(path: Path, what: str = "askdesk store", advice: str | None = None) -> Any:
    """Parse a JSON file, or explain which file is broken and what to do.

    ``advice`` says what to do with a damaged file (by default: move it aside
    to start a new store, or restore it from a backup).
    """
    advice = advice or "move it aside to start a new store, or restore it from a backup"
    try:
        raw = read_regular(path, what)
    except OSError as error:
        raise StoreError(f"cannot read the {what} {path}: {error.strerror or error}") from error
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise StoreError(
            f"the {what} {path} is damaged ({error.args[0] if error.args else 'not JSON'}); "
            f"it was left untouched: {advice}"
        ) from error


def read_regular(path: Path, what: str) -> bytes:
    """The bytes of ``path``, refusing (without blocking) anything but a regular file.

    Opening a named pipe for reading waits for a writer forever; a folder or a
    device is no store either.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        kind = os.fstat(fd).st_mode
        if not stat.S_ISREG(kind):
            raise StoreError(
                f"the {what} {path} is {kind_of(kind)}, not a file askdesk wrote; "
                "point --store at an askdesk store (a .json file), or move that away"
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    finally:
        os.close(fd)


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words: "a folder", "a named pipe (FIFO)"."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


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
