"""The command line's errors as its README promises: one line, naming what was probably meant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from askdesk.cli import main


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store that ``askdesk fetch`` made from a drop folder with two questions."""
    folder = tmp_path / "drop"
    folder.mkdir()
    lines = [
        {"id": "1", "author": "Sam", "text": "Open Monday?", "received_at": "2026-11-23T13:00:00Z"},
        {"id": "t-2", "author": "Kim", "text": "Renew?", "received_at": "2026-11-23T13:05:00Z"},
    ]
    (folder / "a.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    config = tmp_path / "config.toml"
    config.write_text(f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n')
    path = tmp_path / "desk.json"
    assert main(["fetch", "--store", str(path), "--config", str(config)]) == 0
    return path


def usage_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``args``, expect a usage error (exit 2), return what it said."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, no usage block
    return err


def test_a_mistyped_option_is_named_with_the_one_meant(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = usage_error(
        ["resolve", "web:1", "--tpye", "policy", "--read", "2", "--store", str(store)], capsys
    )
    assert "unknown option --tpye; did you mean --type?" in err


def test_a_mistyped_option_before_the_command_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(["--sotre", "x.json", "list"], capsys)
    assert "unknown option --sotre; did you mean --store?" in err


def test_a_mistyped_choice_or_command_suggests_the_nearest(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = usage_error(["resolve", "web:1", "--type", "polcy", "--read", "2"], capsys)
    assert "invalid choice 'polcy'; did you mean 'policy'?" in err
    err = usage_error(["lsit"], capsys)
    assert "did you mean 'list'?" in err


def test_missing_arguments_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(["resolve"], capsys)
    assert "the following arguments are required: key, --type, --read" in err


def test_a_value_that_looks_like_an_option_is_still_a_value(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["note", "web:1", "--- called back, see above", "--store", str(store)]) == 0


@pytest.mark.parametrize(
    ("typed", "meant"), [("1", "web:1"), ("t-2", "web:t-2"), ("web:t2", "web:t-2")]
)
def test_a_key_that_does_not_exist_suggests_the_nearest(
    store: Path, capsys: pytest.CaptureFixture[str], typed: str, meant: str
) -> None:
    capsys.readouterr()
    assert main(["claim", typed, "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.rstrip().endswith(f"did you mean {meant}?")


@pytest.mark.parametrize(
    "args",
    [["list"], ["show", "web:1"], ["claim", "web:1"], ["stats"], ["outbox"], ["handover"]],
)
def test_a_store_path_that_does_not_exist_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    missing = tmp_path / "typo" / "desk.json"
    assert main([*args, "--store", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"no store at {missing}" in err and err.count("\n") == 1
    assert not missing.parent.exists()  # nothing was made on the way


def test_fetch_makes_the_store(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    assert main(["fetch", "--store", str(path)]) == 0
    assert path.exists()
