"""Settings: precedence, and one clear sentence for every kind of bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from askdesk.channels.registry import ADAPTERS
from askdesk.config import Config, default_store_path, load_config
from askdesk.desk.settings import check_config
from askdesk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_checked(path: Path) -> Config:
    """What ``askdesk`` does on start: read the file, then the checks of the other layers."""
    config = load_config(path, env={})
    check_config(config)
    return config


def test_example_config_is_valid_and_documents_every_option() -> None:
    example = ROOT / "config.example.toml"
    config = load_checked(example)
    assert config.library == "Anytown Public Library"
    text = example.read_text(encoding="utf-8")
    from askdesk.config import _DESK_OPTIONS

    for key in _DESK_OPTIONS:
        assert key in text, f"desk.{key} is not documented in config.example.toml"
    for kind, adapter in ADAPTERS.items():
        assert f'type = "{kind}"' in text
        for option in adapter.options:
            assert option.name in text, f"{kind}.{option.name} is not documented"


def test_precedence_flag_beats_env_beats_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'staff = "filer"\nstore = "/from/file.json"\n')
    env = {"ASKDESK_AS": "envy", "ASKDESK_STORE": "/from/env.json"}
    assert load_config(path, env={}).staff == "filer"
    assert load_config(path, env=env).staff == "envy"
    assert load_config(path, env=env, staff="flagged").staff == "flagged"
    assert load_config(path, env=env).store == Path("/from/env.json")
    assert load_config(path, env={}).store == Path("/from/file.json")


def test_config_from_environment_variable(tmp_path: Path) -> None:
    path = write(tmp_path, 'library = "Eastside"\n')
    assert load_config(env={"ASKDESK_CONFIG": str(path)}).library == "Eastside"


def test_no_file_means_demo_and_os_user() -> None:
    config = load_config(env={})
    assert config.is_demo
    assert config.effective_channels()[0].type == "demo"
    assert config.staff


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ("staff = 3\n", "staff should be"),
        ('staff = "two words"\n', "staff name"),
        ('[desk]\ntarget_minutes = "soon"\n', "desk.target_minutes should be"),
        ("[desk]\ntarget_minutes = -5\n", "desk.target_minutes should be more than 0"),
        ("[desk]\nspeed = 1\n", "unknown key desk.speed"),
        ("[desk]\nhot_days = true\n", "desk.hot_days should be"),
        ('[[channels]]\ntype = "fax"\nname = "f"\n', "type should be one of"),
        ('[[channels]]\ntype = "drop"\n', "name should be"),
        ('[[channels]]\ntype = "drop"\nname = "w"\n', "channel 'w' needs path"),
        ('[[channels]]\ntype = "drop"\nname = "w"\npath = 5\n', "channel 'w' path should be"),
        ('[[channels]]\ntype = "drop"\nname = "w"\npath = "x"\nfoo = 1\n', "unknown key 'foo'"),
        (
            '[[channels]]\ntype = "demo"\nname = "d"\n[[channels]]\ntype = "demo"\nname = "d"\n',
            "used by another channel",
        ),
        ('[[channels]]\ntype = "demo"\nname = "a:b"\n', "without ':'"),
        ("[keys]\nclaim = 3\n", "keys.claim should be"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_checked(path)
    message = str(error.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})


def test_the_readme_gives_the_default_store_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    default = default_store_path()
    assert default == tmp_path / ".local/share/askdesk/askdesk.json"
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "`~/.local/share/askdesk/askdesk.json`" in readme
