"""``askdesk reply``: nothing false in the record, nothing sent twice by accident."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from askdesk.cli import main

Run = Callable[..., tuple[int, str, str]]


def drop_config(tmp_path: Path, *, broken: bool) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    line = {
        "id": "1",
        "author": "Sam",
        "text": "Is the Le Guin biography in?",
        "received_at": "2026-11-23T13:00:00Z",
    }
    (folder / "a.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    outbox = tmp_path / "replies.jsonl"
    if broken:
        outbox.mkdir()  # every send fails: the replies file cannot be written
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\noutbox = "{outbox}"\n',
        encoding="utf-8",
    )
    return config


def runner(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    store = tmp_path / "desk.json"

    def run(*args: str, staff: str = "ana") -> tuple[int, str, str]:
        code = main([*args, "--store", str(store), "--config", str(config), "--as", staff])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_reply_and_resolve_does_not_resolve_when_the_reply_did_not_go_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runner(tmp_path, drop_config(tmp_path, broken=True), capsys)
    run("fetch")
    code, _, err = run(
        "reply", "web:1", "--text", "Yes.", "--resolve", "--type", "directional", "--read", "1"
    )
    assert code == 1
    assert "web:1 was not resolved" in err
    _, out, _ = run("show", "web:1", "--format", "json")
    record = json.loads(out)
    assert (record["status"], record["holder"], record["resolution"]) == ("claimed", "ana", None)


def test_a_private_reply_on_a_channel_without_a_private_route_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runner(tmp_path, drop_config(tmp_path, broken=False), capsys)
    run("fetch")
    code, _, err = run("reply", "web:1", "--text", "Yes.", "--private")
    assert code == 1
    assert err == "askdesk: web has no private route; send it as a reply instead\n"
    _, out, _ = run("outbox", "--format", "json")
    assert json.loads(out) == []


def test_the_same_reply_again_within_ten_minutes_is_refused_unless_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runner(tmp_path, drop_config(tmp_path, broken=False), capsys)
    run("fetch")
    assert run("reply", "web:1", "--text", "Yes, on the new books shelf.")[0] == 0
    code, out, err = run("reply", "web:1", "--text", "Yes,  on the new books shelf.\n")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith("askdesk: web:1 got the same reply from ana less than a minute ago")
    assert err.rstrip().endswith("add --again to send it once more")
    assert run("reply", "web:1", "--text", "Yes, on the new books shelf.", "--again")[0] == 0
    assert len((tmp_path / "replies.jsonl").read_text().splitlines()) == 2
