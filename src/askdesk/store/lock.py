"""The store's exclusive write lock: who holds it, and one sentence for each way it can fail.

The lock is an OS lock on ``<store>.lock`` (``filelock``): the system releases
it when its holder exits, however it exits, so a lock that cannot be had means
a live holder, never a leftover file. The holder writes ``host:pid`` into the
lock file, so that whoever waits in vain is told which process to look at.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from filelock import FileLock, Timeout

from askdesk.errors import StoreError
from askdesk.store.files import NOT_WRITABLE, THIS_HOST, alive, kind_of, not_writable


class StoreLock:
    def __init__(self, path: Path, store: Path, timeout: float, poll_interval: float) -> None:
        self.path = path
        self.store = store
        self.timeout = timeout
        self._poll_interval = poll_interval
        self._lock = FileLock(str(path), timeout=timeout)

    def acquire(self) -> None:
        self._refuse_a_non_file()
        try:
            self._lock.acquire(timeout=self.timeout, poll_interval=self._poll_interval)
        except Timeout as error:
            raise StoreError(self._held_too_long()) from error
        except OSError as error:
            if error.errno in NOT_WRITABLE:
                raise not_writable(self.path.parent, error) from error
            raise StoreError(
                f"cannot take the lock {self.path} of the store {self.store}: "
                f"{error.strerror or error}"
            ) from error
        self._note_holder()

    def release(self) -> None:
        self._lock.release()

    @property
    def is_locked(self) -> bool:
        """Whether this process holds the lock now."""
        return bool(self._lock.is_locked)

    def holder(self) -> str | None:
        """``host:pid`` of the last process that took the lock, if it said."""
        try:
            with open(self.path, "rb") as handle:
                text = handle.read(200).decode("ascii", "replace").strip()
        except OSError:
            return None
        host, _, pid = text.partition(":")
        return text if host and pid.isdigit() else None

    def _refuse_a_non_file(self) -> None:
        """A folder, a link or a pipe where the lock file goes is no lock: say so, write nothing.

        (filelock would fail on it with a bare OSError, or, through a dangling
        link, create a file wherever the link points.)
        """
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        except OSError as error:
            raise StoreError(
                f"cannot look at the lock {self.path} of the store {self.store}: "
                f"{error.strerror or error}"
            ) from error
        if stat.S_ISREG(mode):
            return
        what = kind_of(mode)
        if stat.S_ISLNK(mode) and not self.path.exists():
            what = "a symbolic link to nothing"
        raise StoreError(
            f"the lock file {self.path} of the store {self.store} is {what}; askdesk makes "
            f"its own plain lock file there: remove {self.path} (it holds nothing of the "
            "store) and try again"
        )

    def _note_holder(self) -> None:
        try:
            fd = os.open(self.path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return  # the lock holds all the same; waiters are just told less
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{THIS_HOST}:{os.getpid()}\n".encode("ascii"))
        except OSError:
            pass  # as above: naming the holder is a courtesy, not the lock
        finally:
            os.close(fd)

    def _held_too_long(self) -> str:
        holder = self.holder()
        who = "another askdesk process"
        if holder is not None:
            host, _, pid = holder.partition(":")
            if host != THIS_HOST:
                who = f"askdesk process {pid} on {host}"
            elif int(pid) != os.getpid() and alive(int(pid)):
                who = f"askdesk process {pid} on this computer"
        return (
            f"the store {self.store} has been locked by {who} for more than {self.timeout:g} s; "
            "it is still running (a lock goes when its process ends): wait for it to "
            "finish, or stop that process, then try again"
        )
