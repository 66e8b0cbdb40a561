"""The drop folder: JSON lines from other tools, read once, bad lines named by file:line."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import pytest

from askdesk.channels.drop import MAX_LINE_BYTES, MAX_PER_POLL, DropFolderChannel
from askdesk.channels.registry import build_channel
from askdesk.clock import FixedClock
from askdesk.config import ChannelConfig
from askdesk.desk import Desk
from askdesk.desk.sync import Poller
from askdesk.errors import ChannelError, ConfigError
from askdesk.model import Kind
from askdesk.store import TinyDBStore

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


def read_to_the_end(cursor: str | None) -> list[str]:
    """The names of the files the cursor says were read whole, in name order."""
    files = json.loads(cursor or "")["files"].values()
    return sorted(f["name"] for f in files if f["offset"] == f["size"] and not f["held"])


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
    assert read_to_the_end(fetched.cursor) == ["mixed.jsonl"]


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
    assert read_to_the_end(later.cursor) == ["000.jsonl", "001.jsonl", "002.jsonl"]
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
    (tmp_path / "sent").mkdir()
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert fetched.messages == []
    assert fetched.problems == []


def test_a_forgotten_name_can_be_used_again(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    path = drop(tmp_path, "batch.jsonl", record("a"))
    cursor = channel.fetch(None, NOW).cursor
    path.unlink()
    cursor = channel.fetch(cursor, NOW).cursor
    assert read_to_the_end(cursor) == []
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

    def refuse_b(path: Path, mode: str, **options: Any) -> IO[bytes]:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied")
        return open(path, mode, **options)  # the caller closes it

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


def test_a_bad_file_name_is_reported_readably_and_skipped(tmp_path: Path) -> None:
    line = (json.dumps(record("from-a-bad-name")) + "\n").encode()
    folder = os.fsencode(tmp_path)
    for name in [b"bad\xff.jsonl", b"new\nline.jsonl", b"esc\x1b[2J.jsonl", b"bell\x07.jsonl"]:
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(line)
    drop(tmp_path, "good.jsonl", record("good"))
    channel = DropFolderChannel("inbox", tmp_path)
    fetched = channel.fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == ["good"]
    assert sorted(p.where for p in fetched.problems) == [
        "bad\\xff.jsonl",
        "bell\\x07.jsonl",
        "esc\\x1b[2J.jsonl",
        "new\\nline.jsonl",
    ]
    assert all("rename the file" in p.reason for p in fetched.problems)
    # Everything the fetch hands on can be stored: valid UTF-8, no control character.
    for text in [fetched.cursor or "", *map(str, fetched.problems)]:
        text.encode("utf-8")
        assert not any(ord(c) < 0x20 for c in text)
    again = channel.fetch(fetched.cursor, NOW)
    assert again.messages == [] and len(again.problems) == 4, "still there: still reported"


def test_the_poller_keeps_going_past_a_bad_file_name(tmp_path: Path, clock: FixedClock) -> None:
    """Stored with a real store: the cursor and the health write, then every later write."""
    folder = tmp_path / "drop"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xff.jsonl"), "wb") as handle:
        handle.write((json.dumps(record("hidden")) + "\n").encode())
    drop(folder, "a.jsonl", record("a"))
    desk = Desk(TinyDBStore(tmp_path / "desk.json"), "ana", clock)
    poller = Poller(desk, [DropFolderChannel("web", folder)], holder="host:1")
    (first,) = poller.poll_all()
    assert (first.error, first.added) == (None, 1)
    assert [p.where for p in first.problems] == ["bad\\xff.jsonl"]
    drop(folder, "b.jsonl", record("b"))
    clock.advance(seconds=11)
    (second,) = poller.poll_all()
    assert (second.error, second.added) == (None, 1)
    assert desk.claim("web:b").holder == "ana"
    poller.release()
    assert TinyDBStore(tmp_path / "desk.json").channel_records()["web"]["lease"] is None


def test_a_file_renamed_over_a_name_already_read_is_read(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    drop(tmp_path, "batch.jsonl", record("a"))
    cursor = channel.fetch(None, NOW).cursor
    drop(tmp_path, "batch.jsonl", record("b"))  # renamed over the one already read
    fetched = channel.fetch(cursor, NOW)
    assert [m.remote_id for m in fetched.messages] == ["b"]
    assert channel.fetch(fetched.cursor, NOW).messages == []


def test_a_file_deleted_and_made_again_under_its_name_is_read(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps(record("a")) + "\n")
    cursor = channel.fetch(None, NOW).cursor
    path.unlink()
    path.write_text(json.dumps(record("b")) + "\n")  # the file system may reuse the inode
    fetched = channel.fetch(cursor, NOW)
    assert [m.remote_id for m in fetched.messages] == ["b"]


def test_a_file_renamed_inside_the_folder_is_not_read_again(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    path = drop(tmp_path, "a.jsonl", record("a"))
    cursor = channel.fetch(None, NOW).cursor
    path.rename(tmp_path / "z.jsonl")
    fetched = channel.fetch(cursor, NOW)
    assert fetched.messages == []
    assert read_to_the_end(fetched.cursor) == ["z.jsonl"]


def test_lines_appended_later_are_read_from_where_the_last_poll_stopped(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    path = drop(tmp_path, "log.jsonl", record("a"), "{oops")
    first = channel.fetch(None, NOW)
    assert [p.where for p in first.problems] == ["log.jsonl:2"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("also bad\n" + json.dumps(record("c")) + "\n")
    second = channel.fetch(first.cursor, NOW)
    assert [m.remote_id for m in second.messages] == ["c"]
    assert [p.where for p in second.problems] == ["log.jsonl:3"], "numbered from the file's start"


def test_a_partial_last_line_is_kept_for_the_next_poll(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    whole, second = json.dumps(record("a")), json.dumps(record("b"))
    path = tmp_path / "live.jsonl"
    path.write_text(whole + "\n" + second[:30])  # a writer half-way through line 2
    first = channel.fetch(None, NOW)
    assert [m.remote_id for m in first.messages] == ["a"]
    assert first.problems == []
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(second[30:] + "\n")
    fetched = channel.fetch(first.cursor, NOW)
    assert [m.remote_id for m in fetched.messages] == ["b"]
    assert fetched.problems == []


def test_a_last_line_without_newline_is_read_once_the_file_is_left_alone(tmp_path: Path) -> None:
    channel = DropFolderChannel("inbox", tmp_path)
    (tmp_path / "no-newline.jsonl").write_text(json.dumps(record("a")))
    first = channel.fetch(None, NOW)
    assert first.messages == []
    second = channel.fetch(first.cursor, NOW)
    assert [m.remote_id for m in second.messages] == ["a"]
    assert channel.fetch(second.cursor, NOW).messages == []


def test_a_cursor_from_before_identities_does_not_read_old_files_again(tmp_path: Path) -> None:
    drop(tmp_path, "old.jsonl", record("a"))
    drop(tmp_path, "new.jsonl", record("b"))
    fetched = DropFolderChannel("inbox", tmp_path).fetch('{"read": ["old.jsonl"]}', NOW)
    assert [m.remote_id for m in fetched.messages] == ["b"]
    assert read_to_the_end(fetched.cursor) == ["new.jsonl", "old.jsonl"]


def test_links_folders_and_pipes_are_reported_and_never_read(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    secret = drop(private, "secret.jsonl", record("secret", text="the staff password is hunter2"))
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "link.jsonl").symlink_to(secret)
    (folder / "folder.jsonl").mkdir()
    os.mkfifo(folder / "pipe.jsonl")  # opening it to read would wait for a writer forever
    drop(folder, "real.jsonl", record("real"))
    fetched = DropFolderChannel("inbox", folder).fetch(None, NOW)
    assert [m.remote_id for m in fetched.messages] == ["real"]
    reasons = {p.where: p.reason for p in fetched.problems}
    assert sorted(reasons) == ["folder.jsonl", "link.jsonl", "pipe.jsonl"]
    assert "symbolic link" in reasons["link.jsonl"]
    assert "named pipe" in reasons["pipe.jsonl"]
    assert "hunter2" not in json.dumps([str(p) for p in fetched.problems])


def test_a_file_swapped_for_a_link_after_listing_is_not_followed(tmp_path: Path) -> None:
    secret = drop(tmp_path, ".secret", record("secret"))
    path = drop(tmp_path, "a.jsonl", record("a"))
    channel = DropFolderChannel("inbox", tmp_path)
    (entry,) = channel._list([])
    path.unlink()
    path.symlink_to(secret)
    with pytest.raises(OSError), channel._open(entry):
        pass


def test_a_flood_is_read_a_part_at_a_time_and_says_how_much_waits(tmp_path: Path) -> None:
    drop(tmp_path, "flood.jsonl", *(record(f"f{i}") for i in range(25)))
    drop(tmp_path, "later.jsonl", record("later"))
    channel = DropFolderChannel("inbox", tmp_path, max_per_poll=10)
    seen: list[str] = []
    cursor = None
    waiting = []
    for _ in range(4):
        fetched = channel.fetch(cursor, NOW)
        assert len(fetched.messages) <= 10
        seen += [m.remote_id for m in fetched.messages]
        waiting.append(fetched.waiting)
        cursor = fetched.cursor
    assert seen == [f"f{i}" for i in range(25)] + ["later"]
    assert waiting == [16, 6, 0, 0]


def test_a_50_mb_flood_holds_one_poll_in_memory(tmp_path: Path) -> None:
    """97,000 lines: one fetch hands over at most MAX_PER_POLL messages, and counts the rest."""
    line = json.dumps(record("x", text="y" * 420)).encode()[:-1]
    with open(tmp_path / "flood.jsonl", "wb") as handle:
        for i in range(97_000):
            handle.write(line + b', "n": %d}\n' % i)
    fetched = DropFolderChannel("inbox", tmp_path).fetch(None, NOW)
    assert len(fetched.messages) == MAX_PER_POLL
    assert fetched.waiting == 97_000 - MAX_PER_POLL


# -- retention: what the drop folder keeps outside the store ---------------------------


def test_retention_deletes_only_files_read_whole_and_older_than_the_window(
    tmp_path: Path,
) -> None:
    channel = DropFolderChannel("web", tmp_path)
    old = drop(tmp_path, "old.jsonl", record("o1"))
    grown = drop(tmp_path, "grown.jsonl", record("g1"))
    drop(tmp_path, "recent.jsonl", record("r1"))
    ten_days_ago = (NOW - timedelta(days=10)).timestamp()
    for path in (old, grown):
        os.utime(path, (ten_days_ago, ten_days_ago))
    cursor = channel.fetch(None, NOW).cursor
    with open(grown, "a", encoding="utf-8") as handle:  # a line not yet read
        handle.write(json.dumps(record("g2")) + "\n")
    os.utime(grown, (ten_days_ago, ten_days_ago))
    unknown = drop(tmp_path, "unknown.jsonl", record("u1"))  # arrived after the last poll
    os.utime(unknown, (ten_days_ago, ten_days_ago))
    cutoff = NOW - timedelta(days=7)
    dry = channel.forget_before(cutoff, cursor, dry_run=True)
    assert [(f.count, f.what) for f in dry] == [
        (1, "processed files of drop folder web"),
        (0, "reply lines of drop outbox web"),
    ]
    assert old.exists()
    assert channel.forget_before(cutoff, cursor)[0].count == 1
    left = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert left == ["grown.jsonl", "recent.jsonl", "unknown.jsonl"]
    assert channel.forget_before(cutoff, None)[0].count == 0  # nothing known read: nothing goes


def test_retention_removes_old_outbox_lines_and_later_sends_land_in_the_new_file(
    tmp_path: Path,
) -> None:
    from askdesk.model import Conversation, Reply

    channel = DropFolderChannel("web", tmp_path, outbox=tmp_path / "sent" / "out.jsonl")
    message = DropFolderChannel("web", tmp_path)._message(
        json.dumps(record("w1")).encode(), first=True, notes=[]
    )
    assert message is not None
    conversation = Conversation(key="web:w1", channel="web", kind=Kind.DIRECT, messages=(message,))
    for n, sent in enumerate([NOW - timedelta(days=30), NOW - timedelta(days=1)]):
        channel.send(conversation, Reply(f"r{n}", f"words {n}", "ana", sent), sent)
    with open(channel.outbox, "a", encoding="utf-8") as handle:
        handle.write('{"reply_id": "torn"')  # a crash's torn last line: kept, it has no time
    early = os.open(channel.outbox, os.O_RDONLY)  # a reader holding the old file
    try:
        gone = channel.forget_before(NOW - timedelta(days=7), None)
    finally:
        os.close(early)
    assert gone[1].count == 1
    channel.send(conversation, Reply("r2", "words 2", "ana", NOW), NOW)
    lines = channel.outbox.read_text("utf-8").splitlines()
    assert [json.loads(line)["reply_id"] for line in lines if line.endswith("}")] == ["r1", "r2"]
    assert channel.find_sent(conversation, Reply("r0", "", "ana", NOW)) is None
