"""The one Mastodon credential: an access token made under Preferences → Development.

It comes through the shared helper (``channels.credentials``): the
environment under the channel's ``env_prefix``, else its ``secrets_file``.
"""

from __future__ import annotations

from askdesk.channels.credentials import Secrets
from askdesk.errors import ConfigError

DEFAULT_PREFIX = "ASKDESK_MASTODON_"
ACCESS_TOKEN = "ACCESS_TOKEN"
NAMES = (ACCESS_TOKEN,)
SCOPES = "read:notifications read:statuses write:statuses"
"""What the token must be allowed: read mentions, read threads, post replies."""


def access_token(secrets: Secrets, channel: str) -> str:
    """The token ``secrets`` holds; a ``ConfigError`` saying where to put one otherwise."""
    token = secrets.get(ACCESS_TOKEN)
    if token is None:
        raise ConfigError(
            f"channel {channel!r} needs {secrets.variable(ACCESS_TOKEN)} in {secrets.source}: "
            f"an access token with the scopes {SCOPES} "
            "(Preferences → Development → New application on the instance)"
        )
    return token
