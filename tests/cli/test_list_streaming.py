"""``askdesk list`` and ``export`` stream: output goes out as it is made, in linear time.

A table of 8,000 conversations once took three minutes (each line re-joined
the whole table built so far). These tests check the behaviour that fixed it:
the table reaches stdout a chunk at a time, and JSON arrays are written item
by item in exactly the layout ``json.dump(indent=2)`` gives.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from askdesk import cli_output
from askdesk.cli import main
from askdesk.desk.text import fit
from askdesk.model import Kind, Message
from askdesk.store import TinyDBStore
from tests.conftest import NOW


class RecordingStdout(io.StringIO):
    """A stdout that remembers each write, to see how output arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def _store_with(path: Path, count: int) -> None:
    store = TinyDBStore(path)
    store.ingest(
        [
            Message(
                channel="web",
                remote_id=str(i),
                kind=Kind.EMAIL,
                author=f"patron{i}@example.org",
                text=f"Question {i}: are you open on Monday?",
                received_at=NOW - timedelta(minutes=count - i),
            )
            for i in range(count)
        ],
        NOW,
    )
    store.close()


def test_table_goes_out_a_chunk_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "desk.json"
    _store_with(store, 300)
    monkeypatch.setattr(cli_output, "TABLE_CHUNK", 50, raising=False)
    stdout = RecordingStdout()
    monkeypatch.setattr("sys.stdout", stdout)

    assert main(["list", "--store", str(store), "--as", "ana"]) == 0

    lines = stdout.getvalue().splitlines()
    assert lines[0].split() == [
        "KEY",
        "STATUS",
        "CHANNEL",
        "AUTHOR",
        "AGE",
        "HOLDER",
        "FLAG",
        "TEXT",
    ]
    # Every conversation once, oldest waiting first, no trailing blanks.
    assert [line.split()[0] for line in lines[1:]] == [f"web:{i}" for i in range(300)]
    assert all(line == line.rstrip() for line in lines)
    # Never the whole table in one piece: at most one chunk of rows per write.
    assert max(text.count("\n") for text in stdout.writes) <= 50


HOSTILE = [
    "plain",
    "naïve café — ünïcödé",
    "emoji 📚 and CJK 図書館",
    'quotes " and \\ backslash',
    "controls \x1b[2J \x07 \x00 \x7f",
    "line\nbreaks\r\n and \t tabs",
    "separators \u2028 \u2029",
    "[@click=app.quit]quit[/]",
]


def _records() -> list[dict[str, Any]]:
    return [
        {"key": f"web:{i}", "text": text, "messages": i, "flagged": i % 2 == 0, "url": None}
        for i, text in enumerate(HOSTILE)
    ] + [{"nested": {"list": [1, 2, {"deep": []}], "empty": {}}}]


@pytest.mark.parametrize("items", [_records(), []], ids=["records", "empty"])
def test_json_array_is_the_stdlib_layout(
    items: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scripts see the same bytes as before streaming: ``json.dump(indent=2)`` and a newline."""
    stdout = RecordingStdout()
    monkeypatch.setattr("sys.stdout", stdout)
    cli_output.print_json_array(iter(items))
    assert stdout.getvalue() == json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def test_json_array_writes_each_item_before_the_next_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdout = RecordingStdout()
    monkeypatch.setattr("sys.stdout", stdout)
    written_before: list[int] = []

    def items() -> Iterator[dict[str, Any]]:
        for i in range(5):
            written_before.append(len(stdout.getvalue()))
            yield {"key": f"web:{i}"}

    cli_output.print_json_array(items())
    assert all(a < b for a, b in pairwise(written_before))
    assert [r["key"] for r in json.loads(stdout.getvalue())] == [f"web:{i}" for i in range(5)]


@pytest.mark.parametrize(
    "text",
    [
        "plain ascii that is far longer than the column it has to fit in, " * 4,
        "图书馆的开放时间是什么时候?" * 20,
        "café 📚 " * 50,
        "a" + "\u0301" * 300 + "b" * 40,  # a pile of combining marks, zero cells each
        "short",
        "",
    ],
    ids=["ascii", "wide", "mixed", "zero-width", "short", "empty"],
)
@pytest.mark.parametrize("width", [0, 1, 2, 20, 61])
def test_fit_gives_exactly_the_width_and_marks_a_cut(text: str, width: int) -> None:
    """``fit`` looks at the head of a long text only; the line it gives is the same."""
    fitted = fit(text, width)
    assert cell_len(fitted) == width
    if cell_len(text) > width > 0:
        assert fitted.endswith("…")
        assert text.startswith(fitted[:-1].rstrip(" "))
    elif width:
        assert fitted.rstrip(" ") == text.rstrip(" ")
