"""The log file: where it is, who may read it, how long it is kept, and what it never holds.

Every askdesk process of one account (the desk, a cron ``askdesk fetch``)
appends to one file a day, ``askdesk-YYYY-MM-DD.log`` in the platform's user
log folder, created owner-only (the file 0600, the folder 0700) and deleted
after ``KEEP_DAYS`` days. It holds what went wrong: a channel that failed, a
send that failed, an unexpected error with its traceback. Never a patron's
words or a secret: askdesk logs keys and ids, not texts; DEBUG records (where
HTTP libraries print headers and bodies) never reach the file, nor anything
below WARNING from other libraries; and every line is passed through the
credential redactor and ``inert`` before it is written.

A key still names a patron (an SMS conversation's key is a phone number, a
DM thread's holds the account id), and a platform's error may quote a handle:
retention removes every record that names a patron it anonymizes
(``forget_patrons``), rewriting the day's file under a lock every writer takes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import stat
from datetime import date, datetime, timedelta
from pathlib import Path

import platformdirs

from askdesk.channels.base import Forgotten
from askdesk.channels.redaction import RedactSecrets, shared_redactor
from askdesk.config import APP
from askdesk.desk.text import inert
from askdesk.errors import AskdeskError

KEEP_DAYS = 14
"""Days a day's log file is kept; older ones are deleted when askdesk next starts."""

_DAILY = re.compile(r"askdesk-(\d{4}-\d{2}-\d{2})\.log")
_EARLIER = "askdesk.log"
"""The single, never-trimmed file of askdesk versions before daily files."""


def log_folder() -> Path:
    """The platform's user log folder (on Linux ``~/.local/state/askdesk/log``)."""
    return Path(platformdirs.user_log_dir(APP))


def log_file(folder: Path, day: date) -> Path:
    return folder / f"askdesk-{day.isoformat()}.log"


class SafeFormatter(logging.Formatter):
    """Each whole line, traceback included, with credentials masked and controls made visible.

    Redacting the formatted line, not only the message, also masks a header
    quoted in an exception's text; ``inert`` keeps an escape in a key or a
    platform's error from acting on the terminal of whoever reads the file.
    """

    def __init__(self, redactor: RedactSecrets) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return inert(self.redactor.redact(super().format(record)))

    def formatMessage(self, record: logging.LogRecord) -> str:
        # The record's own line stays one line: a line break in a key or a platform's
        # words would otherwise start a forged record. A traceback follows on its lines.
        return inert(super().formatMessage(record), keep_newlines=False)


def _worth_keeping(record: logging.LogRecord) -> bool:
    """askdesk's own records from INFO up; other libraries' only from WARNING up."""
    return record.levelno >= logging.WARNING or record.name.split(".")[0] == "askdesk"


class DailyLogFile(logging.Handler):
    """Appends each record, in one write, to the owner-only file of the day it was made.

    Several processes share the file safely: none renames it (rotating by
    rename loses lines when two processes rotate one file), each opens the
    day's file to append, and a line is one ``write`` on an ``O_APPEND`` file.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(level=logging.INFO)
        self.folder = folder
        self.addFilter(_worth_keeping)
        self._day: date | None = None
        self._fd: int | None = None

    def open(self, day: date) -> Path:
        """Make ``day``'s file the one written to, creating it owner-only; its path."""
        path = log_file(self.folder, day)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # made by someone's umask-less copy: ours, so tighten it
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._day = fd, day
        return path

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode("utf-8", "replace")
            day = datetime.fromtimestamp(record.created).date()
            if day != self._day:
                self.open(day)
            self._append(line, log_file(self.folder, day))
        except Exception:  # logging's own contract: report on stderr, never raise
            self.handleError(record)

    def _append(self, line: bytes, path: Path) -> None:
        """Write under the file's lock, to the file now at ``path``: retention may have
        replaced it (``forget_patrons``) since it was opened."""
        for _ in range(3):
            fd = self._fd
            assert fd is not None and self._day is not None
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if _same_file(fd, path):
                    os.write(fd, line)
                    return
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self.open(self._day)
        raise OSError(f"{path} keeps being replaced")

    def close(self) -> None:
        self.acquire()
        try:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        finally:
            self.release()
        super().close()


