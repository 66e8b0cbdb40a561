"""Faults of the TinyDB store's files are one sentence each: path, what to do, exit 1, no write.

Real files, a real named pipe, a real read-only folder (as another user when
the tests run as root, who may write anywhere) and real processes: a lock
holder that stays, a writer killed mid-write.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from askdesk.cli import main
from askdesk.errors import StoreError
from askdesk.model import Outcome, QuestionType
from askdesk.model import transitions as t
from askdesk.store import TinyDBStore, tinydb_store
from askdesk.store.base import Change
from tests.store.storekit import make_message

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` and what it holds, to show that nothing was written."""
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.rglob("*")):
        key = str(p.relative_to(folder))
        if p.is_symlink():
            out[key] = "-> " + os.readlink(p)
        elif p.is_file():
            out[key] = p.read_bytes()
        else:
            out[key] = "folder" if p.is_dir() else "other"
    return out


def cli(capsys: pytest.CaptureFixture[str], store: Path, *args: str) -> tuple[int, str]:
    code = main([*args, "--store", str(store), "--as", "ana"])
    return code, capsys.readouterr().err


def one_sentence(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("askdesk: ")
    return lines[0]


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A store with one new conversation, closed again."""
    path = tmp_path / "desk.json"
    store = TinyDBStore(path)
    store.ingest([make_message("q1")], AT)
    store.close()
    return path


# -- the store path is a named pipe ---------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["claim", "demo:q1"], ["stats"]])
def test_a_fifo_as_the_store_is_refused_at_once(tmp_path: Path, command: list[str]) -> None:
    """Opening a FIFO for reading waited for a writer for ever: ``askdesk list`` hung."""
    fifo = tmp_path / "desk.json"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "askdesk", *command, "--store", str(fifo), "--as", "ana"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stderr
    sentence = one_sentence(done.stderr)
    assert str(fifo) in sentence
    assert "named pipe" in sentence and "--store" in sentence
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desk.json"]  # nothing written


# -- the lock path ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["folder", "dangling link", "link to a file"])
def test_a_lock_path_that_is_no_plain_file_is_refused(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    lock = filled.with_name(filled.name + ".lock")
    lock.unlink(missing_ok=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if kind == "folder":
        lock.mkdir()
    elif kind == "dangling link":
        lock.symlink_to(elsewhere / "made-through-the-link")
    else:
        (elsewhere / "victim").write_text("someone's file\n")
        lock.symlink_to(elsewhere / "victim")
    before = snapshot(tmp_path)

    code, err = cli(capsys, filled, "claim", "demo:q1")

    assert code == 1
    sentence = one_sentence(err)
    assert str(lock) in sentence and "remove" in sentence
    assert snapshot(tmp_path) == before  # no claim, no file made through the link


# -- a folder askdesk may not write in -------------------------------------------------


@pytest.fixture
def read_only_store() -> Iterator[tuple[Path, dict[str, str], str | None]]:
    """A store in a folder the askdesk process may read but not write.

    Root may write in any folder, so as root the process runs as ``nobody``;
    the folder lives outside pytest's private temp folder, where ``nobody``
    can reach it.
    """
    user = "nobody" if os.geteuid() == 0 else None
    top = Path(tempfile.mkdtemp(prefix="askdesk-ro-"))
    try:
        top.chmod(0o755)
        home = top / "home"
        home.mkdir()
        home.chmod(0o777)
        folder = top / "store"
        folder.mkdir()
        store = TinyDBStore(folder / "desk.json")
        store.ingest([make_message("q1")], AT)
        store.close()
        for p in folder.iterdir():
            p.chmod(0o644)
        folder.chmod(0o555)
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
        }
        yield folder / "desk.json", env, user
    finally:
        (top / "store").chmod(0o755)
        shutil.rmtree(top)


@pytest.mark.parametrize("command", [["claim", "demo:q1"], ["fetch"], ["note", "demo:q1", "hi"]])
def test_a_read_only_store_folder_is_one_sentence(
    read_only_store: tuple[Path, dict[str, str], str | None], command: list[str]
) -> None:
    store, env, user = read_only_store
    before = snapshot(store.parent)

    def askdesk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "askdesk", *args, "--store", str(store), "--as", "ana"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env=env,
            user=user,
        )

    done = askdesk(*command)
    assert done.returncode == 1, done.stderr
    sentence = one_sentence(done.stderr)
    assert f"cannot write in the store folder {store.parent}" in sentence
    assert "write access" in sentence and "--store" in sentence
    assert snapshot(store.parent) == before
    # Reading needs no write: the list still works.
    listed = askdesk("list")
    assert listed.returncode == 0 and "demo:q1" in listed.stdout


# -- malformed records name their file ---------------------------------------------------


@pytest.fixture
def archived(tmp_path: Path) -> Path:
    """One conversation archived in 2024-03, one resolved recently (in the recent file)."""
    path = tmp_path / "desk.json"
    store = TinyDBStore(path)
    old = datetime(2024, 3, 10, tzinfo=UTC)
    store.ingest([make_message("old", received_at=old), make_message("recent")], old)

    def resolved(at: datetime) -> Change:
        return lambda c: t.resolve(c, "alice", at, Outcome.ANSWERED, QuestionType.OTHER, 1)

    store.update("demo:old", resolved(old))
    assert store.archive_resolved(datetime(2024, 5, 1, tzinfo=UTC)) == 1
    store.update("demo:recent", resolved(AT))
    store.close()
    return path


BREAKAGES = {
    "not an object": lambda doc: "garbage",
    "no key": lambda doc: {k: v for k, v in doc.items() if k != "key"},
    "messages not a list": lambda doc: {**doc, "messages": 5},
    "unknown status": lambda doc: {**doc, "status": "maybe"},
    "resolve time not a time": lambda doc: {
        **doc,
        "resolutions": [{**doc["resolutions"][0], "at": "yesterday"}],
    },
}


ARCHIVE_CASES = [
    (breakage, command)
    for breakage in BREAKAGES
    for command in (["stats"], ["export"], ["show", "demo:old"], ["purge"])
    # purge decodes only what is resolved: a record of no known status is not its to touch
    if not (command == ["purge"] and breakage == "unknown status")
]


@pytest.mark.parametrize(("breakage", "command"), ARCHIVE_CASES)
def test_a_malformed_record_in_an_archive_month_names_the_month(
    archived: Path, capsys: pytest.CaptureFixture[str], breakage: str, command: list[str]
) -> None:
    """Before: exit 70 (a traceback in the log) for a record that was not an object."""
    month = archived.parent / "desk.archive" / "2024-03.json"
    docs = json.loads(month.read_bytes())
    docs["demo:old"] = BREAKAGES[breakage](docs["demo:old"])
    month.write_text(json.dumps(docs))
    # purge anonymizes what it can read (the hot files, month by month) and
    # stops at the month it cannot: that month and the index stay as they were.
    untouched = month.parent if command == ["purge"] else archived.parent
    before = snapshot(untouched)

    code, err = cli(capsys, archived, *command)

    assert code == 1
    sentence = one_sentence(err)
    assert f"the archive file {month} holds a malformed" in sentence
    assert "restore it from a backup" in sentence
    assert snapshot(untouched) == before


@pytest.mark.parametrize("command", [["list"], ["stats"], ["claim", "demo:q9"]])
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_malformed_record_in_the_recent_file_names_the_recent_file(
    archived: Path, capsys: pytest.CaptureFixture[str], breakage: str, command: list[str]
) -> None:
    """Before: reported as the live file's, or as 'desk.json or desk.recent.json'."""
    recent = archived.with_name("desk.recent.json")
    data = json.loads(recent.read_bytes())
    (doc_id,) = data["conversations"]
    data["conversations"][doc_id] = BREAKAGES[breakage](data["conversations"][doc_id])
    recent.write_text(json.dumps(data))
    before = snapshot(archived.parent)

    code, err = cli(capsys, archived, *command)

    assert code == 1
    sentence = one_sentence(err)
    assert f"the askdesk store {recent} holds a malformed" in sentence
    assert f"{archived} " not in sentence  # not the live file's name
    assert snapshot(archived.parent) == before


# -- a lock that is held ------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from askdesk.store import TinyDBStore

    def hold(conversation):
        print("holding", flush=True)
        sys.stdin.readline()  # until the test says so
        return conversation

    TinyDBStore(sys.argv[1]).update("demo:q1", hold)
    """
)


def test_a_lock_timeout_names_the_live_holder_and_never_says_delete(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(filled)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        monkeypatch.setattr(tinydb_store, "LOCK_TIMEOUT_S", 0.3)
        waiting = TinyDBStore(filled)
        with pytest.raises(StoreError) as error:
            waiting.update("demo:q1", lambda c: t.claim(c, "ana", AT))
        message = str(error.value)
        assert f"askdesk process {holder.pid} on this computer" in message
        assert "still running" in message and str(filled) in message
        assert "delete" not in message.lower()
    finally:
        assert holder.stdin is not None
        holder.stdin.close()  # let it finish its write
        holder.wait(timeout=30)
    # Its write went through; the lock is free again.
    assert waiting.update("demo:q1", lambda c: t.claim(c, "ana", AT)).holder == "ana"


# -- a writer killed mid-write --------------------------------------------------------------

KILLED_MID_WRITE = textwrap.dedent(
    """
    import os, sys, time
    from datetime import UTC, datetime
    from askdesk.model import transitions
    from askdesk.store import TinyDBStore

    store = TinyDBStore(sys.argv[1])
    def stall(src, dst):  # the temporary file is written and synced: stop before the rename
        print("written", flush=True)
        time.sleep(120)

    os.replace = stall
    store.update("demo:q1", lambda c: transitions.claim(c, "bo", datetime.now(UTC)))
    """
)


def test_temporary_files_of_writers_killed_mid_write_are_swept_on_the_next_write(
    filled: Path,
) -> None:
    before = filled.read_bytes()
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_WRITE, str(filled)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "written\n"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    left = [p for p in filled.parent.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1 and f".{writer.pid}." in left[0].name
    assert filled.read_bytes() == before  # the store itself is whole
    # Look-alikes that are not a dead writer's stay: a live process's, other names.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        live_one = left[0].with_name(left[0].name.replace(f".{writer.pid}.", f".{sleeper.pid}."))
        live_one.write_bytes(b"{}")
        other = filled.parent / "notes.tmp"
        other.write_text("mine")

        store = TinyDBStore(filled)
        store.update("demo:q1", lambda c: t.claim(c, "ana", AT))

        names = sorted(p.name for p in filled.parent.iterdir() if p.name.endswith(".tmp"))
        assert names == sorted([live_one.name, other.name])
    finally:
        sleeper.kill()
        sleeper.wait(timeout=30)
    assert TinyDBStore(filled).get("demo:q1") is not None
