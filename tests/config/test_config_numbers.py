"""Every number in the config is checked when it is loaded: one sentence with the key and its range.

TOML reads ``nan``, ``inf`` and ``-inf`` as numbers. Before, ``nan`` passed
every ``<= 0`` check and ``1e300`` days overflowed the date arithmetic of the
first purge, far from the file that caused it. askdesk's own keys are checked
by ``load_config``; each channel's options by its adapter when askdesk starts
(``check_config``, which every command runs before anything else).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from askdesk.channels.options import Number
from askdesk.channels.registry import ADAPTERS
from askdesk.config import NUMBER_RANGES, NumberRange, load_config
from askdesk.desk.settings import check_config
from askdesk.errors import ConfigError

BAD = ["nan", "inf", "-inf", "-1", "1e300"]

CHANNEL_HEAD = {
    "bluesky": 'type = "bluesky"\nname = "bsky"\nhandle = "library.bsky.social"\n',
    "demo": 'type = "demo"\nname = "practice"\n',
    "drop": 'type = "drop"\nname = "webform"\npath = "/srv/drop"\n',
    "email": (
        'type = "email"\nname = "mail"\naddress = "ask@library.example.org"\n'
        'imap_host = "imap.library.example.org"\nsmtp_host = "smtp.library.example.org"\n'
    ),
    "facebook": 'type = "facebook"\nname = "fb"\npage_id = "104523987654321"\n',
    "mastodon": 'type = "mastodon"\nname = "m"\ninstance = "https://mastodon.social"\n',
    "sms": 'type = "sms"\nname = "text"\nnumber = "+15555550100"\n',
    "twitter": 'type = "twitter"\nname = "x"\n',
    "xmpp": 'type = "xmpp"\nname = "chat"\njid = "ask@library.example.org"\n',
}


def _channel_numbers() -> list[tuple[str, str, str, NumberRange]]:
    found = []
    for kind, adapter in sorted(ADAPTERS.items()):
        for option in adapter.options:
            if isinstance(option, Number):
                found.append(
                    (
                        f"{kind}-{option.name}",
                        f"[[channels]]\n{CHANNEL_HEAD[kind]}{option.name} = {{}}\n",
                        option.name,
                        option.allowed,
                    )
                )
    return found


NUMBER_KEYS = [
    *(
        (key, f"[{key.partition('.')[0]}]\n{key.partition('.')[2]} = {{}}\n", key, allowed)
        for key, allowed in NUMBER_RANGES.items()
    ),
    (
        "channel-anonymize_after_days",
        '[[channels]]\ntype = "demo"\nname = "d"\nanonymize_after_days = {}\n',
        "channel 'd' anonymize_after_days",
        NUMBER_RANGES["retention.anonymize_after_days"],
    ),
    *_channel_numbers(),
]


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    check_config(load_config(path, env={}))


def test_every_channel_type_is_covered() -> None:
    assert set(CHANNEL_HEAD) == set(ADAPTERS)
    assert {"demo-poll_seconds", "drop-poll_seconds", "twitter-poll_seconds"} <= {
        k[0] for k in _channel_numbers()
    }


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    ("template", "label", "allowed"), [k[1:] for k in NUMBER_KEYS], ids=[k[0] for k in NUMBER_KEYS]
)
def test_out_of_range_numbers_are_refused_with_key_and_range(
    tmp_path: Path, template: str, label: str, allowed: NumberRange, value: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, template.format(value))
    message = str(error.value)
    assert label in message
    assert str(allowed) in message  # e.g. "between 0 and 365 days"
    assert str(tmp_path / "config.toml") in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[desk]\ntarget_minutes = nan\n",
            "desk.target_minutes should be more than 0 and at most 10080 minutes, not nan",
        ),
        (
            '[[channels]]\ntype = "drop"\nname = "webform"\npath = "/x"\npoll_seconds = inf\n',
            "channel 'webform' poll_seconds should be between 1 and 86400 seconds, not inf",
        ),
    ],
)
def test_the_message_is_one_plain_sentence(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, text)
    assert str(error.value) == f"{tmp_path / 'config.toml'}: {expected}"


@pytest.mark.parametrize(
    "text",
    [
        "[desk]\ntarget_minutes = 0.5\nhot_days = 0\nrefresh_seconds = 0.1\n",
        "[desk]\ntarget_minutes = 10080\nhot_days = 365\nrefresh_seconds = 60\n",
        "[retention]\nanonymize_after_days = 0\n",
        "[retention]\nanonymize_after_days = 36500\n",
        '[[channels]]\ntype = "demo"\nname = "d"\npoll_seconds = 1\ninterval_seconds = 0.5\n',
        '[[channels]]\ntype = "twitter"\nname = "x"\npoll_seconds = 86400\nbackfill_hours = 720\n',
    ],
)
def test_the_ends_of_each_range_are_allowed(tmp_path: Path, text: str) -> None:
    load(tmp_path, text)
