"""From a ``[[channels]]`` table to a working adapter: the one place that knows every type.

Adapters are imported here, inside the function, so a desk that runs only the
demo never imports a platform SDK it does not use.
"""

from __future__ import annotations

from pathlib import Path

from askdesk.channels.base import Channel
from askdesk.config import CHANNEL_OPTIONS, ChannelConfig
from askdesk.errors import ConfigError


def build_channel(config: ChannelConfig) -> Channel:
    """The adapter for one configured channel; ``ConfigError`` when its type is unknown."""
    if config.type == "demo":
        from askdesk.channels.demo import DemoChannel

        return DemoChannel(
            name=config.name,
            poll_seconds=config.number("poll_seconds", 2),
            interval_seconds=config.number("interval_seconds", 40),
        )
    if config.type == "drop":
        from askdesk.channels.drop import DropFolderChannel

        path = config.options.get("path")
        if not isinstance(path, str) or not path:
            raise ConfigError(f"channel {config.name!r} needs path: the folder to watch")
        outbox = config.options.get("outbox")
        return DropFolderChannel(
            name=config.name,
            path=Path(path).expanduser(),
            poll_seconds=config.number("poll_seconds", 10),
            outbox=Path(outbox).expanduser() if isinstance(outbox, str) else None,
        )
    if config.type == "twitter":
        # The module imports tweepy only when it first talks to X.
        from askdesk.channels.twitter import TwitterChannel

        return TwitterChannel.from_options(config.name, config.options)
    raise ConfigError(
        f"channel {config.name!r} has unknown type {config.type!r} "
        f"(known: {', '.join(sorted(CHANNEL_OPTIONS))})"
    )
