"""How an adapter declares the options of its ``[[channels]]`` table, and how they are checked.

An adapter lists its options (``Text``, ``Number``, ``Flag``, ``FilePath``);
``read_options`` checks a table against that list and gives back
``Options``, whose values are the right type with the defaults filled in.
A bad value is one ``ConfigError`` sentence naming the file, the channel and
the key, as for every other key of the config.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from askdesk.config import ChannelConfig, NumberRange
from askdesk.errors import ConfigError


@dataclass(frozen=True)
class Option(ABC):
    """One key of a channel's table; ``what`` is said in errors and read in the docs."""

    name: str
    what: str
    required: bool = False

    @abstractmethod
    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable ("should be …"), or None when it is."""

    def convert(self, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Text(Option):
    default: str | None = None
    pattern: str | None = None
    """A regular expression the whole value must match (e.g. an env prefix's shape)."""

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            return f"should be {self.what}, not {value!r}"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"should be {self.what}, not {value!r}"
        return None


@dataclass(frozen=True)
class FilePath(Text):
    """A path; ``~`` is expanded. The file need not exist yet (an outbox is made on first use)."""

    def convert(self, value: Any) -> Path:
        return Path(value).expanduser()


@dataclass(frozen=True)
class Number(Option):
    allowed: NumberRange = field(kw_only=True)
    """The values that make sense: ``nan``, ``inf`` and absurd ones are refused when loaded."""
    default: float | None = None

    def check(self, value: Any) -> str | None:
        # bool is an int to Python but never what a config author meant.
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"should be {self.what}, not {value!r}"
        if not self.allowed.holds(value):
            return f"should be {self.allowed}, not {value!r}"
        return None

    def convert(self, value: Any) -> float:
        return float(value)


@dataclass(frozen=True)
class Flag(Option):
    default: bool = False

    def check(self, value: Any) -> str | None:
        if not isinstance(value, bool):
            return f"should be {self.what}, not {value!r}"
        return None


POLL_SECONDS = NumberRange(1, 24 * 3600, "seconds")


def poll_seconds(default: float) -> Number:
    """The ``poll_seconds`` option every polled channel takes, with its own default."""
    return Number(
        "poll_seconds",
        "seconds between polls (a number > 0)",
        default=default,
        allowed=POLL_SECONDS,
    )


class Options:
    """A channel's checked options: typed getters that fall back to the declared default."""

    def __init__(self, channel: str, declared: Sequence[Option], values: Mapping[str, Any]):
        self.channel = channel
        self._declared = {option.name: option for option in declared}
        self._values = dict(values)

    def _get(self, name: str) -> Any:
        option = self._declared[name]  # a KeyError here is a typo in the adapter, not config
        if name in self._values:
            return self._values[name]
        return getattr(option, "default", None)

    def text(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str):
            raise self._missing(name)
        return value

    def optional_text(self, name: str) -> str | None:
        value = self._get(name)
        return value if isinstance(value, str) else None

    def path(self, name: str) -> Path:
        value = self.optional_path(name)
        if value is None:
            raise self._missing(name)
        return value

    def optional_path(self, name: str) -> Path | None:
        value = self._get(name)
        return value if isinstance(value, Path) else None

    def number(self, name: str) -> float:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._missing(name)
        return float(value)

    def _missing(self, name: str) -> ConfigError:
        # Only reached when an adapter reads an option it declared neither
        # required nor with a default: a slip in the adapter, said plainly.
        return ConfigError(f"channel {self.channel!r} needs {name}: {self._declared[name].what}")

    def flag(self, name: str) -> bool:
        return bool(self._get(name))


def read_options(config: ChannelConfig, declared: Sequence[Option]) -> Options:
    """``config``'s table checked against ``declared``: unknown keys, types, required ones."""
    at = f"{config.where}: " if config.where else ""
    known = {option.name: option for option in declared}
    values: dict[str, Any] = {}
    for key, value in config.options.items():
        option = known.get(key)
        if option is None:
            raise ConfigError(
                f"{at}unknown key {key!r} in channel {config.name!r} "
                f"(a {config.type} channel takes: {', '.join(sorted(known)) or 'nothing else'})"
            )
        problem = option.check(value)
        if problem is not None:
            raise ConfigError(f"{at}channel {config.name!r} {key} {problem}")
        values[key] = option.convert(value)
    for option in declared:
        if option.required and option.name not in values:
            raise ConfigError(f"{at}channel {config.name!r} needs {option.name}: {option.what}")
    return Options(config.name, declared, values)
