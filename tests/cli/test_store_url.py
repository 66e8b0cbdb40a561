"""A store is a path or a ``postgresql://`` URL, wherever a store goes; ``askdesk migrate``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pg_server
import psycopg
import pytest

from askdesk.cli import main
from askdesk.config import load_config
from askdesk.model.transactions import TRANSACTION_RULES
from askdesk.store import open_store, shown
from tests.conftest import NOW

SECRET = "s3cret"


def with_password(url: str) -> str:
    return url.replace("askdesk@", f"askdesk:{SECRET}@")


@pytest.fixture
def empty_url(postgres: pg_server.Server) -> Iterator[str]:
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS askdesk_cli_empty WITH (FORCE)")
        conn.execute("CREATE DATABASE askdesk_cli_empty")
    yield postgres.url("askdesk_cli_empty")
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE askdesk_cli_empty WITH (FORCE)")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_config_env_and_flag_keep_a_url_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://ana@db.branch.example:5432/desk"
    config = tmp_path / "config.toml"
    config.write_text(f'store = "{url}"\n', encoding="utf-8")
    assert load_config(config).store == url
    monkeypatch.setenv("ASKDESK_STORE", "postgres://other/desk")
    assert load_config(config).store == "postgres://other/desk"
    assert load_config(config, store=url + "2").store == url + "2"
    monkeypatch.setenv("ASKDESK_STORE", "~/desk.json")
    assert load_config(config).store == Path.home() / "desk.json"


def test_migrate_then_the_commands_work_on_the_url(
    empty_url: str, capsys: pytest.CaptureFixture[str], make_message
) -> None:
    url = with_password(empty_url)
    code, out, err = run(capsys, "list", "--store", url)
    assert code == 1
    assert err.strip() == (
        f"askdesk: the store {empty_url} has no askdesk tables yet: "
        f"run `askdesk migrate --store {empty_url}` to create them"
    )

    code, out, err = run(capsys, "migrate", "--store", url)
    assert (code, err) == (0, "")
    assert out.strip() == (
        "applied 0001_conversations.sql, 0002_conversations_as_written.sql, "
        "0003_presence.sql, 0004_drafts.sql, 0005_transactions.sql, "
        "0006_transaction_columns.sql, 0007_events_and_outbox.sql, "
        f"0008_words_kept_exactly.sql: the store {empty_url} has schema version 8"
    )
    code, out, _ = run(capsys, "migrate", "--store", url)
    assert (code, out.strip()) == (0, f"the store {empty_url} is up to date (schema version 8)")

    store = open_store(url)
    store.ingest([make_message("7", "Are you open on Monday?")], NOW)
    store.close()
    code, out, _ = run(capsys, "claim", "web:7", "--store", url, "--as", "ana")
    assert code == 0
    code, _, err = run(capsys, "claim", "web:7", "--store", url, "--as", "bo")
    assert (code, err.strip()) == (
        1,
        "askdesk: web:7 is already claimed by ana; add --take-over to take it over from ana",
    )
    code, out, _ = run(capsys, "show", "web:7", "--store", url)
    assert code == 0 and "Are you open on Monday?" in out
    code, _, err = run(capsys, "show", "web:nope", "--store", url)
    assert code == 1 and f"in {empty_url}" in err and SECRET not in err


def test_migrate_on_a_tinydb_file_needs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "desk.json"
    code, out, _ = run(capsys, "migrate", "--store", str(path))
    assert (code, out.strip()) == (0, f"the store {path} is a TinyDB file: it needs no migration")


def test_an_unreachable_server_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"postgresql://askdesk:{SECRET}@127.0.0.1:{pg_server.free_port()}/desk"
    for command in (["list"], ["migrate"]):
        code, out, err = run(capsys, *command, "--store", url)
        assert code == 1 and out == ""
        assert err.count("\n") == 1
        assert shown(url) in err and SECRET not in err


def test_a_url_that_is_not_postgresql_is_refused_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "list", "--store", f"mysql://ana:{SECRET}@db/desk")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "askdesk: the store mysql://… is neither a file path nor a postgresql:// URL"
    )


def demo_desk(path: Path, make_message) -> None:
    """A desk with history: new, claimed, resolved today, resolved months ago (archived),
    a reply in the outbox, a channel's cursor and health, retention's bookmark."""
    from askdesk.clock import FixedClock
    from askdesk.desk import Desk
    from askdesk.desk.outbox import Outbox
    from askdesk.model import Outcome, QuestionType
    from askdesk.store import TinyDBStore

    # Today as the commands see it: which resolved conversations are still on
    # the desk (hot_days) is counted from the real clock.
    today = datetime.now(UTC).replace(microsecond=0)
    store = TinyDBStore(path)
    old = today - timedelta(days=120)
    desk = Desk(store, "ana", FixedClock(old))
    desk.ingest([make_message("old-1", "Renew my card?", minutes_ago=120 * 24 * 60 + 5)])
    desk.resolve("web:old-1", Outcome.ANSWERED, QuestionType.POLICY, 1)
    desk = Desk(store, "ana", FixedClock(today))
    desk.ingest(
        [make_message(str(i), f"Question {i}", minutes_ago=60 - i) for i in range(1, 6)]
        + [make_message("t2", "And a follow-up", conversation="1", minutes_ago=1)],
        cursor=("web", "cursor-42"),
    )
    desk.claim("web:1")
    desk.note("web:1", "called the branch")
    desk.resolve("web:2", Outcome.REFERRED, QuestionType.RESEARCH, 4)
    Outbox(desk, {}).queue("web:3", "We open at nine.", private=False)
    desk.archive_old()
    store.save_health("web", {"last_ok": today.isoformat()})
    store.save_draft("web:4", "ana", "Still checking the catalogue")
    store.close()


def snapshot(capsys: pytest.CaptureFixture[str], store: str) -> dict[str, str]:
    """What staff see through the commands, minus the line naming the store."""
    views = {}
    for name, args in {
        "list": ["list", "--format", "json"],
        "show": ["show", "web:1", "--format", "json"],
        "show-old": ["show", "web:old-1", "--format", "json"],
        "stats": ["stats", "--since", f"{datetime.now(UTC).year - 1}-01-01", "--format", "json"],
        "outbox": ["outbox", "--format", "json"],
        "channels": ["channels", "--format", "json"],
    }.items():
        code, out, err = run(capsys, *args, "--store", store, "--as", "ana")
        assert (code, err) == (0, ""), (name, err)
        if name == "stats":  # when it was made, and so how old the backlog is: not compared
            out = re.sub(r'"(generated_at|oldest_s|as_of)": [^,\n]*', "", out)
        views[name] = out
    return views


def test_store_copy_moves_a_desk_to_postgresql_and_back(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str], make_message
) -> None:
    first, back = tmp_path / "first.json", tmp_path / "back" / "desk.json"
    demo_desk(first, make_message)
    before = snapshot(capsys, str(first))

    url = with_password(postgres_url)
    code, out, err = run(capsys, "store", "copy", "--to", url, "--store", str(first))
    assert (code, err) == (0, "")
    assert out.strip() == (
        # The channel's record and askdesk's bookmark of the staff names.
        "copied 6 conversations (7 messages, 13 events, 1 reply) and 2 channel records "
        f"from {first} to {postgres_url}; counts verified"
    )
    copied = open_store(url)
    assert copied.drafts() == {("web:4", "ana"): "Still checking the catalogue"}
    copied.close()
    after = snapshot(capsys, url)
    for view in before:
        assert after[view].splitlines() == before[view].splitlines(), view

    code, out, err = run(capsys, "store", "copy", "--to", str(back), "--store", url)
    assert (code, err) == (0, ""), err
    assert out.strip().endswith(f"from {postgres_url} to {back}; counts verified")
    after = snapshot(capsys, str(back))
    for view in before:
        assert after[view].splitlines() == before[view].splitlines(), view
    assert (back.parent / "desk.archive").is_dir()  # old history went to the archive again


def test_store_copy_refuses_a_store_that_is_not_empty(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str], make_message
) -> None:
    first = tmp_path / "first.json"
    demo_desk(first, make_message)
    assert run(capsys, "store", "copy", "--to", postgres_url, "--store", str(first))[0] == 0
    code, out, err = run(capsys, "store", "copy", "--to", postgres_url, "--store", str(first))
    assert code == 1 and out == ""
    assert err.strip() == (
        f"askdesk: the store {postgres_url} is not empty: copy only into a new store "
        "(a new file, or a database just made with `askdesk migrate`)"
    )


def forget_transactions(url: str) -> None:
    """The store as migration 0005 finds one made before it (or by older rules): no rows."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM transactions")
        conn.execute("UPDATE conversations SET transaction_rules = 0, opened_at = NULL")


