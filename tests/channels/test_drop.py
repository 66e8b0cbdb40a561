"""The drop folder: JSON lines from other tools, read once, bad lines named by file:line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import pytest

from askdesk.channels.drop import MAX_LINE_BYTES, DropFolderChannel
from askdesk.channels.registry import build_channel
from askdesk.config import ChannelConfig
from askdesk.errors import ChannelError, ConfigError
from askdesk.model import Kind

NOW = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)


def record(remote_id: Any = "w1", **fields: Any) -> dict[str, Any]:
    return {
        "id": remote_id,
        "author": "Ana Ruiz",
        "text": "Do you have large-print copies of Lessons in Chemistry?",
        "received_at": "2024-05-06T14:03:00Z",
        **fields,
    }


def drop(folder: Path, name: str, *lines: dict[str, Any] | str) -> Path:
    """Write a drop file the recommended way: elsewhere first, then renamed in."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    hidden = folder / f".{name}.part"
    hidden.write_text(text, encoding="utf-8")
    return hidden.replace(folder / name)


def test_a_good_file_becomes_messages(tmp_path: Path) -> None:
    drop(
        tmp_path,
        "web.jsonl",
        record(),
        record(
            "w2",
            kind="email",
            conversation="thread-9",
            url="https://example.org/form/9",
            channel="webform",
            received_at="2024-05-06T16:30:00+02:00",
        ),
    )
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert fetched.problems == []
    first, second = fetched.messages
    assert first.key == "inbox:w1"
    assert (first.kind, first.label, first.conversation, first.url) == (
        Kind.DIRECT,
        "drop",
        None,
        None,
    )
    assert first.author == "Ana Ruiz"
    assert first.received_at == datetime(2024, 5, 6, 14, 3, tzinfo=UTC)
    assert second.kind is Kind.EMAIL
    assert second.label == "webform"
    assert second.conversation == "thread-9"
    assert second.url == "https://example.org/form/9"
    assert second.received_at == datetime(2024, 5, 6, 14, 30, tzinfo=UTC)
    assert second.received_at.utcoffset() == timedelta(0)


def test_a_naive_time_is_taken_as_utc(tmp_path: Path) -> None:
    drop(tmp_path, "a.jsonl", record(received_at="2024-05-06T09:15:00"))
    (message,) = DropFolderChannel("inbox", tmp_path).fetch(None, NOW).messages
    assert message.received_at == datetime(2024, 5, 6, 9, 15, tzinfo=UTC)
    assert message.received_at.tzinfo is not None


BAD_LINES: list[tuple[str, str]] = [
    ("{not json", "not JSON"),
    ('["a", "list"]', "expected a JSON object"),
    ('"just a string"', "expected a JSON object"),
    (json.dumps({k: v for k, v in record().items() if k != "id"}), "id is missing"),
    (json.dumps(record(author="")), "author is empty"),
    (json.dumps(record(text="   ")), "text is empty"),
    (json.dumps(record(text=None)), "text is missing"),
    (json.dumps(record(author=42)), "author should be a string, not a number"),
    (json.dumps(record(remote_id=["x"])), "id should be a string, not a list"),
    (json.dumps(record(received_at="yesterday-ish")), "is not an ISO-8601 time"),
    (json.dumps(record(received_at=1714999999)), "received_at should be a string"),
    (json.dumps(record(kind="fax")), "kind 'fax' is not one of mention, direct, email, chat"),
    (json.dumps(record(conversation=7)), "conversation should be a string"),
    (json.dumps(record(text="\ud800 broken")), "lone surrogate"),
]


def test_bad_lines_are_named_and_the_good_ones_still_arrive(tmp_path: Path) -> None:
    lines = [json.dumps(record("good-1")), "", "   "]
    lines += [line for line, _ in BAD_LINES]
    lines.append(json.dumps(record("good-2")))
    drop(tmp_path, "mixed.jsonl", *lines)
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == ["good-1", "good-2"]
    assert [p.where for p in fetched.problems] == [
        f"mixed.jsonl:{number}" for number in range(4, 4 + len(BAD_LINES))
    ]
    for problem, (_, reason) in zip(fetched.problems, BAD_LINES, strict=True):
        assert reason in problem.reason
        assert "Traceback" not in problem.reason
    assert json.loads(fetched.cursor or "") == {"read": ["mixed.jsonl"]}


