"""Which Bluesky credential a bluesky channel uses: an app password, never the account's own.

The value comes through the shared helper (``channels.credentials``): the
environment under the channel's ``env_prefix``, else its ``secrets_file``.
"""

from __future__ import annotations

import re

from askdesk.channels.credentials import Secrets
from askdesk.errors import ConfigError

DEFAULT_PREFIX = "ASKDESK_BLUESKY_"
APP_PASSWORD = "APP_PASSWORD"
NAMES = (APP_PASSWORD,)
"""Every name a bluesky channel looks up under its prefix."""

_APP_PASSWORD = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}")
"""How Bluesky writes the app passwords it makes: four groups of four (abcd-efgh-2345-wxyz)."""

HOW_TO = "Settings → Privacy and security → App passwords"


def app_password(secrets: Secrets, channel: str) -> str:
    """The app password ``secrets`` holds; refused, saying why, when it is unset or not one.

    A value not shaped like an app password is most likely the account's
    own password, which can change the account's email, handle and
    password: askdesk will not hold it.
    """
    value = secrets.get(APP_PASSWORD)
    variable = secrets.variable(APP_PASSWORD)
    if value is None:
        raise ConfigError(
            f"channel {channel!r} needs a Bluesky app password in {variable} "
            f"(in {secrets.source}); make one under {HOW_TO}"
        )
    if not _APP_PASSWORD.fullmatch(value.lower()):
        raise ConfigError(
            f"channel {channel!r}: {variable} does not look like an app password "
            "(four groups of four letters and digits, such as abcd-efgh-2345-wxyz); askdesk "
            f"takes an app password, never the account's own password: make one under {HOW_TO}"
        )
    return value
