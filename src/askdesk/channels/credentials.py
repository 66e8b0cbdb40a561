"""Channel credentials from the environment or an owner-only secrets file: one helper for all.

DESIGN.md: tokens come from the environment or a file readable only by its
owner, and never reach the store, the logs or the screen. An adapter lists
``credential_options(prefix)`` among its options and calls ``load_secrets``
with the names it needs (``PASSWORD``, ``ACCESS_TOKEN``); every error here
names the file, the line or the variable, never a value.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from askdesk.channels.options import FilePath, Options, Text
from askdesk.errors import ConfigError

MAX_SECRETS_BYTES = 64 * 1024
"""A secrets file holds a few tokens; anything bigger is not one."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_secrets_file(path: Path) -> dict[str, str]:
    """``NAME -> value`` from ``path``, refused unless only its owner can open it.

    A file ending in ``.toml`` is TOML with string values at the top level;
    any other file has one ``NAME=value`` per line (``#`` comments, an
    optional ``export``, values optionally in quotes), as for a shell or
    systemd's ``EnvironmentFile``.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError as error:
        raise ConfigError(f"secrets file {path} does not exist") from error
    except OSError as error:
        raise ConfigError(f"cannot read secrets file {path}: {error.strerror or error}") from error
    with os.fdopen(fd, "rb") as handle:
        # fstat on the open file: the mode checked is the mode of what is read.
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(f"secrets file {path} is not a regular file")
        if os.name == "posix" and mode & 0o077:
            who = "read" if mode & 0o044 else "changed"
            raise ConfigError(
                f"secrets file {path} can be {who} by other users "
                f"(mode {stat.S_IMODE(mode):04o}); askdesk uses it only when just its owner "
                f"can: chmod 600 {path}"
            )
        raw = handle.read(MAX_SECRETS_BYTES + 1)
    if len(raw) > MAX_SECRETS_BYTES:
        raise ConfigError(f"secrets file {path} is over {MAX_SECRETS_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8").removeprefix("\N{BYTE ORDER MARK}")
    except UnicodeDecodeError as error:
        raise ConfigError(f"secrets file {path} is not UTF-8 text") from error
    if path.suffix.lower() == ".toml":
        return _toml_secrets(text, path)
    return _line_secrets(text, path)


def _toml_secrets(text: str, path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message names a line and column, never the text there.
        raise ConfigError(f"secrets file {path}: not valid TOML ({error})") from error
    values: dict[str, str] = {}
    for name, value in data.items():
        if not isinstance(value, str):
            raise ConfigError(f'secrets file {path}: {name} should be a string in quotes ("...")')
        values[name] = value
    return values


def _line_secrets(text: str, path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, equals, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not _NAME.fullmatch(name):
            raise ConfigError(f"secrets file {path}, line {number}: expected NAME=value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name] = value
    return values


def lookup(
    names: Iterable[str], env: Mapping[str, str], file_values: Mapping[str, str]
) -> dict[str, str | None]:
    """Each name's value: the environment first, then the secrets file; blank counts as unset."""
    found: dict[str, str | None] = {}
    for name in names:
        value = env.get(name) or file_values.get(name) or ""
        found[name] = value.strip() or None
    return found


ENV_PREFIX = r"[A-Z][A-Z0-9_]*"
"""What an environment prefix looks like: capital letters, digits and ``_``."""


def credential_options(default_prefix: str) -> tuple[Text, FilePath]:
    """``env_prefix`` and ``secrets_file``: the two options of every channel that logs in."""
    return (
        Text(
            "env_prefix",
            f'the prefix of the credential variables (capital letters, digits and "_", '
            f'such as "{default_prefix}BRANCH_")',
            default=default_prefix,
            pattern=ENV_PREFIX,
        ),
        FilePath(
            "secrets_file", "a file of credentials that only its owner can read (a string path)"
        ),
    )


@dataclass(frozen=True)
class Secrets:
    """One channel's credentials by short name (``PASSWORD``); values never appear in a repr."""

    prefix: str
    values: Mapping[str, str | None] = field(repr=False)
    source: str
    """Where they were looked for, for error messages: never a value."""

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def variable(self, name: str) -> str:
        """The environment variable (and secrets file line) that holds ``name``."""
        return self.prefix + name

    def found(self) -> list[str]:
        """Every value that is set: what ``guard_logs`` must mask."""
        return [value for value in self.values.values() if value]


def load_secrets(
    options: Options, names: Sequence[str], env: Mapping[str, str] | None = None
) -> Secrets:
    """``names`` under the channel's ``env_prefix``: the environment first, then ``secrets_file``.

    A name that is set nowhere is ``None``; the adapter decides which sets of
    names are enough and says what is missing with ``Secrets.variable``.
    """
    return read_secrets(
        options.text("env_prefix"), names, options.optional_path("secrets_file"), env
    )


def read_secrets(
    prefix: str,
    names: Sequence[str],
    secrets_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Secrets:
    """``load_secrets`` for a caller that has the prefix and file already (tests, scripts)."""
    env = os.environ if env is None else env
    file_values = read_secrets_file(secrets_file) if secrets_file is not None else {}
    source = f"the environment or {secrets_file}" if secrets_file else "the environment"
    found = lookup([prefix + name for name in names], env, file_values)
    return Secrets(prefix, {name: found[prefix + name] for name in names}, source)
