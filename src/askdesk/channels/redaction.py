"""Credentials masked in every log line of the loggers an adapter names (toot's ``censor_secrets``).

DESIGN.md: tokens never reach the logs. Known values are masked wherever they
appear; ``Authorization`` headers and OAuth parameters are masked by shape.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "********"

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


def shared_redactor() -> RedactSecrets:
    """The one redactor every adapter adds its credentials to, for the log file's formatter."""
    return _REDACTOR


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
