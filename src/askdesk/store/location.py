"""Where a store lives: a TinyDB file or a ``postgresql://`` URL, named without its password."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from askdesk.errors import StoreError

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a TinyDB file."""
    return isinstance(location, str) and location.lower().startswith(URL_SCHEMES)


def shown(location: str | Path) -> str:
    """``location`` as every message to people names it: a URL loses its password.

    libpq also reads a password from ``PGPASSWORD`` or ``~/.pgpass``; only one
    written into the URL itself (``user:secret@host``) can leak, so that part
    goes, and a ``password=`` query parameter with it.
    """
    if not is_url(location):
        return str(location)
    text = str(location)
    try:
        parts = urlsplit(text)
    except ValueError:
        return text.split("://", 1)[0] + "://…"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_password(pair.split("=")[0])
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _is_password(name: str) -> bool:
    return unquote(name).lower() == "password"  # libpq decodes ``pass%77ord`` too


def connection_target(url: str) -> tuple[str, dict[str, Any]]:
    """What libpq is given to connect to ``url``: the URL without its password
    (``shown``), and the password apart, as a keyword.

    libpq quotes a URL it cannot read in its error, and the password with it
    (a ``%`` or a space typed in it, a bracket left open), and no error can
    quote what it was never given. Read here, a password holding an ``@`` or
    a ``%`` also works as typed.
    """
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise StoreError(
            f"the store {shown(url)} is not a URL askdesk can read: {error}"
        ) from error
    password: str | None = None
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        password = unquote(userinfo.split(":", 1)[1])
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if _is_password(name):
            password = unquote(value)
    return shown(url), ({} if password is None else {"password": password})