def test_a_line_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    good = json.dumps(record()).encode()
    (tmp_path / "latin.jsonl").write_bytes(b'{"id": "x", "text": "caf\xe9"}\n' + good + b"\n")
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert [str(p) for p in fetched.problems] == [
        "latin.jsonl:1: not UTF-8 text (byte 25 of the line)"
    ]
    assert [m.remote_id for m in fetched.messages] == ["w1"]


def test_a_url_that_is_not_a_web_link_is_dropped_with_a_problem(tmp_path: Path) -> None:
    drop(tmp_path, "a.jsonl", record(url="javascript:alert(1)"))
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    (message,) = fetched.messages
    assert message.url is None
    assert [p.where for p in fetched.problems] == ["a.jsonl:1"]
    assert "url" in fetched.problems[0].reason


def test_a_line_over_one_megabyte_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    huge = json.dumps(record("huge", text="x" * (MAX_LINE_BYTES + 10)))
    drop(tmp_path, "big.jsonl", record("before"), huge, record("after"))
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == ["before", "after"]
    assert [str(p) for p in fetched.problems] == ["big.jsonl:2: the line is longer than 1 MB"]


def test_a_file_is_never_read_twice(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    drop(tmp_path, "001.jsonl", record("a"))
    first = channel.fetch(None, NOW)
    assert [m.remote_id for m in first.messages] == ["a"]
    again = channel.fetch(first.cursor, NOW)
    assert again.messages == []
    drop(tmp_path, "002.jsonl", record("b"))
    drop(tmp_path, "000.jsonl", record("c"))
    later = channel.fetch(again.cursor, NOW)
    assert [m.remote_id for m in later.messages] == ["c", "b"], "new files, in name order"
    assert json.loads(later.cursor or "") == {"read": ["000.jsonl", "001.jsonl", "002.jsonl"]}
    other_process = DropFolderChannel("inbox", tmp_path)
    assert other_process.fetch(later.cursor, NOW).messages == []


def test_files_are_read_in_name_order(tmp_path: Path) -> None:
    for name in ["b.jsonl", "a.jsonl", "c.jsonl"]:
        drop(tmp_path, name, record(name))
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == ["a.jsonl", "b.jsonl", "c.jsonl"]


def test_hidden_partial_and_other_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".incoming.jsonl").write_text(json.dumps(record("hidden")) + "\n")
    (tmp_path / "notes.txt").write_text("not a drop file\n")
    (tmp_path / "x.jsonl.tmp").write_text(json.dumps(record("tmp")) + "\n")
    (tmp_path / "folder.jsonl").mkdir()
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert fetched.messages == []
    assert fetched.problems == []


def test_a_forgotten_name_can_be_used_again(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    path = drop(tmp_path, "batch.jsonl", record("a"))
    cursor = channel.fetch(None, NOW).cursor
    path.unlink()
    cursor = channel.fetch(cursor, NOW).cursor
    assert json.loads(cursor or "") == {"read": []}
    drop(tmp_path, "batch.jsonl", record("b"))
    assert [m.remote_id for m in channel.fetch(cursor, NOW).messages] == ["b"]


def test_a_missing_folder_is_a_channel_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ChannelError, match=f"^drop folder {missing} does not exist$"):
        DropFolderChannel("inbox", missing).fetch(None, NOW)
    (tmp_path / "file").write_text("")
    with pytest.raises(ChannelError, match="not a folder"):
        DropFolderChannel("inbox", tmp_path / "file").fetch(None, NOW)


def test_an_unreadable_file_is_a_problem_and_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(tmp_path, "a.jsonl", record("a"))
    locked = drop(tmp_path, "b.jsonl", record("b"))
    drop(tmp_path, "c.jsonl", record("c"))

    def refuse_b(path: Path, mode: str) -> IO[bytes]:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")
        return open(path, mode)  # the caller closes it

    # Patched rather than chmod: root (as in CI containers) may read any file.
    monkeypatch.setattr("askdesk.channels.drop.open", refuse_b, raising=False)
    channel = DropFolderChannel("inbox", tmp_path)
    fetched = channel.fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == ["a", "c"]
    assert [str(p) for p in fetched.problems] == [
        "b.jsonl: cannot read the file: Permission denied"
    ]
    monkeypatch.undo()
    assert [m.remote_id for m in channel.fetch(fetched.cursor, NOW).messages] == ["b"]


