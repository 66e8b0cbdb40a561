"""``library``: the name alone as before, or a ``[library]`` table with ``name`` and ``hours``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from askdesk.config import load_config
from askdesk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_name_alone_still_works_and_has_no_hours(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'library = "Eastside Library"\n'), env={})
    assert (config.library, config.hours) == ("Eastside Library", None)


def test_a_library_table_gives_the_name_and_the_hours(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[library]\nname = "Eastside Library"\n'
        'hours = { mon = "9:00-20:00", sat = "9:00-12:00, 13:00-17:00", sun = "closed" }\n',
    )
    config = load_config(path, env={})
    assert config.library == "Eastside Library"
    assert config.hours is not None
    assert config.hours.describe() == (
        "Mon 9:00-20:00, Tue-Fri closed, Sat 9:00-12:00 and 13:00-17:00, Sun closed"
    )


def test_hours_may_be_a_sub_table_and_the_name_may_be_left_out(tmp_path: Path) -> None:
    path = write(tmp_path, '[library.hours]\ntue = "10:00-16:00"\n')
    config = load_config(path, env={})
    assert config.library == "the library"
    assert config.hours is not None
    assert config.hours.is_open(datetime(2026, 11, 17, 10, 0, tzinfo=UTC), UTC)


def test_the_example_config_hours_load_when_uncommented(tmp_path: Path) -> None:
    """The commented [library] table in config.example.toml, put in place of the name line."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    block = re.search(r"^# \[library\]\n(?:# .*\n)+", text, re.MULTILINE)
    assert block is not None
    uncommented = "".join(line[2:] + "\n" for line in block.group(0).splitlines())
    text = text.replace('library = "Anytown Public Library"\n', "").replace(
        block.group(0), uncommented
    )
    config = load_config(write(tmp_path, text), env={})
    assert config.library == "Anytown Public Library"
    assert config.hours is not None
    assert config.hours.describe() == (
        "Mon-Thu 9:00-20:00, Fri 9:00-17:00, Sat 9:00-12:00 and 13:00-17:00, Sun closed"
    )


@pytest.mark.parametrize(
    ("toml", "sentence"),
    [
        (
            '[library]\nhours = { monday = "9:00-17:00" }\n',
            "library.hours has an unknown weekday 'monday' (use mon, tue, wed, thu, fri, sat, sun)",
        ),
        (
            '[library]\nhours = { mon = "17:00-9:00" }\n',
            "library.hours.mon '17:00-9:00' ends before it starts",
        ),
        (
            '[library]\nhours = { fri = "9.00-17.00" }\n',
            "library.hours.fri has '9.00', which is not a time from 0:00 to 24:00 (H:MM)",
        ),
        (
            '[library]\nname = "X"\nopen = "always"\n',
            "unknown key library.open (known: name, hours)",
        ),
        ("library = 3\n", "library should be the library's name (a string), or a [library]"),
        ("[library]\nname = 3\n", "library.name should be the library's name (a string), not 3"),
    ],
)
def test_bad_library_tables_are_one_sentence_naming_the_key(
    tmp_path: Path, toml: str, sentence: str
) -> None:
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as error:
        load_config(path, env={})
    assert str(error.value).startswith(f"{path}: {sentence}")
    assert "\n" not in str(error.value)
