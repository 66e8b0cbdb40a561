"""``[[stats.fields]]``: the library's own questions, and one sentence for each bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from askdesk.config import StatsField, load_config
from askdesk.desk.settings import check_config
from askdesk.desk.templates import load_templates
from askdesk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

PATRON_TYPE = """
[[stats.fields]]
name = "patron_type"
choices = ["adult", "teen", "child", "staff"]
required = true

[[stats.fields]]
name = "branch"
choices = ["main", "east", "west"]
"""


def config_from(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_fields_are_read_in_order(tmp_path: Path) -> None:
    config = load_config(config_from(tmp_path, PATRON_TYPE), staff="ana")
    assert config.stats_fields == (
        StatsField("patron_type", ("adult", "teen", "child", "staff"), required=True),
        StatsField("branch", ("main", "east", "west"), required=False),
    )
    assert config.stats_fields[0].label == "patron type"
    check_config(config)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            PATRON_TYPE + '[[stats.fields]]\nname = "branch"\nchoices = ["north"]\n',
            "stats.fields #3.name 'branch' is the name of an earlier field",
        ),
        (
            '[[stats.fields]]\nname = "topic"\nchoices = []\n',
            "stats.fields #1 (topic) choices is empty: list the answers staff choose from",
        ),
        (
            '[[stats.fields]]\nname = "topic"\nchoices = ["hours", "Hours"]\n',
            "stats.fields #1 (topic) choices has 'Hours' twice",
        ),
        (
            '[[stats.fields]]\nname = "Patron Type"\nchoices = ["adult"]\n',
            "stats.fields #1.name 'Patron Type' should be lowercase letters, digits and '_'",
        ),
        (
            '[[stats.fields]]\nname = "topic"\nchoice = ["hours"]\n',
            "unknown key stats.fields #1.choice (known: name, choices, required)",
        ),
        (
            '[[stats.fields]]\nname = "topic"\nchoices = ["hours"]\nrequired = "yes"\n',
            "stats.fields #1 (topic) required should be true or false",
        ),
    ],
)
def test_a_bad_field_is_one_sentence_naming_the_key(
    tmp_path: Path, text: str, sentence: str
) -> None:
    path = config_from(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, staff="ana")
    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert sentence in message
    assert "\n" not in message


def test_a_field_named_like_an_export_column_is_refused(tmp_path: Path) -> None:
    path = config_from(tmp_path, '[[stats.fields]]\nname = "staff"\nchoices = ["a"]\n')
    with pytest.raises(ConfigError, match=r"stats.fields #1.name 'staff' is already a column"):
        check_config(load_config(path, staff="ana"))


def test_templates_may_propose_answers_and_a_wrong_one_is_refused(tmp_path: Path) -> None:
    good = (
        PATRON_TYPE
        + '[[templates]]\nname = "Hours"\nbody = "We open at 9."\n'
        + '[templates.fields]\nbranch = "main"\n'
    )
    config = load_config(config_from(tmp_path, good), staff="ana")
    templates, _ = load_templates(config.templates, config.stats_fields)
    assert dict(templates[0].fields) == {"branch": "main"}
    bad = good.replace('branch = "main"', 'branch = "north"')
    config = load_config(config_from(tmp_path, bad), staff="ana")
    with pytest.raises(ConfigError, match=r"fields.branch should be one of main, east, west"):
        check_config(config)
    unknown = good.replace('branch = "main"', 'topic = "hours"')
    config = load_config(config_from(tmp_path, unknown), staff="ana")
    with pytest.raises(ConfigError, match=r"fields.topic is not a field of \[\[stats.fields\]\]"):
        check_config(config)


def test_the_example_config_ships_patron_type_and_branch() -> None:
    """The example's fields are live (not commented out) and pass every check."""
    config = load_config(ROOT / "config.example.toml", staff="ana")
    assert [f.name for f in config.stats_fields] == ["patron_type", "branch"]
    check_config(config)
