"""The team list: names matched without regard to case, credited as listed; others refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from askdesk.cli import ask_staff_name, main
from askdesk.clock import FixedClock
from askdesk.config import load_config
from askdesk.desk import Desk
from askdesk.errors import ConfigError
from askdesk.model import Outcome, QuestionType
from askdesk.store import TinyDBStore

Run = Callable[..., tuple[int, str, str]]
TEAM = '[team]\nmembers = ["ana", "bo", "Cy"]\n'


@pytest.fixture
def team_config(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    lines = [
        {"id": n, "author": "Sam", "text": "Open on Monday?", "received_at": "2026-11-23T13:00Z"}
        for n in ("1", "2")
    ]
    (folder / "a.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'{TEAM}\n[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n', "utf-8"
    )
    return config


@pytest.fixture
def run(tmp_path: Path, team_config: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    store = tmp_path / "desk.json"

    def run(*args: str, staff: str | None = "ana") -> tuple[int, str, str]:
        who = ["--as", staff] if staff is not None else []
        code = main([*args, "--store", str(store), "--config", str(team_config), *who])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_as_env_and_staff_key_match_the_list_without_regard_to_case(team_config: Path) -> None:
    assert load_config(team_config, staff="BO", env={}).staff == "bo"
    assert load_config(team_config, env={"ASKDESK_AS": "cy"}).staff == "Cy"
    in_file = team_config.parent / "mine.toml"
    in_file.write_text('staff = "ANA"\n' + TEAM, "utf-8")
    assert load_config(in_file, env={}).staff == "ana"


@pytest.mark.parametrize(
    ("staff", "env", "said"),
    [("dee", {}, "--as"), (None, {"ASKDESK_AS": "dee"}, "ASKDESK_AS")],
)
def test_a_name_off_the_list_is_refused_with_the_list(
    team_config: Path, staff: str | None, env: dict[str, str], said: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(team_config, staff=staff, env=env)
    assert str(refused.value) == (
        f"{said}: 'dee' is not on the team list (ana, bo, Cy; from {team_config} [team] members)"
    )


def test_without_a_team_table_any_name_goes(tmp_path: Path) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text('library = "x"\n', "utf-8")
    assert load_config(plain, staff="Bo", env={}).staff == "Bo"


@pytest.mark.parametrize(
    ("members", "sentence"),
    [
        (
            '["ana", "bo", "Ana"]',
            "team.members lists 'ana' twice (as 'Ana'); names are matched without regard to case",
        ),
        ('["ana", "ana"]', "team.members lists 'ana' twice; names are matched"),
        ("[]", "team.members should be a list of staff names"),
        ('"ana"', "team.members should be a list of staff names"),
        ('["a b"]', "team.members: staff name 'a b' must be 1-40 letters"),
    ],
)
def test_a_bad_team_list_is_one_sentence_naming_the_key(
    tmp_path: Path, members: str, sentence: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[team]\nmembers = {members}\n", "utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path, staff="ana", env={})
    assert sentence in str(refused.value)
    assert str(refused.value).startswith(str(path))


def test_hand_offs_are_validated_and_stored_as_listed(run: Run) -> None:
    run("fetch")
    code, _, err = run("hand", "web:1", "--to", "zed", "--new-colleague")
    assert code == 1
    assert err.startswith("askdesk: hand-off: 'zed' is not on the team list (ana, bo, Cy;")
    code, out, _ = run("hand", "web:1", "--to", "CY")  # never worked here: the list says who
    assert code == 0 and "handed to Cy" in out
    assert run("release", "web:1", staff="cy")[0] == 0  # cy is Cy
    _, out, _ = run("show", "web:1", "--format", "json")
    events = json.loads(out)["events"]
    assert [(e["staff"], e["action"], e.get("to")) for e in events[1:]] == [
        ("ana", "hand-off", "Cy"),
        ("Cy", "release", None),
    ]


def test_handover_to_a_name_off_the_list_changes_nothing(run: Run) -> None:
    run("fetch")
    assert run("claim", "web:1")[0] == 0
    code, _, err = run("handover", "--to", "boo")
    assert code == 1 and "'boo' is not on the team list" in err
    _, out, _ = run("show", "web:1", "--format", "json")
    assert json.loads(out)["holder"] == "ana"
    assert run("handover", "--to", "Bo")[0] == 0
    _, out, _ = run("show", "web:1", "--format", "json")
    assert json.loads(out)["holder"] == "bo"


def test_a_guessed_login_name_off_the_list_cannot_act(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASKDESK_AS", raising=False)
    monkeypatch.setattr("askdesk.config.login_name", lambda env=None: "root")
    assert run("fetch", staff=None)[0] == 0  # a cron job acts as nobody
    assert run("list", staff=None)[0] == 0
    code, _, err = run("claim", "web:1", staff=None)
    assert code == 1
    assert "your login name: 'root' is not on the team list" in err
    assert err.rstrip().endswith("give yours with --as NAME or ASKDESK_AS")


def test_the_first_start_asks_until_the_name_is_on_the_list(
    team_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("askdesk.config.login_name", lambda env=None: "root")
    config = load_config(team_config, env={})
    assert config.staff_guessed
    answers = iter(["", "zed", "BO"])
    chosen = ask_staff_name(config, ask=lambda _: next(answers))
    assert chosen.staff == "bo" and not chosen.staff_guessed
    assert 'staff = "bo"' in team_config.read_text("utf-8")


def test_names_recorded_before_the_list_are_credited_as_listed(run: Run, tmp_path: Path) -> None:
    """``Bo`` resolved one and holds another before ``[team]`` listed ``bo``: the store keeps
    what was recorded, and stats, the export and the shift summary credit bo."""
    run("fetch")
    before_the_list = Desk(TinyDBStore(tmp_path / "desk.json"), "Bo", FixedClock(datetime.now(UTC)))
    before_the_list.resolve("web:1", Outcome.ANSWERED, QuestionType.POLICY, 2)
    before_the_list.claim("web:2")
    _, out, _ = run("stats", "--format", "json")
    assert json.loads(out)["by_staff"] == {"bo": 1}
    _, out, _ = run("export", "--format", "json")
    assert [row["staff"] for row in json.loads(out)] == ["bo"]
    code, out, _ = run("handover", "--keep", staff="BO")
    assert code == 0
    assert "Shift summary for bo" in out and "Answered: 1" in out
    assert "  bo (1):" in out  # what each person holds, under the listed name
    _, out, _ = run("show", "web:1", "--format", "json")
    assert json.loads(out)["events"][-1]["staff"] == "Bo"  # history is not rewritten
