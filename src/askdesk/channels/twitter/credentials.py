"""Which X credentials a twitter channel uses: OAuth 1.0a's four values, or an OAuth 2.0 token.

The values come through the shared helper (``channels.credentials``): the
environment under the channel's ``env_prefix``, else its ``secrets_file``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from askdesk.channels.credentials import Secrets, read_secrets
from askdesk.errors import ConfigError

DEFAULT_PREFIX = "ASKDESK_TWITTER_"
OAUTH1_NAMES = ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
USER_TOKEN = "USER_TOKEN"
NAMES = (*OAUTH1_NAMES, USER_TOKEN)
"""Every name a twitter channel looks up under its prefix."""


@dataclass(frozen=True)
class Credentials:
    """User-context credentials: OAuth 1.0a's four values, or an OAuth 2.0 user access token.

    The values never appear in a repr, an error or a log line.
    """

    consumer_key: str | None = field(default=None, repr=False)
    consumer_secret: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    access_token_secret: str | None = field(default=None, repr=False)
    user_token: str | None = field(default=None, repr=False)
    source: str = "the environment"
    """Where they came from, for error messages: variables, never values."""

    @property
    def oauth1(self) -> bool:
        return self.access_token is not None

    def values(self) -> list[str]:
        return [
            value
            for value in (
                self.consumer_key,
                self.consumer_secret,
                self.access_token,
                self.access_token_secret,
                self.user_token,
            )
            if value
        ]

    def token_account(self) -> str | None:
        """The account id an OAuth 1.0a access token starts with (``<id>-<random>``)."""
        head = (self.access_token or "").partition("-")[0]
        return head if head.isdigit() else None


def credentials_from(secrets: Secrets, channel: str) -> Credentials:
    """The set ``secrets`` holds; all four OAuth 1.0a values win over ``USER_TOKEN``.

    OAuth 1.0a tokens do not expire, so they are preferred; a partial set is
    an error naming what is missing.
    """
    oauth1 = [secrets.get(name) for name in OAUTH1_NAMES]
    if all(oauth1):
        key, secret, token, token_secret = oauth1
        return Credentials(key, secret, token, token_secret, source=secrets.source)
    if any(oauth1):
        missing = [secrets.variable(n) for n, v in zip(OAUTH1_NAMES, oauth1, strict=True) if not v]
        raise ConfigError(
            f"channel {channel!r}: the OAuth 1.0a credentials are incomplete; "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set in "
            f"{secrets.source}"
        )
    user_token = secrets.get(USER_TOKEN)
    if user_token:
        return Credentials(user_token=user_token, source=secrets.source)
    raise ConfigError(
        f"channel {channel!r} needs X credentials in {secrets.source}: "
        f"{', '.join(secrets.variable(n) for n in OAUTH1_NAMES)} (OAuth 1.0a), "
        f"or {secrets.variable(USER_TOKEN)} (an OAuth 2.0 user access token)"
    )


def load_credentials(
    channel: str,
    prefix: str = DEFAULT_PREFIX,
    secrets_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """The channel's credentials from the environment, else ``secrets_file``."""
    return credentials_from(read_secrets(prefix, NAMES, secrets_file, env), channel)