def test_transactions_from_older_rules_are_worked_out_by_migrate_or_the_first_stats(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str], make_message
) -> None:
    first = tmp_path / "first.json"
    demo_desk(first, make_message)
    before = snapshot(capsys, str(first))["stats"]
    assert run(capsys, "store", "copy", "--to", postgres_url, "--store", str(first))[0] == 0

    forget_transactions(postgres_url)
    code, out, err = run(capsys, "migrate", "--store", postgres_url)
    assert (code, err) == (0, "")
    assert out.strip().splitlines()[-1] == (
        f"worked out the transactions of 6 conversations for the statistics "
        f"(rules version {TRANSACTION_RULES})"
    )
    assert snapshot(capsys, postgres_url)["stats"] == before

    forget_transactions(postgres_url)
    args = ["stats", "--since", f"{datetime.now(UTC).year - 1}-01-01", "--format", "json"]
    code, out, err = run(capsys, *args, "--store", postgres_url)
    assert code == 0
    assert err.strip() == (
        "recomputing the transactions of 6 conversations under this askdesk's statistics "
        "rules: once, and `askdesk migrate` does it ahead of time"
    )
    assert re.sub(r'"(generated_at|oldest_s|as_of)": [^,\n]*', "", out) == before
    assert snapshot(capsys, postgres_url)["stats"] == before  # said once: no sentence now


def test_a_copy_that_stops_halfway_says_the_target_holds_part_of_the_desk(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str], make_message
) -> None:
    """The conversations are committed, then the server's disk fills before the
    channel records (its disk-full error, raised by a trigger)."""
    path = tmp_path / "desk.json"
    store = open_store(path)
    store.ingest([make_message("1"), make_message("2")], NOW, cursor=("web", "c7"))
    store.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full'; END $$; "
            "CREATE TRIGGER full_disk BEFORE INSERT OR UPDATE ON channels "
            "FOR EACH ROW EXECUTE FUNCTION full_disk()"
        )
    code, out, err = run(
        capsys, "store", "copy", "--to", with_password(postgres_url), "--store", str(path)
    )
    assert (code, out) == (1, "")
    assert err.strip() == (
        "askdesk: the copy stopped after 2 conversations (2 messages, 2 events, 0 replies) "
        f"and 0 channel records (the store {postgres_url} did not save it: the database "
        "server's disk is full (could not extend file; CONTEXT:  PL/pgSQL function "
        f"full_disk() line 1 at RAISE)): {postgres_url} holds part of the desk; empty it "
        "(a new file, or drop the database, create it again and run `askdesk migrate`) "
        "before copying again"
    )
