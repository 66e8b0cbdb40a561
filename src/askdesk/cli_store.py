"""``askdesk migrate`` and ``askdesk store copy``: the store's schema, and moving a desk."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from askdesk.cli_output import say
from askdesk.config import Config, store_location
from askdesk.desk import Desk
from askdesk.model.transactions import TRANSACTION_RULES
from askdesk.store import is_url, open_store, shown

EXIT_OK = 0


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    command("migrate", "create or upgrade the PostgreSQL store's tables (running it again: no-op)")
    p = command("store", "copy the whole desk into an empty store: store copy --to PATH_OR_URL")
    p.add_argument("action", choices=["copy"], help="copy: everything, counts verified")
    p.add_argument("--to", required=True, metavar="PATH_OR_URL", help="the empty store")


def run_copy(args: argparse.Namespace, desk: Desk, config: Config) -> int:
    from askdesk.desk.store_copy import copy_store
    from askdesk.store import open_store

    target = open_store(store_location(args.to))
    try:
        counts = copy_store(desk.store, target, desk.archive_cutoff())
    finally:
        target.close()
    say(
        f"copied {counts.summary()} from {desk.store.location} to {target.location}; "
        "counts verified"
    )
    return EXIT_OK


def run_migrate(config: Config) -> int:
    from askdesk.store import pg_schema

    location = shown(config.store)
    if not is_url(config.store):
        say(f"the store {location} is a TinyDB file: it needs no migration")
        return EXIT_OK
    applied = pg_schema.migrate_database(str(config.store), location)
    if applied:
        say(
            f"applied {', '.join(applied)}: the store {location} has schema version "
            f"{pg_schema.latest()}"
        )
    else:
        say(f"the store {location} is up to date (schema version {pg_schema.latest()})")
    store = open_store(config.store)
    try:
        recomputed = store.refresh_transactions()
    finally:
        store.close()
    if recomputed:
        say(
            f"worked out the transactions of {recomputed} conversations for the statistics "
            f"(rules version {TRANSACTION_RULES})"
        )
    return EXIT_OK
