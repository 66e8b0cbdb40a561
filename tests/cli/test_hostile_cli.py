"""Every command, fed hostile values in every field: nothing crashes, nothing reaches the terminal.

A relay hands askdesk a message whose id, conversation, url, channel label, author and text
carry markup, escapes, C1 controls and bidi overrides (and one 10,000 characters a field);
staff run it under a hostile name and type hostile reasons, notes and colleagues' names; a
template and the library's name in the config are hostile too. Human-readable output shows
all of it inert; JSON stays exact (JSON escapes control characters itself).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from askdesk.cli import EXIT_BUG, main

CLICK = "[@click=app.quit]"
VALUE = f"[/b] {CLICK}quit[/] \u001b]0;title\u0007 \u001b[2J \u009b31m \u202egnp.exe end"
LONG_VALUE = "W" * 10_000
STAFF = "ana"
"""Staff names from --as or the config are checked (letters, digits, . _ -); a colleague's
name typed into hand-off is not."""
FORBIDDEN = {
    "\u001b": "ESC",
    "\u0007": "BEL",
    "\u0008": "BS",
    "\r": "CR",
    "\u009b": "C1 CSI",
    "\u202e": "RLO",
}
KEY = f"web:{VALUE}"
LONG_KEY = f"web:{LONG_VALUE}"


def drop_line(remote_id: str, value: str, minutes_ago: int) -> str:
    received = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return json.dumps(
        {
            "id": remote_id,
            "author": value,
            "text": value,
            "received_at": received.isoformat(),
            "kind": "direct",
            "conversation": remote_id,
            "url": f"https://example.org/{value}",
            "channel": value,
        }
    )


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (JSON's escapes are TOML's, for these characters)."""
    return json.dumps(value)


class Desk:
    """The commands, run in this process against one temporary store and config."""

    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.store = tmp_path / "desk.json"
        folder = tmp_path / "drop"
        folder.mkdir()
        (folder / "hostile.jsonl").write_text(
            "\n".join([drop_line(VALUE, VALUE, 50), drop_line(LONG_VALUE, LONG_VALUE, 40)])
            + f"\n{VALUE}\n",  # and a line that is not JSON: reported, quoting nothing
            encoding="utf-8",
        )
        # The outbox's folder is a file at first: sends fail until it is taken away.
        self.blocker = tmp_path / "blocked"
        self.blocker.write_text("", encoding="utf-8")
        self.config = tmp_path / "config.toml"
        self.config.write_text(
            f"library = {toml_string(VALUE)}\n\n"
            "[[channels]]\n"
            'type = "drop"\n'
            'name = "web"\n'
            f'path = "{folder}"\n'
            f'outbox = "{self.blocker / "outbox.jsonl"}"\n\n'
            "[[templates]]\n"
            f"name = {toml_string(VALUE)}\n"
            'key = "1"\n'
            f"body = {toml_string('Hello {patron}, ' + VALUE)}\n",
            encoding="utf-8",
        )

    def run(self, *args: str, staff: str = STAFF) -> tuple[int, str, str]:
        code = main(
            [*args, "--store", str(self.store), "--config", str(self.config), "--as", staff]
        )
        out, err = self.capsys.readouterr()
        assert code != EXIT_BUG, f"askdesk {args[0]} crashed: {err}"
        return code, out, err

    def human(self, *args: str, staff: str = STAFF, ok: bool = True) -> str:
        """Run a command whose output is for people; assert it is inert; return stdout."""
        code, out, err = self.run(*args, staff=staff)
        assert (code == 0) is ok, f"askdesk {args[0]} exited {code}: {err}"
        for stream, text in (("stdout", out), ("stderr", err)):
            found = [name for char, name in FORBIDDEN.items() if char in text]
            assert not found, f"{', '.join(found)} reached {stream} from askdesk {args[0]}"
        return out

    def data(self, *args: str) -> object:
        """Run a command whose output is JSON; return it parsed."""
        code, out, err = self.run(*args)
        assert code == 0, err
        assert "\u001b" not in out  # JSON escapes it: \u001b
        return json.loads(out)


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Desk:
    return Desk(tmp_path, capsys)


