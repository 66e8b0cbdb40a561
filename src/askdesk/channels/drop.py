"""The drop folder: any other tool hands askdesk messages as JSON lines in a folder.

A web form, an SMS gateway or a script can feed the desk without an adapter
of its own. Each ``*.jsonl`` file holds one JSON object per line::

    {"id": "web-118", "author": "Ana", "text": "Do you have...",
     "received_at": "2024-05-06T14:03:00Z", "kind": "direct",
     "conversation": "web-118", "url": "https://...", "channel": "webform"}

``id``, ``author``, ``text`` and ``received_at`` are required; ``kind`` is one
of mention, direct, email, chat (default direct); ``channel`` is a free label
shown with the message (default "drop"). A time without an offset is UTC.

Write each file elsewhere (or under a name starting with ".", or ending in
something other than ``.jsonl``) and rename it into the folder when it is
complete. A file is tracked by what it is, not by its name: a file renamed
over a name already read, or deleted and made again, is read; lines appended
to a file are read from where the last poll stopped. A last line without its
newline is left for the next poll, and read as it is once the file has stayed
unchanged for one poll. A bad line is reported as ``file.jsonl:LINE`` and
skipped; the other lines of the file still arrive.

What is skipped, with a report: a file whose name is not UTF-8 or holds a
control character (shown with escapes, as ``bad\\xff.jsonl``), a symbolic
link, and anything else that is not a regular file.

A flood (a relay gone wrong, a 50 MB file) is read ``MAX_PER_POLL`` lines a
poll, so memory stays bounded; ``Fetched.waiting`` says how many lines are
left for the next polls.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from askdesk.channels.base import Adapter, Fetched, Forgotten, Problem, Receipt
from askdesk.channels.options import FilePath, Options, poll_seconds
from askdesk.errors import ChannelError
from askdesk.model import Conversation, Kind, Message, Reply

MAX_LINE_BYTES = 1024 * 1024
"""A line longer than this (1 MB) is reported, not read into memory whole."""
MAX_PER_POLL = 500
"""Lines read in one poll at most: a flood arrives a part at a time, in bounded memory."""
MAX_BYTES_PER_POLL = 16 * 1024 * 1024
"""Bytes read in one poll at most, for a flood of long lines."""
MARK_BYTES = 4096
"""How much of the start and of the end of what was read identifies a file's content."""
COUNT_CHUNK = 1024 * 1024

_KINDS = ", ".join(kind.value for kind in Kind)


class BadLine(ValueError):
    """One line of a drop file that cannot become a message; the text says why."""


@dataclass(frozen=True)
class _Seen:
    """What the cursor keeps of one file in the folder, by its device and inode."""

    name: str
    size: int
    mtime_ns: int
    offset: int
    """Bytes read: every line before this has been handed over."""
    line: int
    """Lines read, so that a problem's ``file:LINE`` counts from the file's start."""
    mark: str
    """A hash of the first and the last ``MARK_BYTES`` before ``offset``: a file
    made again on a reused inode has other content, and is read from the start."""
    held: bool = False
    """A last line without its newline was left for the next poll."""


@dataclass
class _Budget:
    lines: int = MAX_PER_POLL
    bytes: int = MAX_BYTES_PER_POLL

    @property
    def spent(self) -> bool:
        return self.lines <= 0 or self.bytes <= 0

    def take(self, size: int) -> None:
        self.lines -= 1
        self.bytes -= size


@dataclass(frozen=True)
class _Entry:
    name: str
    key: str
    """``device:inode``: what the file is, whatever its name."""
    size: int
    mtime_ns: int


