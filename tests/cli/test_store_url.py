"""A store is a path or a ``postgresql://`` URL, wherever a store goes; ``askdesk migrate``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pg_server
import psycopg
import pytest

from askdesk.cli import main
from askdesk.config import load_config
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
        f"applied 0001_conversations.sql: the store {empty_url} has schema version 1"
    )
    code, out, _ = run(capsys, "migrate", "--store", url)
    assert (code, out.strip()) == (0, f"the store {empty_url} is up to date (schema version 1)")

    store = open_store(url)
    store.ingest([make_message("7", "Are you open on Monday?")], NOW)
    store.close()
    code, out, _ = run(capsys, "claim", "web:7", "--store", url, "--as", "ana")
    assert code == 0
    code, _, err = run(capsys, "claim", "web:7", "--store", url, "--as", "bo")
    assert (code, err.strip()) == (1, "askdesk: web:7 is already claimed by ana")
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
