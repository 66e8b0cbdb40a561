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
complete: a file is read once, in name order, and never again, so a file
still being written would lose its last lines. A bad line is reported as
``file.jsonl:LINE`` and skipped; the other lines of the file still arrive.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from askdesk.channels.base import Adapter, Fetched, Problem, Receipt
from askdesk.channels.options import FilePath, Options, poll_seconds
from askdesk.errors import ChannelError
from askdesk.model import Conversation, Kind, Message, Reply

MAX_LINE_BYTES = 1024 * 1024
"""A line longer than this (1 MB) is reported, not read into memory whole."""

_KINDS = ", ".join(kind.value for kind in Kind)


class BadLine(ValueError):
    """One line of a drop file that cannot become a message; the text says why."""


class DropFolderChannel:
    """Messages from the ``*.jsonl`` files renamed into ``path``.

    The cursor is ``{"read": [file names]}``: the files already read that are
    still in the folder. A name that leaves the folder is forgotten, so a tool
    that reuses names after clearing the folder is still heard (a re-delivered
    message is skipped by the store's dedup).
    """

    type: str = "drop"
    can_send_private = False

    def __init__(
        self,
        name: str,
        path: Path | str,
        poll_seconds: float = 10,
        outbox: Path | str | None = None,
    ) -> None:
        self.name = name
        self.path = Path(path)
        self.poll_seconds = float(poll_seconds)
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
            fd = os.open(self.outbox, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)  # one write: lines from two processes never interleave
                os.fsync(fd)
            finally:
                os.close(fd)
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

    def fetch(self, cursor: str | None, now: datetime) -> Fetched:
        problems: list[Problem] = []
        already = _read_cursor(cursor, problems)
        names = self._list()
        read = already & set(names)
        messages: list[Message] = []
        for file_name in names:
            if file_name in read:
                continue
            arrived = self._read_file(file_name, problems)
            if arrived is not None:
                messages.extend(arrived)
                read.add(file_name)
        return Fetched(
            messages=messages,
            cursor=json.dumps({"read": sorted(read)}, ensure_ascii=False),
            problems=problems,
        )

    def _list(self) -> list[str]:
        """The complete drop files in the folder, in name order."""
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
        names = []
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.endswith(".jsonl"):
                continue
            try:
                if not entry.is_file():
                    continue
            except OSError:
                continue
            names.append(entry.name)
        return sorted(names)

    def _read_file(self, file_name: str, problems: list[Problem]) -> list[Message] | None:
        """The good lines of one file; None when the file could not be read (try again later)."""
        messages: list[Message] = []
        file_problems: list[Problem] = []
        try:
            with open(self.path / file_name, "rb") as handle:
                for number, raw in _lines(handle):
                    where = f"{file_name}:{number}"
                    notes: list[str] = []
                    try:
                        message = self._message(raw, first=number == 1, notes=notes)
                    except BadLine as error:
                        file_problems.append(Problem(where, str(error)))
                        continue
                    file_problems.extend(Problem(where, note) for note in notes)
                    if message is not None:
                        messages.append(message)
        except FileNotFoundError:
            return None  # renamed away between listing and reading: nothing to say
        except OSError as error:
            problems.append(Problem(file_name, f"cannot read the file: {error.strerror or error}"))
            return None
        problems.extend(file_problems)
        return messages

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


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines of a file; None stands for a line over ``MAX_LINE_BYTES``, left unread."""
    number = 0
    while True:
        raw = handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(MAX_LINE_BYTES)
            yield number, None
            continue
        yield number, raw


def _read_cursor(cursor: str | None, problems: list[Problem]) -> set[str]:
    if cursor is None:
        return set()
    try:
        data = json.loads(cursor)
        names = data["read"]
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return set(names)
    except (ValueError, TypeError, KeyError):
        pass
    problems.append(
        Problem("drop cursor", "could not read it; every file is read again (duplicates skipped)")
    )
    return set()


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