class DropFolderChannel:
    """Messages from the ``*.jsonl`` files renamed into ``path``.

    The cursor is ``{"files": {"DEVICE:INODE": {name, size, mtime_ns, offset,
    line, mark, held}}}``: how far each file still in the folder has been read.
    A file that leaves the folder is forgotten (a re-delivered message is
    skipped by the store's dedup).
    """

    type: str = "drop"
    can_send_private = False

    def __init__(
        self,
        name: str,
        path: Path | str,
        poll_seconds: float = 10,
        outbox: Path | str | None = None,
        max_per_poll: int = MAX_PER_POLL,
    ) -> None:
        self.name = name
        self.path = Path(path)
        self.poll_seconds = float(poll_seconds)
        self.max_per_poll = max_per_poll
        # Outside the folder's top level, so replies are never read back as questions.
        self.outbox = Path(outbox) if outbox is not None else self.path / "sent" / "replies.jsonl"

    def send(self, conversation: Conversation, reply: Reply, now: datetime) -> Receipt:
        """Append one JSON line per reply for the tool that dropped the question."""
        line = {
            "reply_id": reply.id,
            "message_key": conversation.latest.key,
            "conversation": conversation.key,
            "text": reply.text,
            "staff": reply.staff,
            "sent_at": now.isoformat(),
            "private": reply.private,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.outbox.parent.mkdir(parents=True, exist_ok=True)
            with _locked_outbox(self.outbox) as fd:
                os.write(fd, data)  # one write: lines from two processes never interleave
                os.fsync(fd)
        except OSError as error:
            raise ChannelError(
                f"could not write the outbox {self.outbox}: {error.strerror or error}"
            ) from error
        return Receipt(remote_id=f"{self.outbox.name}#{reply.id}")

    def find_sent(self, conversation: Conversation, reply: Reply) -> Receipt | None:
        """Whether a send that was cut short reached the outbox file."""
        del conversation
        try:
            with open(self.outbox, encoding="utf-8", errors="replace") as handle:
                for text in handle:
                    try:
                        if json.loads(text).get("reply_id") == reply.id:
                            return Receipt(remote_id=f"{self.outbox.name}#{reply.id}")
                    except (ValueError, AttributeError):
                        continue  # a torn last line from a crash: not our reply
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ChannelError(f"could not read the outbox {self.outbox}: {error}") from error
        return None

    def forget_before(
        self, cutoff: datetime, cursor: str | None, *, dry_run: bool = False
    ) -> list[Forgotten]:
        """Retention: delete the files wholly read (by ``cursor``) and unchanged since
        before ``cutoff``, and the outbox's lines of replies sent before it.

        A file not yet read to its end, or one the cursor does not know, stays:
        its messages have not all reached the store.
        """
        seen, _ = _read_cursor(cursor, [])
        files = 0
        # A folder that is not there (yet, or any more) holds nothing to forget.
        for entry in self._list([]) if self.path.is_dir() else []:
            state = seen.get(entry.key)
            if state is None or not _read_up(state, entry):
                continue
            if datetime.fromtimestamp(entry.mtime_ns / 1e9, UTC) >= cutoff:
                continue
            if not dry_run and not _delete_if_same(self.path / entry.name, entry.key):
                continue
            files += 1
        lines = _forget_sent(self.outbox, cutoff, dry_run=dry_run)
        return [
            Forgotten(files, f"processed files of drop folder {self.name}"),
            Forgotten(lines, f"reply lines of drop outbox {self.name}"),
        ]

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        seen, read_names = _read_cursor(cursor, problems)
        budget = _Budget(lines=self.max_per_poll)
        messages: list[Message] = []
        kept: dict[str, _Seen] = {}
        waiting = 0
        for entry in self._list(problems):
            if entry.key in kept:
                continue  # a second name (hard link) of a file already looked at
            before = seen.get(entry.key)
            if before is None and entry.name in read_names:
                before = self._read_whole(entry)  # a cursor from before files had identities
            if before is not None and _read_up(before, entry):
                kept[entry.key] = replace(before, name=entry.name)
                continue
            if budget.spent:
                if before is not None:
                    kept[entry.key] = before
                waiting += self._lines_after(entry, before)
                continue
            after = self._read_file(entry, before, budget, messages, problems)
            if after is not None:
                kept[entry.key] = after
                if budget.spent:
                    waiting += self._lines_after(entry, after)
            elif before is not None:
                kept[entry.key] = before
        files = {key: asdict(state) for key, state in kept.items()}
        return Fetched(
            messages=messages,
            cursor=json.dumps({"files": files}, ensure_ascii=False),
            problems=problems,
            waiting=waiting,
        )

    def _list(self, problems: list[Problem]) -> list[_Entry]:
        """The drop files in the folder, in name order; what cannot be read is reported."""
        try:
            entries = list(os.scandir(self.path))
        except FileNotFoundError as error:
            raise ChannelError(f"drop folder {self.path} does not exist") from error
        except NotADirectoryError as error:
            raise ChannelError(f"drop folder {self.path} is a file, not a folder") from error
        except OSError as error:
            raise ChannelError(
                f"cannot read drop folder {self.path}: {error.strerror or error}"
            ) from error
        found: list[_Entry] = []
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not name.endswith(".jsonl"):
                continue
            if not _good_name(name):
                problems.append(
                    Problem(
                        _readable_name(name),
                        "the file name is not UTF-8 text or holds a control character; "
                        "rename the file to have it read",
                    )
                )
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # renamed away while we looked: nothing to say
            except OSError as error:
                problems.append(Problem(name, f"cannot read the file: {error.strerror or error}"))
                continue
            kind = _not_a_file(st.st_mode)
            if kind is not None:
                problems.append(Problem(name, f"not a regular file but {kind}"))
                continue
            found.append(_Entry(name, f"{st.st_dev}:{st.st_ino}", st.st_size, st.st_mtime_ns))
        return sorted(found, key=lambda e: e.name)

    @contextmanager
    def _open(self, entry: _Entry) -> Iterator[BinaryIO]:
        """The file itself, never what a link put in its place since it was listed."""
        with open(self.path / entry.name, "rb", opener=_no_follow) as handle:
            st = os.fstat(handle.fileno())
            if f"{st.st_dev}:{st.st_ino}" != entry.key or not stat.S_ISREG(st.st_mode):
                raise FileNotFoundError(entry.name)  # replaced since listed: next poll sees it
            yield handle

    def _read_file(
        self,
        entry: _Entry,
        before: _Seen | None,
        budget: _Budget,
        messages: list[Message],
        problems: list[Problem],
    ) -> _Seen | None:
        """Read on from where ``before`` stopped; None when the file could not be read."""
        file_problems: list[Problem] = []
        try:
            with self._open(entry) as handle:
                if before is not None and not _continues(handle, before, entry):
                    before = None  # other content under a known inode: a new file
                offset = before.offset if before is not None else 0
                number = before.line if before is not None else 0
                # Unchanged since a poll that left its last line for later: it is complete.
                final = before is not None and before.held and _unchanged(before, entry)
                handle.seek(offset)
                held = False
                for raw, size, complete in _lines(handle):
                    if not complete and not final:
                        held = True
                        break
                    number += 1
                    offset += size
                    budget.take(size)
                    where = f"{entry.name}:{number}"
                    notes: list[str] = []
                    try:
                        message = self._message(raw, first=number == 1, notes=notes)
                    except BadLine as error:
                        file_problems.append(Problem(where, str(error)))
                    else:
                        file_problems.extend(Problem(where, note) for note in notes)
                        if message is not None:
                            messages.append(message)
                    if budget.spent:
                        break
                mark = _mark(handle, offset)
        except FileNotFoundError:
            return None  # renamed away between listing and reading: nothing to say
        except OSError as error:
            problems.append(Problem(entry.name, f"cannot read the file: {error.strerror or error}"))
            return None
        problems.extend(file_problems)
        return _Seen(entry.name, entry.size, entry.mtime_ns, offset, number, mark, held)

    def _read_whole(self, entry: _Entry) -> _Seen | None:
        """A file an older cursor lists by name as read: read to its end, as it is now."""
        try:
            with self._open(entry) as handle:
                return _Seen(
                    entry.name, entry.size, entry.mtime_ns, entry.size, 0, _mark(handle, entry.size)
                )
        except OSError:
            return None

    def _lines_after(self, entry: _Entry, seen: _Seen | None) -> int:
        """How many lines of the file are left to read after ``seen`` (a flood's backlog)."""
        offset = seen.offset if seen is not None and seen.size <= entry.size else 0
        count, last = 0, b"\n"
        try:
            with self._open(entry) as handle:
                handle.seek(offset)
                while chunk := handle.read(COUNT_CHUNK):
                    count += chunk.count(b"\n")
                    last = chunk[-1:]
        except OSError:
            return 0
        return count + (last != b"\n")

    def _message(self, raw: bytes | None, *, first: bool, notes: list[str]) -> Message | None:
        """The message on one line; None for a blank line. ``notes`` collects what was dropped."""
        if raw is None:
            raise BadLine(f"the line is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadLine(f"not UTF-8 text (byte {error.start + 1} of the line)") from error
        if first:
            line = line.removeprefix("\N{BYTE ORDER MARK}")
        if not line.strip():
            return None
        try:
            # strict=False: a raw tab or escape inside a string is kept, not refused.
            data = json.loads(line, strict=False)
        except json.JSONDecodeError as error:
            raise BadLine(f"not JSON ({error.msg} at column {error.colno})") from error
        except RecursionError as error:
            raise BadLine("not JSON (nested too deeply)") from error
        if not isinstance(data, dict):
            raise BadLine(f"expected a JSON object {{...}}, not {_json_type(data)}")
        remote_id = _required(data, "id")
        author = _required(data, "author")
        text = _required(data, "text")
        received_at = _time(_required(data, "received_at"))
        kind_name = _optional(data, "kind") or Kind.DIRECT.value
        try:
            kind = Kind(kind_name)
        except ValueError as error:
            raise BadLine(f"kind {kind_name!r} is not one of {_KINDS}") from error
        url = _optional(data, "url")
        if url is not None and not url.lower().startswith(("https://", "http://")):
            # Staff open this link with one key; the message still matters without it.
            notes.append(f"url {_short(url)!r} ignored: it should start with https://")
            url = None
        return Message(
            channel=self.name,
            remote_id=remote_id,
            kind=kind,
            author=author,
            text=text,
            received_at=received_at,
            conversation=_optional(data, "conversation"),
            url=url,
            label=_optional(data, "channel") or "drop",
        )


@contextmanager
def _locked_outbox(path: Path) -> Iterator[int]:
    """The outbox open to append, locked against retention rewriting it meanwhile.

    Retention replaces the file (a new one renamed over it) under the same
    lock; an append that opened the old file before that is made again on
    the new one, so no reply line is written into a file nobody reads.
    """
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            if current is not None and os.path.samestat(os.fstat(fd), current):
                yield fd
                return
        finally:
            os.close(fd)  # closing releases the lock


def _forget_sent(path: Path, cutoff: datetime, *, dry_run: bool) -> int:
    """Remove (or count) the outbox lines of replies sent before ``cutoff``.

    A line whose time cannot be read (a torn last line) is kept. The file is
    replaced atomically under the appenders' lock.
    """
    gone = 0
    try:
        with open(path, "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            kept: list[bytes] = []
            for line in handle.readlines():
                if _sent_before(line, cutoff):
                    gone += 1
                else:  # a torn line kept gets its end, so the next reply starts a line
                    kept.append(line if line.endswith(b"\n") else line + b"\n")
            if gone and not dry_run:
                _replace_file(path, b"".join(kept), os.fstat(handle.fileno()).st_mode)
    except FileNotFoundError:
        return 0
    except OSError as error:
        why = error.strerror or error
        raise ChannelError(f"could not read the outbox {path}: {why}") from error
    return gone


def _sent_before(line: bytes, cutoff: datetime) -> bool:
    try:
        sent_at = datetime.fromisoformat(json.loads(line)["sent_at"])
    except (ValueError, KeyError, TypeError):
        return False
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    return sent_at < cutoff


def _replace_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it and rename it over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, stat.S_IMODE(mode))
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        why = error.strerror or error
        raise ChannelError(f"could not rewrite the outbox {path}: {why}") from error


def _delete_if_same(path: Path, key: str) -> bool:
    """Delete ``path`` if it is still the file ``key`` (``device:inode``) names."""
    try:
        st = os.stat(path, follow_symlinks=False)
        if f"{st.st_dev}:{st.st_ino}" != key:
            return False  # another file took the name since it was listed: unread
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise ChannelError(f"could not delete {path}: {error.strerror or error}") from error
    return True


def _lines(handle: BinaryIO) -> Iterator[tuple[bytes | None, int, bool]]:
    """``(line, bytes, complete)`` from the handle's position; ``complete`` is False for a
    last line without its newline. The line is None when over ``MAX_LINE_BYTES``
    (left unread)."""
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if raw.endswith(b"\n"):
            yield raw, len(raw), True
            continue
        if len(raw) <= MAX_LINE_BYTES:
            yield raw, len(raw), False  # the end of the file, mid-line
            return
        size = len(raw)
        while raw and not raw.endswith(b"\n"):
            raw = handle.readline(MAX_LINE_BYTES)
            size += len(raw)
        yield None, size, raw.endswith(b"\n")


def _no_follow(path: str, flags: int) -> int:
    # O_NONBLOCK: a FIFO that took a file's place between listing and opening
    # must not hang the poll; ``_open`` then refuses it as not a regular file.
    return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK)


def _unchanged(seen: _Seen, entry: _Entry) -> bool:
    return (seen.size, seen.mtime_ns) == (entry.size, entry.mtime_ns)


def _read_up(seen: _Seen, entry: _Entry) -> bool:
    """Whether every line of the file was read and it has not changed since."""
    return _unchanged(seen, entry) and seen.offset == entry.size and not seen.held


def _mark(handle: BinaryIO, offset: int) -> str:
    """A hash of the first and the last ``MARK_BYTES`` of the file's first ``offset`` bytes."""
    digest = hashlib.sha256()
    handle.seek(0)
    digest.update(handle.read(min(offset, MARK_BYTES)))
    tail = max(0, offset - MARK_BYTES)
    handle.seek(tail)
    digest.update(handle.read(offset - tail))
    return digest.hexdigest()[:32]


def _continues(handle: BinaryIO, seen: _Seen, entry: _Entry) -> bool:
    """Whether the file still starts with what was read of it (it only grew)."""
    return entry.size >= seen.offset and _mark(handle, seen.offset) == seen.mark


def _good_name(name: str) -> bool:
    """Valid UTF-8 (``os`` hands other bytes over as lone surrogates) and no control character."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(unicodedata.category(c) == "Cc" for c in name)


def _readable_name(name: str) -> str:
    """A file name as text anyone can read: other bytes and control characters as escapes."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def _not_a_file(mode: int) -> str | None:
    """What a folder entry is when it is not a regular file, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link; move the file itself into the folder"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _read_cursor(cursor: str | None, problems: list[Problem]) -> tuple[dict[str, _Seen], set[str]]:
    """The files read so far by identity, and the names an older cursor listed as read."""
    if cursor is None:
        return {}, set()
    try:
        data = json.loads(cursor)
        if isinstance(data.get("files"), dict):
            return {key: _Seen(**state) for key, state in data["files"].items()}, set()
        names = data["read"]
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return {}, set(names)
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    problems.append(
        Problem("drop cursor", "could not read it; every file is read again (duplicates skipped)")
    )
    return {}, set()


def _check_text(field: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        # A lone surrogate ("\ud800") parses as JSON but cannot be stored or shown.
        raise BadLine(f"{field} holds an invalid character (a lone surrogate)") from error
    return value


def _required(data: dict[str, Any], field: str) -> str:
    if field not in data or data[field] is None:
        raise BadLine(f"{field} is missing")
    value = data[field]
    if not isinstance(value, str):
        raise BadLine(f"{field} should be a string, not {_json_type(value)}")
    if not value.strip():
        raise BadLine(f"{field} is empty")
    return _check_text(field, value)


def _optional(data: dict[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadLine(f"{field} should be a string, not {_json_type(value)}")
    return _check_text(field, value) or None


def _time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise BadLine(
            f"received_at {_short(value)!r} is not an ISO-8601 time such as 2024-05-06T14:03:00Z"
        ) from error


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return "a string"


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def _build(name: str, options: Options) -> DropFolderChannel:
    return DropFolderChannel(
        name=name,
        path=options.path("path"),
        poll_seconds=options.number("poll_seconds"),
        outbox=options.optional_path("outbox"),
    )


ADAPTER = Adapter(
    type="drop",
    options=(
        FilePath("path", "the folder to watch for *.jsonl files (a string)", required=True),
        FilePath("outbox", "the file replies are appended to, one JSON line each (a string)"),
        poll_seconds(default=10),
    ),
    build=_build,
)