def prune(folder: Path, today: date) -> list[Path]:
    """Delete the day files older than ``KEEP_DAYS`` (and the old undated file); what went."""
    oldest = today - timedelta(days=KEEP_DAYS - 1)
    gone = []
    for path in folder.iterdir():
        match = _DAILY.fullmatch(path.name)
        try:
            if match:
                expired = date.fromisoformat(match.group(1)) < oldest
            elif path.name == _EARLIER:
                expired = datetime.fromtimestamp(path.stat().st_mtime).date() < oldest
            else:
                continue
            if expired:
                path.unlink(missing_ok=True)
                gone.append(path)
        except ValueError:
            continue  # a name shaped like ours without a real date: not ours
        except OSError:
            continue  # kept until a later start can remove it
    return gone


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


_RECORD = re.compile(rb"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ ", re.MULTILINE)
"""Where a record starts (``SafeFormatter``'s time and level); the lines up to the
next one (a traceback) belong to it."""
_AROUND = ",;:.!?()[]{}<>'\"`"
"""What may stand around a key or a handle in a sentence, not part of it."""
_LONGEST_NAME = 4
"""Words a mark may span ("Ada Quillfeather"): handles and display names."""


def forget_patrons(
    marks: frozenset[str], *, dry_run: bool = False, folder: Path | None = None
) -> list[Forgotten]:
    """Remove from every log file each record naming one of ``marks`` (keys, handles,
    thread ids, links of the conversations retention anonymizes); how many (would) go."""
    folder = folder or log_folder()
    if not marks:
        return [Forgotten(0, "log records naming a patron")]
    try:
        paths = sorted(
            p for p in folder.iterdir() if _DAILY.fullmatch(p.name) or p.name == _EARLIER
        )
    except FileNotFoundError:
        paths = []
    except OSError as error:
        raise AskdeskError(
            f"cannot read the log folder {folder}: {error.strerror or error}"
        ) from error
    # Lines are written inert: a key with a control character is logged with its stand-in.
    marks = marks | {inert(mark, keep_newlines=False) for mark in marks}
    gone = 0
    for path in paths:
        gone += _forget_in(path, marks, dry_run=dry_run)
    return [Forgotten(gone, "log records naming a patron")]


def _forget_in(path: Path, marks: frozenset[str], *, dry_run: bool) -> int:
    try:
        with open(path, "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # writers wait: no line is lost
            data = handle.read()
            starts = [m.start() for m in _RECORD.finditer(data)]
            if not starts or starts[0] != 0:
                starts.insert(0, 0)
            records = [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]
            kept = [r for r in records if not _names(r.decode("utf-8", "replace"), marks)]
            gone = len(records) - len(kept)
            if gone and not dry_run:
                _replace(path, b"".join(kept))
            return gone
    except FileNotFoundError:
        return 0  # pruned meanwhile
    except OSError as error:
        raise AskdeskError(
            f"cannot clean the log file {path}: {error.strerror or error}"
        ) from error


def _names(record: str, marks: frozenset[str]) -> bool:
    """Whether ``record`` holds one of ``marks`` as whole words (``web:1`` is not in ``web:12``)."""
    words = [w.strip(_AROUND) for w in record.split()]
    for start in range(len(words)):
        for span in range(1, _LONGEST_NAME + 1):
            if start + span <= len(words) and " ".join(words[start : start + span]) in marks:
                return True
    return False


def _replace(path: Path, data: bytes) -> None:
    """Owner-only, written whole and renamed over ``path``: a crash leaves one or the other."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def start_logging(today: date, folder: Path | None = None) -> Path | None:
    """Send this process's log records to today's file; its path, or ``None`` if it cannot be.

    Calling it again (tests run many commands in one process) replaces the
    earlier handler rather than adding a second one.
    """
    folder = folder or log_folder()
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, DailyLogFile)]:
        root.removeHandler(old)
        old.close()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(folder.stat().st_mode) & 0o077:
            folder.chmod(0o700)
        prune(folder, today)
        handler = DailyLogFile(folder)
        path = handler.open(today)
    except OSError:
        return None  # a desk without a log file is better than no desk
    handler.setFormatter(SafeFormatter(shared_redactor()))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
