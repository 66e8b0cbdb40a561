"""``askdesk reply --template "Out of hours"`` fills ``{next_open}`` from ``[library] hours``
at the command's clock, in the statistics time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from askdesk import cli
from askdesk.clock import FixedClock

MONDAY_NIGHT = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # Tuesday 0:30 in Berlin


def test_the_reply_says_when_the_library_opens_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    line = {"id": "1", "author": "Sam", "text": "Open late?", "received_at": "2026-11-23T23:20Z"}
    (folder / "a.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    outbox = tmp_path / "replies.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(
        '[library]\nname = "Eastside"\nhours = { tue = "9:30-18:00" }\n\n'
        '[stats]\ntimezone = "Europe/Berlin"\n\n'
        f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\noutbox = "{outbox}"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(cli, "SystemClock", lambda: FixedClock(MONDAY_NIGHT))

    def run(*args: str) -> int:
        return cli.main([*args, "--store", str(tmp_path / "d.json"), "--config", str(config)])

    assert run("fetch") == 0
    assert run("reply", "web:1", "--template", "Out of hours", "--as", "ana") == 0
    capsys.readouterr()
    (sent,) = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines()]
    # In Berlin it is already Tuesday: the library opens "today", not "tomorrow" as in UTC.
    assert "we open again today at 9:30 and will answer you then" in sent["text"]
    assert "Our opening hours are Mon closed, Tue 9:30-18:00, Wed-Sun closed." in sent["text"]
