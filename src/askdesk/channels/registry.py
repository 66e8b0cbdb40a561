"""The table from ``[[channels]] type`` to the adapter that reads and builds that type.

Adding a platform is adding its module and one line here. Adapters import
their platform SDK only when they first talk to the platform, so this table
costs a desk that runs only the demo nothing it does not use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from askdesk.channels import bluesky, demo, drop, email, facebook, mastodon, sms, twitter, xmpp
from askdesk.channels.base import Adapter, Channel
from askdesk.channels.options import read_options
from askdesk.config import ChannelConfig
from askdesk.errors import ConfigError

ADAPTERS: Mapping[str, Adapter] = {
    adapter.type: adapter
    for adapter in (
        bluesky.ADAPTER,
        demo.ADAPTER,
        drop.ADAPTER,
        email.ADAPTER,
        facebook.ADAPTER,
        mastodon.ADAPTER,
        sms.ADAPTER,
        twitter.ADAPTER,
        xmpp.ADAPTER,
    )
}


def adapter_for(config: ChannelConfig) -> Adapter:
    """The adapter of ``config.type``; ``ConfigError`` naming the known types otherwise."""
    adapter = ADAPTERS.get(config.type)
    if adapter is None:
        at = f"{config.where}: " if config.where else ""
        raise ConfigError(
            f"{at}channel {config.name!r} has unknown type {config.type!r} "
            f"(type should be one of {', '.join(sorted(ADAPTERS))})"
        )
    return adapter


def check_channels(configs: Iterable[ChannelConfig]) -> None:
    """Each table's type and options, checked without building (no credentials are read)."""
    for config in configs:
        read_options(config, adapter_for(config).options)


def build_channel(config: ChannelConfig) -> Channel:
    """The adapter for one configured channel, built; ``ConfigError`` for any bad option."""
    adapter = adapter_for(config)
    return adapter.build(config.name, read_options(config, adapter.options))