def test_an_unreadable_cursor_reads_everything_again(tmp_path: Path) -> None:
    drop(tmp_path, "a.jsonl", record("a"))
    fetched = DropFolderChannel("inbox", tmp_path).fetch("{oops", NOW)
    assert [m.remote_id for m in fetched.messages] == ["a"]
    assert [p.where for p in fetched.problems] == ["drop cursor"]


HOSTILE = [
    "[bold red]x[/]",
    "[link=https://evil.example]click[/link] [@click=app.quit]quit[/]",
    "\x1b[2J\x1b[31mred\x1b[0m",
    "abc\u202edcba \u2066isolate\u2069",
    "tab\there\rcarriage\x00nul\x07bell",
    "  leading and trailing spaces  \n\n",
    "\\n is not a newline, &amp; is not &",
    "😀 e\u0301 \ufeffbom-inside",
    "long " + "é" * 20_000,
]


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "raw"])
def test_hostile_text_arrives_unchanged(tmp_path: Path, ensure_ascii: bool) -> None:
    lines = [
        json.dumps(record(f"h{i}", text=text, author=text[:40]), ensure_ascii=ensure_ascii)
        for i, text in enumerate(HOSTILE)
    ]
    drop(tmp_path, "hostile.jsonl", *lines)
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert fetched.problems == []
    assert [m.text for m in fetched.messages] == HOSTILE
    assert [m.author for m in fetched.messages] == [text[:40] for text in HOSTILE]
    assert len(fetched.messages[-1].text) == 20_005


def test_a_20000_character_text_arrives_intact(tmp_path: Path) -> None:
    text = "".join(chr(0x20 + i % 0x5F) for i in range(20_000))
    drop(tmp_path, "long.jsonl", record(text=text))
    (message,) = DropFolderChannel("inbox", tmp_path).fetch(None, NOW).messages
    assert message.text == text
    assert message.text.encode() == text.encode()


def test_a_byte_order_mark_on_the_first_line_is_allowed(tmp_path: Path) -> None:
    line = json.dumps(record()).encode()
    (tmp_path / "excel.jsonl").write_bytes(b"\xef\xbb\xbf" + line + b"\r\n" + line + b"\r\n")
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert fetched.problems == []
    assert len(fetched.messages) == 2


def test_a_time_in_another_zone_keeps_its_instant(tmp_path: Path) -> None:
    drop(tmp_path, "a.jsonl", record(received_at="2024-05-06T09:03:00-05:00"))
    (message,) = DropFolderChannel("inbox", tmp_path).fetch(None, NOW).messages
    assert message.received_at == datetime(2024, 5, 6, 9, 3, tzinfo=timezone(timedelta(hours=-5)))


def test_built_from_config_with_paths_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "drops").mkdir()
    config = ChannelConfig(
        type="drop",
        name="webform",
        options={"path": "~/drops", "poll_seconds": 3},
    )
    channel = build_channel(config)
    assert isinstance(channel, DropFolderChannel)
    assert (channel.name, channel.type, channel.poll_seconds) == ("webform", "drop", 3.0)
    assert channel.path == tmp_path / "drops"
    drop(tmp_path / "drops", "a.jsonl", record())
    assert [m.key for m in channel.fetch(None, NOW).messages] == ["webform:w1"]
    plain = build_channel(ChannelConfig(type="drop", name="d", options={"path": "/srv/d"}))
    assert isinstance(plain, DropFolderChannel)
    assert plain.poll_seconds == 10.0
    with pytest.raises(ConfigError, match="needs path"):
        build_channel(ChannelConfig(type="drop", name="d"))


def test_raw_control_characters_inside_strings_are_kept(tmp_path: Path) -> None:
    line = '{"id": "r1", "author": "x", "text": "\x1b[2J\ttab", "received_at": "2024-05-06T14:03Z"}'
    drop(tmp_path, "raw.jsonl", line)
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert fetched.problems == []
    assert fetched.messages[0].text == "\x1b[2J\ttab"
