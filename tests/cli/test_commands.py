"""The scriptable commands: the same actions as the keys, one plain line on failure."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from askdesk.cli import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def drop_config(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    lines = [
        {
            "id": "1",
            "author": "Sam",
            "text": "Are you open on Monday?",
            "received_at": "2026-11-23T13:00:00Z",
            "kind": "mention",
        },
        {
            "id": "2",
            "author": "Kim",
            "text": "Can I renew [bold]twice[/]?",
            "received_at": "2026-11-23T13:05:00Z",
            "conversation": "t-2",
        },
        {
            "id": "3",
            "author": "Kim",
            "text": "Also, \x1b[31mfines?",
            "received_at": "2026-11-23T13:06:00Z",
            "conversation": "t-2",
        },
    ]
    (folder / "a.jsonl").write_text(
        "\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n', encoding="utf-8"
    )
    return config


@pytest.fixture
def run(tmp_path: Path, drop_config: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    store = tmp_path / "desk.json"

    def run(*args: str, staff: str = "ana") -> tuple[int, str, str]:
        code = main([*args, "--store", str(store), "--config", str(drop_config), "--as", staff])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_fetch_reports_per_channel_and_skipped_lines(run: Run) -> None:
    code, out, _ = run("fetch")
    assert code == 0
    assert "web: 2 new, 0 follow-ups" in out
    assert "skipped a.jsonl:4" in out
    code, out, _ = run("fetch")
    assert "web: 0 new" in out  # the file is never read twice


def test_list_json_contract(run: Run) -> None:
    run("fetch")
    code, out, _ = run("list", "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert {r["key"] for r in records} == {"web:1", "web:t-2"}
    for record in records:
        for field in (
            "key",
            "channel",
            "kind",
            "author",
            "text",
            "status",
            "holder",
            "flagged",
            "received_at",
            "conversation",
        ):
            assert field in record
    thread = next(r for r in records if r["key"] == "web:t-2")
    assert thread["messages"] == 2
    assert thread["text"] == "Also, \x1b[31mfines?"  # JSON keeps the words exactly


def test_table_output_is_inert(run: Run) -> None:
    run("fetch")
    code, out, _ = run("list")
    assert code == 0
    assert "\x1b" not in out
    assert "web:t-2" in out


def test_claim_then_colleague_is_told_who_has_it(run: Run) -> None:
    run("fetch")
    assert run("claim", "web:1")[0] == 0
    code, out, err = run("claim", "web:1", staff="bo")
    assert code == 1
    assert err.strip() == (
        "askdesk: web:1 is already claimed by ana; add --take-over to take it over from ana"
    )
    _, out, _ = run("list", "--status", "claimed", "--format", "json")
    assert [(r["key"], r["holder"]) for r in json.loads(out)] == [("web:1", "ana")]


def test_take_over_from_an_absent_colleague_is_its_own_event(run: Run) -> None:
    run("fetch")
    assert run("claim", "web:1")[0] == 0
    code, out, _ = run("claim", "web:1", "--take-over", staff="bo")
    assert code == 0 and "taken over from ana" in out
    _, out, _ = run("show", "web:1", "--format", "json")
    record = json.loads(out)
    assert record["holder"] == "bo"
    assert record["events"][-1] | {"at": None} == {
        "at": None,
        "staff": "bo",
        "action": "take-over",
        "from": "ana",
    }
    code, _, err = run("claim", "web:3", "--take-over", staff="bo")
    assert code == 1 and "not a colleague's; claim it instead" in err


def test_hand_to_a_name_nobody_has_used_needs_new_colleague(run: Run) -> None:
    run("fetch")
    assert run("note", "web:3", "cy was here", staff="cy")[0] == 0
    code, _, err = run("hand", "web:1", "--to", "zed")
    assert code == 1
    assert err == (
        "askdesk: nobody called zed has worked on this store; check the spelling, "
        "or add --new-colleague if they have not started yet\n"
    )
    assert run("hand", "web:1", "--to", "cy")[0] == 0  # cy has worked here
    assert run("hand", "web:2", "--to", "zed", "--new-colleague")[0] == 0


def test_message_key_reaches_its_conversation(run: Run) -> None:
    run("fetch")
    assert run("claim", "web:3")[0] == 0  # a message key inside thread t-2
    _, out, _ = run("show", "web:t-2", "--format", "json")
    record = json.loads(out)
    assert record["holder"] == "ana"
    assert [m["key"] for m in record["thread"]] == ["web:2", "web:3"]


def test_resolve_flag_note_hand_release(run: Run) -> None:
    run("fetch")
    assert run("flag", "web:1", "--reason", "sarcastic")[0] == 0
    assert run("note", "web:1", "checked the holiday schedule")[0] == 0
    assert run("hand", "web:1", "--to", "bo", "--new-colleague")[0] == 0
    code, _, err = run("release", "web:1")
    assert code == 1 and "claimed by bo" in err
    assert run("release", "web:1", staff="bo")[0] == 0
    code, out, _ = run("resolve", "web:1", "--type", "policy", "--read", "2")
    assert code == 0 and "resolved" in out
    _, out, _ = run("show", "web:1", "--format", "json")
    record = json.loads(out)
    assert record["status"] == "resolved"
    assert record["flagged"] is True and record["flag_reason"] == "sarcastic"
    assert record["resolution"]["type"] == "policy" and record["resolution"]["read"] == 2
    actions = [e["action"] for e in record["events"]]
    assert actions == ["arrive", "flag", "note", "hand-off", "release", "resolve"]
    code, out, _ = run("show", "web:1")
    assert "checked the holiday schedule" in out and "handed to bo" in out


def test_show_text_is_inert(run: Run) -> None:
    run("fetch")
    _, out, _ = run("show", "web:t-2")
    assert "\x1b" not in out
    assert "[bold]twice[/]" in out


@pytest.mark.parametrize(
    "args",
    [
        ("claim", "web:nope"),
        ("show", "web:nope"),
        ("resolve", "web:nope", "--type", "other", "--read", "1"),
    ],
)
def test_unknown_key_is_one_line(run: Run, args: tuple[str, ...]) -> None:
    run("fetch")
    code, _, err = run(*args)
    assert code == 1
    assert err.count("\n") == 1 and "no conversation or message web:nope" in err


def test_bad_read_level_is_a_usage_error(run: Run) -> None:
    with pytest.raises(SystemExit) as exit_:
        run("resolve", "web:1", "--type", "policy", "--read", "9")
    assert exit_.value.code == 2


def test_corrupt_store_is_reported_with_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "desk.json"
    store.write_bytes(b'{"conversations": {"1": {"key"')
    code = main(["list", "--store", str(store)])
    err = capsys.readouterr().err
    assert code == 1
    assert str(store) in err and "damaged" in err
    assert store.read_bytes() == b'{"conversations": {"1": {"key"'
