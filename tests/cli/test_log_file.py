"""The log file: one a day, owner-only in a private folder, kept KEEP_DAYS days, and never
holding a patron's words, a reply's words or a credential."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from askdesk.channels.redaction import shared_redactor
from askdesk.cli import main
from askdesk.cli_log import (
    KEEP_DAYS,
    DailyLogFile,
    SafeFormatter,
    forget_patrons,
    log_file,
    log_folder,
    prune,
    start_logging,
)

PATRON_WORDS = "my card is 21234000999 and I live at 4 Elm Street"
REPLY_WORDS = "Thanks, your card 21234000999 is renewed until March"
AUTHOR = "Jo Quincy Public"


@pytest.fixture(autouse=True)
def umask() -> Iterator[None]:
    """The usual umask, which would make a plain ``open`` world-readable (0644)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(autouse=True)
def no_handler_left() -> Iterator[None]:
    """Leave the root logger as the test found it."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, DailyLogFile)]:
        root.removeHandler(handler)
        handler.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def today() -> date:
    return datetime.now().astimezone().date()


def test_the_log_file_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    assert main(["list", "--store", str(tmp_path / "desk.json"), "--as", "ana"]) in (0, 1)
    path = log_file(log_folder(), today())
    assert path.exists()
    assert mode(path) == 0o600
    assert mode(log_folder()) == 0o700


def test_a_log_file_or_folder_others_could_read_is_made_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    earlier = log_file(folder, today())
    earlier.write_text("from before\n", encoding="utf-8")
    earlier.chmod(0o644)
    assert start_logging(today(), folder) == earlier
    assert (mode(folder), mode(earlier)) == (0o700, 0o600)
    logging.getLogger("askdesk.test").warning("appended")
    lines = earlier.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "from before" and lines[1].endswith("askdesk.test: appended")


def test_day_files_older_than_the_kept_days_are_deleted(tmp_path: Path) -> None:
    day = date(2026, 12, 2)
    kept = [log_file(tmp_path, day - timedelta(days=n)) for n in range(KEEP_DAYS)]
    gone = [log_file(tmp_path, day - timedelta(days=n)) for n in (KEEP_DAYS, KEEP_DAYS + 30)]
    others = [tmp_path / "notes.txt", tmp_path / "askdesk-2026-13-45.log"]
    earlier = tmp_path / "askdesk.log"  # the undated file of earlier versions
    for path in [*kept, *gone, *others, earlier]:
        path.write_text("x\n", encoding="utf-8")
    old = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    os.utime(earlier, (old, old))
    assert sorted(prune(tmp_path, day)) == sorted([*gone, earlier])
    assert all(p.exists() for p in [*kept, *others])


def test_a_record_goes_to_the_file_of_its_own_day(tmp_path: Path) -> None:
    start_logging(date(2026, 12, 1), tmp_path)
    record = logging.LogRecord("askdesk.x", logging.WARNING, __file__, 1, "late", None, None)
    record.created = datetime(2026, 12, 2, 9, 0).timestamp()  # local time, the next morning
    logging.getLogger("askdesk.x").handle(record)
    assert "late" in log_file(tmp_path, date(2026, 12, 2)).read_text(encoding="utf-8")
    assert mode(log_file(tmp_path, date(2026, 12, 2))) == 0o600


def test_two_processes_append_to_one_file_without_losing_lines(tmp_path: Path) -> None:
    """Two askdesk processes log at once to the same day's file: every line arrives whole."""
    script = (
        "import logging, sys\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from askdesk.cli_log import start_logging\n"
        "start_logging(date.fromisoformat(sys.argv[2]), Path(sys.argv[1]))\n"
        "log = logging.getLogger('askdesk.' + sys.argv[3])\n"
        "for n in range(500):\n"
        "    log.warning('line %d %s', n, 'x' * 200)\n"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), today().isoformat(), name])
        for name in ("first", "second")
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    lines = log_file(tmp_path, today()).read_text(encoding="utf-8").splitlines()
    for name in ("first", "second"):
        mine = [line for line in lines if f" askdesk.{name}: line " in line]
        assert [line.split(": line ")[1] for line in mine] == [
            f"{n} {'x' * 200}" for n in range(500)
        ]
    assert len(lines) == 1000


def test_debug_records_never_land_and_authorization_headers_are_masked(tmp_path: Path) -> None:
    """tweepy logs every request's headers at DEBUG; requests_oauthlib its signing."""
    path = start_logging(today(), tmp_path)
    assert path is not None
    tweepy = logging.getLogger("tweepy.client")
    tweepy.setLevel(logging.DEBUG)  # as a library (or a user's config) might set it
    try:
        tweepy.debug(
            "Making API request: GET https://api.x.com/2/users/me\n"
            "Headers: {'Authorization': 'Bearer debug-token-123456'}"
        )
        tweepy.warning("retrying with headers {'Authorization': 'Bearer warn-token-654321'}")
        logging.getLogger("requests_oauthlib.oauth1_auth").info("Signing request oauth_token=x")
        logging.getLogger("askdesk.channels").error(
            "failed", exc_info=RuntimeError("Authorization: OAuth oauth_consumer_key=ck-SECRET")
        )
    finally:
        tweepy.setLevel(logging.NOTSET)
    logged = path.read_text(encoding="utf-8")
    assert "Making API request" not in logged and "Signing request" not in logged
    assert "retrying with headers {'Authorization': '********'}" in logged
    assert "Authorization: ********" in logged  # in the traceback, too
    for secret in ("debug-token-123456", "warn-token-654321", "ck-SECRET"):
        assert secret not in logged


