"""Channel credentials from the environment or an owner-only secrets file, kept out of logs.

DESIGN.md: tokens come from the environment or a file readable only by its
owner, and never reach the store, the logs or the screen. Every error here
names the file, the line or the variable, never a value.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

from askdesk.errors import ConfigError

MAX_SECRETS_BYTES = 64 * 1024
"""A secrets file holds a few tokens; anything bigger is not one."""

MASK = "********"

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


# -- logs -------------------------------------------------------------------------------

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A header, however it is printed: "'Authorization': 'OAuth ...'" in a dict, or a raw line.
    (re.compile(r"(authorization'\s*:\s*')[^']+", re.IGNORECASE), r"\1" + MASK),
    (re.compile(r'(authorization"\s*:\s*")[^"]+', re.IGNORECASE), r"\1" + MASK),
    (re.compile(r"(authorization:[ \t]*)[^\r\n]+", re.IGNORECASE), r"\1" + MASK),
    (re.compile(r"(Bearer\s+)[\w\-.~+/=%]+"), r"\1" + MASK),
    # OAuth 1.0a parameters as oauthlib logs them: key=value, ('key', 'value'), base strings.
    (
        re.compile(
            r"""(oauth_(?:consumer_key|token|signature|verifier)"""
            r"""(?:=|%3D|%253D|['"],\s*['"])"?)[^&%,'"\s)]+"""
        ),
        r"\1" + MASK,
    ),
    # oauthlib's "Signature: …" line: one request's signature, useless to keep.
    (re.compile(r"^(Signature:\s*)\S+$"), r"\1" + MASK),
)


class RedactSecrets(logging.Filter):
    """Masks credentials in every record of the loggers it guards (toot's ``censor_secrets``).

    Known values are masked wherever they appear, plain or percent-encoded;
    ``Authorization`` headers and OAuth parameters are masked by shape, so a
    token this process never loaded is hidden too.
    """

    def __init__(self) -> None:
        super().__init__()
        self._values: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        for value in values:
            if len(value) < 4:
                continue  # too short to be a credential; masking it would mangle text
            self._values.update({value, quote(value, safe=""), quote(quote(value, safe=""))})

    def redact(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: logging reports it; nothing of ours to mask
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_REDACTOR = RedactSecrets()


def guard_logs(values: Iterable[str], loggers: Iterable[str]) -> RedactSecrets:
    """Mask ``values`` (and anything shaped like a credential) in what ``loggers`` write.

    A logger's filters only see the records logged on that very logger, not
    those of its children, so callers name each logger that writes requests.
    """
    _REDACTOR.add(values)
    for name in loggers:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
    return _REDACTOR