def test_every_command_shows_hostile_values_inert_and_keeps_json_exact(desk: Desk) -> None:
    out = desk.human("fetch")
    assert "2 new" in out and "skipped" in out

    assert CLICK in desk.human("list")
    listed = desk.data("list", "--format", "json")
    assert isinstance(listed, list)
    assert {r["key"] for r in listed} == {KEY, LONG_KEY}
    record = next(r for r in listed if r["key"] == KEY)
    assert (record["author"], record["text"], record["url"]) == (
        VALUE,
        VALUE,
        f"https://example.org/{VALUE}",
    )

    for key in (KEY, LONG_KEY):
        desk.human("show", key)
        shown = desk.data("show", key, "--format", "json")
        assert isinstance(shown, dict) and shown["key"] == key

    assert CLICK in desk.human("claim", KEY)
    desk.human("release", KEY)
    desk.human("claim", KEY)
    desk.human("note", KEY, VALUE)
    desk.human("flag", KEY, "--reason", VALUE)
    assert CLICK in desk.human("show", KEY)  # the flag and the note
    desk.human("unflag", KEY)
    desk.human("claim", "web:[/b]\u001b[2J", ok=False)  # no such key: said, inert

    # A reply whose send fails (the outbox folder is a file), then the outbox in every form.
    desk.human("reply", KEY, "--text", VALUE, ok=False)
    assert CLICK in desk.human("outbox")
    [waiting] = desk.data("outbox", "--format", "json")  # type: ignore[misc]
    assert waiting["text"] == VALUE and waiting["last_error"]
    desk.human("outbox", "--retry", waiting["reply_id"][:8], ok=False)  # waiting to retry
    desk.human("outbox", "--send")  # nothing due yet
    desk.human("outbox", "--cancel", waiting["reply_id"][:8])
    desk.blocker.unlink()
    desk.human("reply", KEY, "--template", VALUE)

    desk.human("hand", KEY, "--to", VALUE, ok=False)  # nobody of that name yet: said, inert
    assert CLICK in desk.human("hand", KEY, "--to", VALUE, "--new-colleague")
    desk.human("release", KEY, ok=False)  # a colleague's: refused in a sentence naming them
    assert CLICK in desk.human("list")  # the holder

    desk.human("claim", LONG_KEY)
    desk.human("resolve", LONG_KEY, "--type", "research", "--read", "4")
    desk.human("reopen", LONG_KEY)
    desk.human("channels")
    desk.data("channels", "--format", "json")
    assert CLICK in desk.human("templates")
    [template] = desk.data("templates", "--format", "json")  # type: ignore[misc]
    assert template["name"] == VALUE

    desk.human("stats")
    for by in ("staff", "channel"):
        desk.human("stats", "--by", by)
    desk.data("stats", "--format", "json")
    desk.data("export", "--since", "2000-01-01", "--until", "2100-01-01", "--format", "json")
    for data_format in (("stats", "--format", "csv"), ("export", "--since", "2000-01-01")):
        assert desk.run(*data_format)[0] == 0  # CSV is data for a spreadsheet, kept exact

    desk.human("claim", LONG_KEY)
    desk.human("handover", "--keep")
    desk.human("handover", "--to", VALUE, "--note", VALUE, "--save", str(desk.store) + ".txt")
    saved = Path(str(desk.store) + ".txt").read_text(encoding="utf-8")
    assert "\u001b" not in saved and CLICK in saved
    desk.human("handover", "--release-all", "--note", VALUE)
    desk.human("purge", "--dry-run")
    desk.human("purge")


def test_the_command_line_prints_only_through_say() -> None:
    """A structural guard: every line for people goes through ``cli_output.say`` (inert),
    Rich (given ``inert_text``) or JSON; a bare ``print`` would let an escape through."""
    import ast

    import askdesk

    package = Path(askdesk.__file__).parent
    allowed = {("cli_output.py", "say"), ("cli.py", "main")}  # main's: our words, the log path
    found = []
    for path in sorted(package.glob("cli*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "print"
                    and (path.name, function.name) not in allowed
                ):
                    found.append(f"{path.name}:{node.lineno} in {function.name}")
    assert not found, f"print() outside say: {found}"
