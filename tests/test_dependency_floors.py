"""The lowest versions pyproject.toml allows are ones the code works with.

Each floor here was checked by installing exactly those versions in a fresh
virtual environment and running the suite; the reasons say what the code
needs from them, so lowering a floor in pyproject.toml fails here first.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

NEEDED = {
    "tweepy": ((4, 17), "TooManyRequests.reset_time, read to wait out a rate limit"),
    "rich": ((14, 2), "what textual 8.2.8 requires"),
    "orjson": ((3, 9), "the lowest version the suite was run with"),
    "filelock": ((3, 13), "the lowest version the suite was run with"),
    "platformdirs": ((4, 0), "the lowest version the suite was run with"),
    "twitter-text-parser": ((3, 0), "the lowest version the suite was run with"),
    "regex": ((2023, 0), "resolves to 2023.3.22, the lowest the suite was run with"),
}


def floors() -> dict[str, tuple[int, ...]]:
    pyproject = Path(__file__).parents[1] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    found: dict[str, tuple[int, ...]] = {}
    for requirement in dependencies:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(?:>=|==)\s*([\d.]+)", requirement)
        if match:
            found[match[1]] = tuple(int(part) for part in match[2].split("."))
    return found


def test_every_floor_is_at_least_what_the_code_needs() -> None:
    declared = floors()
    for package, (needed, why) in NEEDED.items():
        assert declared[package] >= needed, f"{package} needs {needed}: {why}"


def test_the_installed_tweepy_has_what_the_floor_promises() -> None:
    from tweepy.errors import TooManyRequests

    assert "reset_time" in TooManyRequests.__init__.__code__.co_names