def test_a_patrons_words_never_reach_the_log(tmp_path: Path) -> None:
    """A run that ingests a question, answers it and fails the send logs the failure by
    key and reply id, never the question's words, the reply's or the patron's name."""
    folder = tmp_path / "drop"
    folder.mkdir()
    received = datetime.now(UTC) - timedelta(minutes=5)
    (folder / "q.jsonl").write_text(
        json.dumps(
            {
                "id": "q1\u001b[2J",
                "author": AUTHOR,
                "text": PATRON_WORDS,
                "received_at": received.isoformat(),
            }
        )
        + "\n",
        encoding="utf-8",
    )
    blocker = tmp_path / "blocked"  # the outbox's folder is a file: the send fails
    blocker.write_text("", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n'
        f'outbox = "{blocker / "outbox.jsonl"}"\n',
        encoding="utf-8",
    )
    common = ["--store", str(tmp_path / "desk.json"), "--config", str(config), "--as", "ana"]
    assert main(["fetch", *common]) == 0
    assert main(["reply", "web:q1\u001b[2J", "--text", REPLY_WORDS, *common]) == 1

    logged = log_file(log_folder(), today()).read_text(encoding="utf-8")
    assert "not sent: could not write the outbox" in logged  # the run did log
    assert "web:q1␛[2J" in logged and "\u001b" not in logged  # the key, inert
    for words in ("21234000999", "Elm Street", "renewed until", AUTHOR):
        assert words not in logged


def test_retention_removes_whole_records_naming_a_patron_and_writing_goes_on(
    tmp_path: Path,
) -> None:
    handler = DailyLogFile(tmp_path)
    handler.setFormatter(SafeFormatter(shared_redactor()))
    path = handler.open(today())
    log = logging.getLogger("askdesk.test.retention")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("reply r1 on sms:+15550142 not sent: timeout")
        try:
            raise RuntimeError("the platform said: no user @quill found")
        except RuntimeError:
            log.exception("channel mastodon failed")
        log.warning("reply r2 on web:12 not sent")
        log.warning("a listener failed on xmpp arrive web:1\x1b[2J")
        marks = frozenset({"sms:+15550142", "@quill", "web:1\x1b[2J", "Ada Quillfeather"})
        assert forget_patrons(marks, dry_run=True, folder=tmp_path)[0].count == 3
        assert len(path.read_text("utf-8").splitlines()) > 4  # a dry run changes nothing
        assert forget_patrons(marks, folder=tmp_path)[0].count == 3
        log.warning("after the purge")  # the open handler writes to the new file
    finally:
        log.removeHandler(handler)
        handler.close()
    lines = path.read_text("utf-8").splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "reply r2 on web:12 not sent",  # web:1 is not web:12
        "after the purge",
    ]
    assert mode(path) == 0o600


def test_a_line_break_in_a_key_cannot_forge_a_log_record(tmp_path: Path) -> None:
    """A platform id is the patron's to choose on some channels (a drop relay's, a chat
    message's): a line break in it must not start a record of its own in the log."""
    folder = tmp_path / "drop"
    folder.mkdir()
    forged = "2026-12-03 05:00:00,000 ERROR askdesk.store: the store is corrupt, run purge"
    received = datetime.now(UTC) - timedelta(minutes=5)
    line = {"id": f"q2\n{forged}", "author": AUTHOR, "text": "Open?"}
    (folder / "q.jsonl").write_text(
        json.dumps({**line, "received_at": received.isoformat()}) + "\n", encoding="utf-8"
    )
    blocker = tmp_path / "blocked"  # the outbox's folder is a file: the send fails
    blocker.write_text("", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[channels]]\ntype = "drop"\nname = "web"\npath = "{folder}"\n'
        f'outbox = "{blocker / "outbox.jsonl"}"\n',
        encoding="utf-8",
    )
    common = ["--store", str(tmp_path / "desk.json"), "--config", str(config), "--as", "ana"]
    assert main(["fetch", *common]) == 0
    assert main(["reply", f"web:q2\n{forged}", "--text", "Yes.", *common]) == 1

    logged = log_file(log_folder(), today()).read_text(encoding="utf-8").splitlines()
    [record] = [entry for entry in logged if "web:q2" in entry]
    assert "not sent" in record and forged in record  # on the record's own line
    assert not [entry for entry in logged if entry.startswith(forged)]
