"""The name colleagues see: the login name when none is given, asked for and kept on first start."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import pytest

from askdesk.cli import ask_staff_name
from askdesk.config import load_config, login_name, remember_staff, usable_name


def no_terminal_login() -> str:
    raise OSError("no controlling terminal")


def test_under_sudo_the_name_is_whoever_ran_it_not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getlogin", no_terminal_login)
    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    assert login_name({"SUDO_USER": "bo"}) == "bo"
    assert login_name({}) == "root"  # nothing better to go on


def test_the_terminal_login_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getlogin", lambda: "ana")
    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    assert load_config(env={}).staff == "ana"


def test_a_login_name_with_other_characters_is_still_a_name() -> None:
    assert usable_name("CORP\\ana") == "CORP-ana"
    assert usable_name("ana@example.org") == "ana-example.org"


def test_only_a_name_nobody_gave_counts_as_guessed(tmp_path: Path) -> None:
    assert load_config(env={}).staff_guessed
    assert not load_config(env={"ASKDESK_AS": "bo"}).staff_guessed
    assert not load_config(staff="bo", env={}).staff_guessed
    config = tmp_path / "config.toml"
    config.write_text('staff = "ana"\n', encoding="utf-8")
    assert not load_config(config, env={}).staff_guessed


def test_first_start_asks_and_keeps_the_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(os, "getlogin", lambda: "root")
    config = load_config(env={})
    answers = iter(["two words", "ana"])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    config = ask_staff_name(config, ask)
    assert asked == ["Your name on the desk [root]: "] * 2  # a bad name is asked again
    assert "staff name 'two words' must be" in capsys.readouterr().err
    assert config.staff == "ana" and not config.staff_guessed
    again = load_config(env={})  # the next start reads it from the config file
    assert again.staff == "ana" and not again.staff_guessed


def test_enter_takes_the_offered_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getlogin", lambda: "dana")
    config = ask_staff_name(load_config(env={}), lambda prompt: "")
    assert config.staff == "dana"


def test_the_name_goes_before_the_files_tables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('library = "Eastside"\n[desk]\ntarget_minutes = 30\n', encoding="utf-8")
    remember_staff("ana", path)
    config = load_config(path, env={})
    assert (config.staff, config.library, config.target_minutes) == ("ana", "Eastside", 30)
