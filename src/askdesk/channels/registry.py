"""The table from ``[[channels]] type`` to the adapter that reads and builds that type.

Adding a platform is adding its module and one line here. Adapters import
their platform SDK only when they first talk to the platform, so this table
costs a desk that runs only the demo nothing it does not use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping

from askdesk.channels.base import Adapter, Channel
from askdesk.channels.options import read_options
from askdesk.config import ChannelConfig
from askdesk.errors import ConfigError

MODULES = {
    "bluesky": "askdesk.channels.bluesky",
    "demo": "askdesk.channels.demo",
    "drop": "askdesk.channels.drop",
    "email": "askdesk.channels.email",
    "facebook": "askdesk.channels.facebook",
    "mastodon": "askdesk.channels.mastodon",
    "sms": "askdesk.channels.sms",
    "twitter": "askdesk.channels.twitter",
    "xmpp": "askdesk.channels.xmpp",
}
"""Each type's module, whose ``ADAPTER`` reads and builds it."""


class _Adapters(Mapping[str, Adapter]):
    """Type -> adapter, each module imported when its type is first asked for: a command
    that reaches no channel (``stats``, ``list``) or a desk with two channels does not
    import the other platforms' code (a third of ``askdesk stats``' start)."""

    def __getitem__(self, kind: str) -> Adapter:
        adapter: Adapter = importlib.import_module(MODULES[kind]).ADAPTER
        return adapter

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)


ADAPTERS: Mapping[str, Adapter] = _Adapters()


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
