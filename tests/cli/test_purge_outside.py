"""askdesk purge also cleans what askdesk keeps outside the store, and prints no keys."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from askdesk.cli import main
from askdesk.cli_log import DailyLogFile, log_file, log_folder

PHONE = "+15550142999"
"""The patron's number: the SMS gateway's thread id, so part of the conversation's key."""
KEY = f"sms:{PHONE}"


@pytest.fixture(autouse=True)
def no_handler_left() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, DailyLogFile)]:
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def desk_files(tmp_path: Path) -> tuple[list[str], Path, Path]:
    """A drop folder "sms" fed by a gateway; one question answered and resolved."""
    folder = tmp_path / "drop"
    folder.mkdir()
    asked = datetime.now(UTC) - timedelta(minutes=5)
    line = {
        "id": "m1",
        "author": PHONE,
        "text": "Is my hold in?",
        "received_at": asked.isoformat(),
        "conversation": PHONE,
    }
    (folder / "gateway.jsonl").write_text(json.dumps(line) + "\n", "utf-8")
    outbox = tmp_path / "sent.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[channels]]\ntype = "drop"\nname = "sms"\npath = "{folder}"\n'
        f'outbox = "{outbox}"\nanonymize_after_days = 0\n',
        "utf-8",
    )
    common = ["--store", str(tmp_path / "desk.json"), "--config", str(config), "--as", "ana"]
    assert main(["fetch", *common]) == 0
    assert main(["reply", KEY, "--text", "Yes, it is in", *common]) == 0
    assert main(["resolve", KEY, "--type", "policy", "--read", "1", *common]) == 0
    logging.getLogger("askdesk.desk.outbox").warning("reply r1 on %s not sent: timeout", KEY)
    logging.getLogger("askdesk.desk.sync").warning("channel web failed")
    # A line another reply wrote a month ago stays only if the window says so: it is
    # older than this channel's window (0 days), like everything sent before now.
    old = {"reply_id": "r0", "conversation": "sms:+1555000", "sent_at": "2026-01-01T00:00:00+00:00"}
    with open(outbox, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(old) + "\n")
    return common, folder, outbox


def test_a_dry_run_counts_and_ages_without_keys(
    desk_files: tuple[list[str], Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    common, folder, outbox = desk_files
    capsys.readouterr()
    assert main(["purge", "--dry-run", *common]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "would anonymize 1 conversation (sms 1)",
        "  resolved 0 days ago",
        "would remove 1 processed files of drop folder sms",
        "would remove 2 reply lines of drop outbox sms",
        "would remove 1 log records naming a patron",
    ]
    assert PHONE not in out and "m1" not in out
    assert (folder / "gateway.jsonl").exists() and len(outbox.read_text("utf-8").splitlines()) == 2
    assert main(["purge", "--dry-run", "--verbose", *common]) == 0
    assert f"  {KEY}" in capsys.readouterr().out.splitlines()


def test_purge_removes_the_files_outbox_lines_and_log_records(
    desk_files: tuple[list[str], Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    common, folder, outbox = desk_files
    logged = log_file(log_folder(), datetime.now().astimezone().date())
    assert PHONE in logged.read_text("utf-8")  # the test would prove nothing otherwise
    capsys.readouterr()
    assert main(["purge", *common]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "anonymized 1 conversation (sms 1)"
    assert "removed 1 log records naming a patron" in out and PHONE not in out
    assert not (folder / "gateway.jsonl").exists()
    assert outbox.read_text("utf-8") == ""
    text = logged.read_text("utf-8")
    assert PHONE not in text
    assert "channel web failed" in text  # a record naming no patron stays
    logging.getLogger("askdesk").warning("after the purge")
    assert "after the purge" in logged.read_text("utf-8")  # the open handler writes on
