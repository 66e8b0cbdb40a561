"""A command that reaches no channel does not import the platforms' code.

``askdesk stats`` over 100,000 conversations on PostgreSQL must take under a
second, and importing every platform adapter (Mastodon, Bluesky, email…) to
parse the command line and check a config that names none of them was a third
of it. Checked in a fresh interpreter, as a command starts.
"""

from __future__ import annotations

import subprocess
import sys

PLATFORMS = ("bluesky", "demo", "email", "facebook", "mastodon", "twitter", "xmpp")

PROBE = """
import sys
from askdesk import cli
from askdesk.config import ChannelConfig
from askdesk.desk.settings import check_config
from askdesk.config import Config

cli.build_parser().parse_args(["stats", "--format", "json"])
import askdesk.cli_stats
import askdesk.store.postgres_store
check_config(Config(channels=(ChannelConfig(type="drop", name="web", options={"path": "."}),)))
print(" ".join(sorted(sys.modules)))
"""


def imported_modules() -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def test_stats_with_one_channel_configured_imports_no_other_platform() -> None:
    imported = imported_modules()
    assert "askdesk.channels.drop" in imported  # the configured one is checked
    assert {f"askdesk.channels.{p}" for p in PLATFORMS} & imported == set()


def test_masking_a_number_does_not_load_the_sms_channel() -> None:
    """The desk's lists mask texters' numbers (``channels.sms.numbers``); that must not
    bring in the SMS channel, its Twilio client and the email parser it uses."""
    imported = imported_modules()
    assert "askdesk.channels.sms.numbers" in imported
    assert {"askdesk.channels.sms.channel", "askdesk.channels.sms.twilio"} & imported == set()


def test_stats_on_a_postgresql_store_does_not_load_tinydb() -> None:
    """Nor TinyDB and its file locks (``filelock`` alone was 0.03 s of the start)."""
    imported = imported_modules()
    assert {"askdesk.store.tinydb_store", "tinydb", "filelock"} & imported == set()


def test_every_type_still_has_its_adapter() -> None:
    from askdesk.channels.registry import ADAPTERS

    assert {kind: adapter.type for kind, adapter in ADAPTERS.items()} == {
        kind: kind for kind in ADAPTERS
    }


def test_checking_the_config_does_not_load_the_grapheme_counter() -> None:
    """``regex`` (Bluesky's and Mastodon's grapheme counts) loads when a reply is measured."""
    assert "regex" not in imported_modules()


def test_stats_as_json_does_not_load_richs_console() -> None:
    """Rich's console and tables are for the tables ``stats`` prints, not for its JSON."""
    assert {"rich.console", "rich.table"} & imported_modules() == set()
