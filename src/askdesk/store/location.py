"""Where a store lives: a TinyDB file or a ``postgresql://`` URL, named without its password."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
        pair for pair in parts.query.split("&") if pair and not pair.lower().startswith("password=")
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
