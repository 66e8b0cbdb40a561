"""``[retention]``, per-channel ``anonymize_after_days`` and ``[stats] timezone``."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from askdesk.config import DEFAULT_ANONYMIZE_AFTER_DAYS, load_config, local_zone
from askdesk.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_keep_patron_details_90_days() -> None:
    config = load_config(env={})
    assert config.anonymize_after_days == DEFAULT_ANONYMIZE_AFTER_DAYS == 90
    assert config.anonymize_days_by_channel() == {}
    assert config.timezone is None


def test_global_and_per_channel_days(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[retention]\nanonymize_after_days = 30\n\n"
        '[[channels]]\ntype = "drop"\nname = "webform"\npath = "/x"\nanonymize_after_days = 0\n\n'
        '[[channels]]\ntype = "demo"\nname = "demo"\n',
    )
    config = load_config(path, env={})
    assert config.anonymize_after_days == 30
    assert config.anonymize_days_by_channel() == {"webform": 0.0}


def test_time_zone_from_the_config_beats_tz(tmp_path: Path) -> None:
    path = write(tmp_path, '[stats]\ntimezone = "Europe/Vienna"\n')
    assert load_config(path, env={}).zone() == ZoneInfo("Europe/Vienna")
    assert local_zone(None, env={"TZ": "America/Chicago"}) == ZoneInfo("America/Chicago")
    assert local_zone("UTC", env={"TZ": "America/Chicago"}) == ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[retention]\nanonymize_after_days = -1\n",
            "retention.anonymize_after_days should be between 0 and",
        ),
        ('[retention]\nanonymize_after_days = "soon"\n', "retention.anonymize_after_days"),
        ("[retention]\nkeep = 3\n", "unknown key retention.keep"),
        (
            '[[channels]]\ntype = "demo"\nname = "d"\nanonymize_after_days = -2\n',
            "anonymize_after_days should be between 0 and",
        ),
        ('[stats]\ntimezone = "Mars/Olympus"\n', "not a known time zone"),
        ("[stats]\ntimezone = 1\n", "stats.timezone should be"),
        ('[stats]\nzone = "UTC"\n', "unknown key stats.zone"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path, env={})
    assert expected in str(error.value)
    assert str(path) in str(error.value)
