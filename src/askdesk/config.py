"""Settings from a TOML file, the ``ASKDESK_*`` environment and the command line.

Every key is documented in ``config.example.toml``. A bad file gives one
sentence naming the file, the key and what was expected; never a traceback.
This module sits low in the layers (it imports only ``errors``): what other
layers own is kept as the file gave it and checked by them when askdesk
starts (``desk.settings.check_config``): each channel's options by its
adapter, the templates and the privacy patterns by the desk.
"""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from askdesk.errors import ConfigError
from askdesk.model.opening_hours import HoursError, OpeningHours, parse_hours

APP = "askdesk"

_NUMBER = (int, float)
_ANONYMIZE_WHAT = "days after resolving before patron details are removed (a number >= 0)"
_DESK_OPTIONS: dict[str, tuple[tuple[type, ...], str]] = {
    "target_minutes": (_NUMBER, "minutes a patron may wait before the row is marked overdue"),
    "hot_days": (_NUMBER, "days a resolved conversation stays on the desk before archiving"),
    "refresh_seconds": (_NUMBER, "seconds between checks for other processes' changes"),
    "lease_seconds": (
        _NUMBER,
        "seconds a process holds a channel without renewing before another takes it over",
    ),
}
_TOP_LEVEL = {
    "staff",
    "library",
    "store",
    "desk",
    "keys",
    "channels",
    "retention",
    "stats",
    "templates",
    "templates_file",
    "variables",
    "privacy",
    "replies",
    "team",
}
_REPLIES_OPTIONS = {
    "mastodon_limit": "the instance's post length limit (a whole number > 0)",
    "sms_max_segments": "the most SMS segments one reply may take (a whole number > 0)",
}
DEFAULT_ANONYMIZE_AFTER_DAYS = 90.0
_RETENTION_OPTIONS = {"anonymize_after_days": _ANONYMIZE_WHAT}
_STATS_OPTIONS = {
    "timezone": 'the time zone for days and hours, e.g. "Europe/London"',
    "fields": "a list of [[stats.fields]] tables",
}
_FIELD_KEYS = ("name", "choices", "required")
NO_ANSWER = "(none)"
"""What statistics call a transaction resolved without an answer to a field; no choice may be it."""


@dataclass(frozen=True)
class NumberRange:
    """The values a number setting may take: from ``low`` (or above it) up to ``high``.

    TOML reads ``nan`` and ``inf`` as numbers, and a huge count of days
    overflows the date arithmetic it feeds: every number a config sets has a
    range, here for askdesk's own keys and declared by each channel adapter
    for its options (``channels.options.Number``).
    """

    low: float
    high: float
    unit: str
    low_allowed: bool = True

    def holds(self, value: float) -> bool:
        # nan fails every comparison, so it lies outside every range.
        above = self.low <= value if self.low_allowed else self.low < value
        return above and value <= self.high

    def __str__(self) -> str:
        low, high = f"{self.low:g}", f"{self.high:g}"
        if self.low_allowed:
            return f"between {low} and {high} {self.unit}"
        return f"more than {low} and at most {high} {self.unit}"


ANONYMIZE_AFTER_DAYS = NumberRange(0, 100 * 365, "days")
NUMBER_RANGES: dict[str, NumberRange] = {
    "desk.target_minutes": NumberRange(0, 7 * 24 * 60, "minutes", low_allowed=False),
    "desk.hot_days": NumberRange(0, 365, "days"),
    "desk.refresh_seconds": NumberRange(0.1, 60, "seconds"),
    "desk.lease_seconds": NumberRange(2, 3600, "seconds"),
    "retention.anonymize_after_days": ANONYMIZE_AFTER_DAYS,
}
"""askdesk's own number keys and their ranges; a channel's ``anonymize_after_days``
shares ``[retention]``'s."""


def _check_number(where: str, key: str, value: float, allowed: NumberRange) -> float:
    """``value`` as a float if ``allowed`` holds it, else one sentence naming the key and range."""
    if not allowed.holds(value):
        raise ConfigError(f"{where}: {key} should be {allowed}, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Team:
    """The team list (``[team] members``): who works this desk, matched without regard to case.

    With a list, ``Bo`` typed at ``--as`` or in a hand-off is the member listed
    as ``bo``, and is stored and credited as listed; a name not on the list is
    refused with the list, so a typo never strands a conversation. Without one,
    any well-formed name goes, as before there were lists.
    """

    members: tuple[str, ...] = ()
    """The names as the config lists them; empty: no list (any name goes)."""
    where: str = ""
    """Where the list came from ("/etc/askdesk.toml [team] members"), for refusals."""

    def __bool__(self) -> bool:
        return bool(self.members)

    def listed(self, name: str) -> str | None:
        """``name`` as the list spells it, or ``None`` if nobody on the list is called that."""
        folded = name.strip().casefold()
        return next((m for m in self.members if m.casefold() == folded), None)

    def credited(self, name: str) -> str:
        """Who ``name``, as recorded, is credited as: the member listed, else the name itself.

        A name recorded before the list existed (``Bo``, now listed as ``bo``)
        stays as it was in the store, whose history is never rewritten; the
        statistics, the export and the shift summary credit it as listed.
        """
        return self.listed(name) or name

    def refusal(self, name: str, what: str) -> str:
        """The sentence that refuses ``name`` for ``what`` ("--as", "a hand-off")."""
        return (
            f"{what}: {name.strip()!r} is not on the team list "
            f"({', '.join(self.members)}; from {self.where or '[team] members'})"
        )


def _duplicate(members: list[str]) -> tuple[str, str] | None:
    """The first two names of ``members`` that are one person (``Bo`` and ``bo``), if any."""
    seen: dict[str, str] = {}
    for name in members:
        folded = name.casefold()
        if folded in seen:
            return seen[folded], name
        seen[folded] = name
    return None


@dataclass(frozen=True)
class ChannelConfig:
    """One ``[[channels]]`` table: its adapter checks ``options`` (``channels.registry``)."""

    type: str
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)
    """The table's other keys as TOML gave them."""
    where: str = ""
    """The file it came from, to start error sentences with; empty when built in code."""
    anonymize_after_days: float | None = None
    """The channel's own retention, which every type takes; None: ``[retention]``'s."""


@dataclass(frozen=True)
class StatsField:
    """One ``[[stats.fields]]``: a question the library asks with every resolve.

    Patron type, branch or topic: whatever its own statistics need beside
    the question type and READ level.
    """

    name: str
    """A column of the export and a key of ``by_field``: lowercase letters, digits and '_'."""
    choices: tuple[str, ...]
    required: bool = False
    """Staff cannot resolve without answering it."""

    @property
    def label(self) -> str:
        """The name as staff read it: ``patron_type`` is "patron type"."""
        return self.name.replace("_", " ")


@dataclass(frozen=True)
class TemplateTables:
    """``[[templates]]`` and ``[variables]`` as TOML gave them; ``desk.templates`` checks them.

    ``templates`` is None when none are configured: the starter templates apply.
    """

    templates: Any = None
    variables: Any = None
    where: str = "defaults"
    """The file they came from (``templates_file`` when that is used)."""


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    staff: str = ""
    staff_guessed: bool = False
    """No name was given (--as, ASKDESK_AS, ``staff =``): ``staff`` is the login name."""
    library: str = "the library"
    """The library's name: ``library = "…"``, or ``name`` in a ``[library]`` table."""
    hours: OpeningHours | None = None
    """``[library] hours``: when the library is open; ``None``: not configured."""
    store: Path | str = field(default_factory=lambda: default_store_path())
    """A TinyDB file, or a ``postgresql://`` URL (``store_location``)."""
    target_minutes: float = 60.0
    hot_days: float = 7.0
    refresh_seconds: float = 0.5
    lease_seconds: float = 45.0
    """How long a channel's lease lasts unrenewed: a dead holder is replaced within it."""
    keys: Mapping[str, str] = field(default_factory=dict)
    channels: tuple[ChannelConfig, ...] = ()
    anonymize_after_days: float = DEFAULT_ANONYMIZE_AFTER_DAYS
    """``[retention]``: the default for channels that do not set their own."""
    timezone: str | None = None
    templates: TemplateTables = field(default_factory=TemplateTables)
    privacy_patterns: tuple[str, ...] = ()
    """``[privacy] patterns``, not yet compiled: ``desk.privacy`` compiles them."""
    mastodon_limit: int = 500
    sms_max_segments: int = 10
    """``[stats] timezone``: an IANA name; ``None`` means the computer's own zone."""
    stats_fields: tuple[StatsField, ...] = ()
    """``[[stats.fields]]``: what the library records with every resolve, in the config's order."""
    team: Team = field(default_factory=Team)
    """``[team] members``: with a list, staff names are matched to it (``Team``)."""

    @property
    def is_demo(self) -> bool:
        return not self.channels

    def anonymize_days_by_channel(self) -> dict[str, float]:
        """The channels that set their own ``anonymize_after_days``."""
        return {
            c.name: c.anonymize_after_days
            for c in self.channels
            if c.anonymize_after_days is not None
        }

    def zone(self) -> tzinfo:
        """The time zone statistics count days and hours in."""
        return local_zone(self.timezone)

    def effective_channels(self) -> tuple[ChannelConfig, ...]:
        """The configured channels, or the demo feed when none is configured."""
        return self.channels or (ChannelConfig(type="demo", name="demo"),)


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def store_location(where: str | Path) -> Path | str:
    """A URL (``postgresql://…``) as it is, since a ``Path`` would fold its ``//``;
    anything else is a file path. Which URLs name a store is the store's business."""
    if isinstance(where, str) and "://" in where:
        return where
    return Path(where).expanduser()


def default_store_path() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "askdesk.json"


def local_zone(name: str | None = None, env: Mapping[str, str] | None = None) -> tzinfo:
    """``name``, else ``$TZ``, else the computer's zone (``/etc/localtime``), else UTC.

    A named zone keeps summer time right across a year of statistics, which a
    fixed UTC offset would not.
    """
    env = os.environ if env is None else env
    for candidate in (name, env.get("TZ", "").lstrip(":") or None):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError) as error:
                if candidate == name:
                    raise ConfigError(f"unknown time zone {name!r}") from error
    target = os.path.realpath("/etc/localtime")
    if "/zoneinfo/" in target:  # a link into the zone database names the zone
        try:
            return ZoneInfo(target.split("/zoneinfo/", 1)[1])
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError):
        return datetime.now(UTC).astimezone().tzinfo or UTC


def login_name(env: Mapping[str, str] | None = None) -> str:
    """Who is at the terminal: their login name, even in a shell opened with sudo.

    The terminal's login (``os.getlogin``) comes first, then sudo's record of
    who ran it, and only then the account the process runs as, which under
    sudo is ``root``: a name that tells colleagues nothing.
    """
    env = os.environ if env is None else env
    try:
        return os.getlogin()
    except OSError:
        pass  # no terminal login (a cron job, some containers and tmux servers)
    if env.get("SUDO_USER"):
        return env["SUDO_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "staff"


def usable_name(login: str) -> str:
    """``login`` as a staff name: other characters (``DOMAIN\\ana``, ``ana@corp``) become "-"."""
    name = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in login.strip())[:40]
    return name or "staff"


def remember_staff(name: str, path: Path | None = None) -> Path:
    """Write ``staff = name`` at the top of the config file (made if missing); return its path.

    A top-level key must come before the file's first table, so it goes first.
    """
    path = (path or default_config_path()).expanduser()
    name = staff_name(name, "staff name")
    try:
        existing = path.read_text(encoding="utf-8") if path.is_file() else ""
        path.parent.mkdir(parents=True, exist_ok=True)
        line = f"# Your name on the desk, as colleagues see it.\nstaff = {json.dumps(name)}\n\n"
        path.write_text(line + existing, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot save your name in {path}: {error.strerror or error}") from error
    return path


def load_config(
    path: Path | None = None,
    *,
    store: Path | str | None = None,
    staff: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the settings: command line beats environment beats file beats defaults."""
    env = os.environ if env is None else env
    explicit = path or (Path(env["ASKDESK_CONFIG"]) if env.get("ASKDESK_CONFIG") else None)
    source = explicit or default_config_path()
    data: dict[str, Any] = {}
    if explicit is not None and not explicit.expanduser().is_file():
        raise ConfigError(f"config file {explicit} does not exist")
    if source.expanduser().is_file():
        data = _read_toml(source.expanduser())
    else:
        source = None  # type: ignore[assignment]  # no file: defaults only
    where = str(source) if source else "defaults"
    config = _parse(data, where, source)
    overrides: dict[str, Any] = {}
    store = store or env.get("ASKDESK_STORE") or None
    if store is not None:
        overrides["store"] = store_location(store)
    given = staff or env.get("ASKDESK_AS") or config.staff
    name = staff_name(given or usable_name(login_name(env)), "--as / ASKDESK_AS")
    if config.team:
        listed = config.team.listed(name)
        if listed is None and given:
            said = "--as" if staff else "ASKDESK_AS" if env.get("ASKDESK_AS") else f"{where}: staff"
            raise ConfigError(config.team.refusal(name, said))
        name = listed or name  # a guessed login name off the list: see cli's check
    overrides["staff"] = name
    overrides["staff_guessed"] = not given
    return _replace(config, **overrides)


def _replace(config: Config, **changes: Any) -> Config:
    from dataclasses import replace

    return replace(config, **changes)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from error
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from error


def staff_name(name: str, where: str) -> str:
    name = name.strip()
    if not name or any(not (ch.isalnum() or ch in "._-") for ch in name) or len(name) > 40:
        raise ConfigError(
            f"{where}: staff name {name!r} must be 1-40 letters, digits, '.', '_' or '-'"
        )
    return name


def _expect(where: str, key: str, value: Any, types: tuple[type, ...], what: str) -> None:
    # bool is an int to Python but never what a config author meant.
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        raise ConfigError(f"{where}: {key} should be {what}, not {value!r}")


def _parse(data: dict[str, Any], where: str, source: Path | None) -> Config:
    for key in data:
        if key not in _TOP_LEVEL:
            raise ConfigError(
                f"{where}: unknown key {key!r} (known: {', '.join(sorted(_TOP_LEVEL))})"
            )
    values: dict[str, Any] = {"source": source}
    if "staff" in data:
        _expect(where, "staff", data["staff"], (str,), "a name (a string)")
        values["staff"] = staff_name(data["staff"], f"{where}: staff")
    if "library" in data:
        values.update(_parse_library(data["library"], where))
    if "store" in data:
        _expect(
            where,
            "store",
            data["store"],
            (str,),
            "the path of the store file or a postgresql:// URL (a string)",
        )
        values["store"] = store_location(data["store"])
    desk = data.get("desk", {})
    _expect(where, "desk", desk, (dict,), "a table")
    for key, value in desk.items():
        if key not in _DESK_OPTIONS:
            raise ConfigError(
                f"{where}: unknown key desk.{key} (known: {', '.join(sorted(_DESK_OPTIONS))})"
            )
        types, what = _DESK_OPTIONS[key]
        _expect(where, f"desk.{key}", value, types, f"{what} (a number)")
        values[key] = _check_number(where, f"desk.{key}", value, NUMBER_RANGES[f"desk.{key}"])
    keys = data.get("keys", {})
    _expect(where, "keys", keys, (dict,), 'a table of action = "key"')
    for action, key in keys.items():
        _expect(where, f"keys.{action}", key, (str,), 'a key name such as "c" or "ctrl+s"')
    values["keys"] = dict(keys)
    values["channels"] = _parse_channels(data.get("channels", []), where)
    values.update(_parse_retention_and_stats(data, where))
    values.update(_parse_replies(data, where, source))
    if "team" in data:
        values["team"] = _parse_team(data["team"], where)
    return Config(**values)


_LIBRARY_KEYS = ("name", "hours")


def _parse_library(library: Any, where: str) -> dict[str, Any]:
    """``library = "Name"``, or a ``[library]`` table with ``name`` and ``hours``."""
    if isinstance(library, str):
        return {"library": library}
    what = 'the library\'s name (a string), or a [library] table with name = "…" and hours'
    _expect(where, "library", library, (dict,), what)
    unknown = sorted(set(library) - set(_LIBRARY_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key library.{unknown[0]} (known: {', '.join(_LIBRARY_KEYS)})"
        )
    values: dict[str, Any] = {}
    if "name" in library:
        _expect(where, "library.name", library["name"], (str,), "the library's name (a string)")
        values["library"] = library["name"]
    if "hours" in library:
        try:
            values["hours"] = parse_hours(library["hours"])
        except HoursError as error:
            raise ConfigError(f"{where}: library.{error}") from None
    return values


def _parse_team(team: Any, where: str) -> Team:
    """``[team] members``: well-formed names, none twice (``Bo`` and ``bo`` are one person)."""
    _expect(where, "team", team, (dict,), 'a table with members = ["ana", "bo"]')
    for key in team:
        if key != "members":
            raise ConfigError(f"{where}: unknown key team.{key} (known: members)")
    members = team.get("members")
    what = 'a list of staff names such as ["ana", "bo"]'
    _expect(where, "team.members", members, (list,), what)
    if not members:
        raise ConfigError(f"{where}: team.members should be {what}, not an empty list")
    for member in members:
        _expect(where, "team.members", member, (str,), what)
    names = [staff_name(member, f"{where}: team.members") for member in members]
    twice = _duplicate(names)
    if twice is not None:
        first, second = twice
        also = f" (as {second!r})" if first != second else ""
        raise ConfigError(
            f"{where}: team.members lists {first!r} twice{also}; "
            "names are matched without regard to case"
        )
    return Team(tuple(names), f"{where} [team] members")


def _parse_replies(data: dict[str, Any], where: str, source: Path | None) -> dict[str, Any]:
    """Templates (inline, or from ``templates_file``), ``[variables]``, privacy and limits."""
    values: dict[str, Any] = {}
    raw_templates, raw_variables, template_where = (
        data.get("templates"),
        data.get("variables"),
        where,
    )
    if "templates_file" in data:
        name = data["templates_file"]
        _expect(where, "templates_file", name, (str,), "the path of a TOML file of templates")
        path = Path(name).expanduser()
        if not path.is_absolute() and source is not None:
            path = source.parent / path
        if not path.is_file():
            raise ConfigError(f"{where}: templates_file {path} does not exist")
        if raw_templates is not None:
            raise ConfigError(f"{where}: use either [[templates]] or templates_file, not both")
        extra = _read_toml(path)
        raw_templates, template_where = extra.get("templates"), str(path)
        raw_variables = {**extra.get("variables", {}), **(raw_variables or {})}
    values["templates"] = TemplateTables(raw_templates, raw_variables, template_where)
    privacy = data.get("privacy", {})
    _expect(where, "privacy", privacy, (dict,), "a table")
    for key in privacy:
        if key != "patterns":
            raise ConfigError(f"{where}: unknown key privacy.{key} (known: patterns)")
    patterns = privacy.get("patterns", [])
    _expect(where, "privacy.patterns", patterns, (list,), "a list of regular expressions")
    for pattern in patterns:
        _expect(where, "privacy.patterns", pattern, (str,), "a list of regular expressions")
    values["privacy_patterns"] = tuple(patterns)
    replies = data.get("replies", {})
    _expect(where, "replies", replies, (dict,), "a table")
    for key, value in replies.items():
        if key not in _REPLIES_OPTIONS:
            raise ConfigError(
                f"{where}: unknown key replies.{key} (known: {', '.join(sorted(_REPLIES_OPTIONS))})"
            )
        _expect(where, f"replies.{key}", value, (int,), _REPLIES_OPTIONS[key])
        if value <= 0:
            raise ConfigError(f"{where}: replies.{key} should be more than 0, not {value!r}")
        values[key] = value
    return values


def _parse_retention_and_stats(data: dict[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    retention = data.get("retention", {})
    _expect(where, "retention", retention, (dict,), "a table")
    for key, value in retention.items():
        if key not in _RETENTION_OPTIONS:
            raise ConfigError(
                f"{where}: unknown key retention.{key} "
                f"(known: {', '.join(sorted(_RETENTION_OPTIONS))})"
            )
        _expect(where, f"retention.{key}", value, _NUMBER, _RETENTION_OPTIONS[key])
        values[key] = _check_number(
            where, f"retention.{key}", value, NUMBER_RANGES[f"retention.{key}"]
        )
    stats = data.get("stats", {})
    _expect(where, "stats", stats, (dict,), "a table")
    for key, value in stats.items():
        if key not in _STATS_OPTIONS:
            raise ConfigError(
                f"{where}: unknown key stats.{key} (known: {', '.join(sorted(_STATS_OPTIONS))})"
            )
        if key == "fields":
            values["stats_fields"] = _parse_stats_fields(value, where)
            continue
        _expect(where, f"stats.{key}", value, (str,), _STATS_OPTIONS[key])
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ConfigError(
                f"{where}: stats.timezone {value!r} is not a known time zone "
                '(an IANA name such as "Europe/London" or "America/Chicago")'
            ) from error
        values["timezone"] = value
    return values


def _parse_stats_fields(raw: Any, where: str) -> tuple[StatsField, ...]:
    """``[[stats.fields]]``: each a unique name, a list of distinct choices, ``required`` or not."""
    _expect(where, "stats.fields", raw, (list,), _STATS_OPTIONS["fields"])
    fields: list[StatsField] = []
    for number, table in enumerate(raw, start=1):
        at = f"stats.fields #{number}"
        _expect(where, at, table, (dict,), "a table with name, choices and required")
        unknown = sorted(set(table) - set(_FIELD_KEYS))
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {at}.{unknown[0]} (known: {', '.join(_FIELD_KEYS)})"
            )
        name = table.get("name")
        _expect(where, f"{at}.name", name, (str,), 'a name such as "patron_type"')
        if not _is_field_name(name):
            raise ConfigError(
                f"{where}: {at}.name {name!r} should be lowercase letters, digits and '_', "
                'starting with a letter, such as "patron_type"'
            )
        if any(f.name == name for f in fields):
            raise ConfigError(f"{where}: {at}.name {name!r} is the name of an earlier field")
        at = f"stats.fields #{number} ({name})"
        choices = table.get("choices")
        _expect(where, f"{at} choices", choices, (list,), 'a list of answers such as ["adult"]')
        if not choices:
            raise ConfigError(
                f"{where}: {at} choices is empty: list the answers staff choose from, "
                'such as ["adult", "teen", "child"]'
            )
        seen: set[str] = set()
        for choice in choices:
            if not isinstance(choice, str) or not choice.strip() or choice != choice.strip():
                raise ConfigError(
                    f"{where}: {at} choices should be non-empty words without spaces "
                    f"around them, not {choice!r}"
                )
            if choice.casefold() in seen:
                raise ConfigError(f"{where}: {at} choices has {choice!r} twice")
            if choice == NO_ANSWER:
                raise ConfigError(
                    f"{where}: {at} choices cannot include {NO_ANSWER!r}: "
                    "statistics count unanswered resolves under it"
                )
            seen.add(choice.casefold())
        required = table.get("required", False)
        _expect(where, f"{at} required", required, (bool,), "true or false")
        fields.append(StatsField(name=name, choices=tuple(choices), required=required))
    return tuple(fields)


def _is_field_name(name: str) -> bool:
    return (
        name[:1].isascii()
        and name[:1].isalpha()
        and all(ch.isascii() and (ch.isdigit() or ch == "_" or ch.islower()) for ch in name)
        and len(name) <= 40
    )


def _parse_channels(raw: Any, where: str) -> tuple[ChannelConfig, ...]:
    """Each table's type, name and retention; its adapter checks the other keys."""
    _expect(where, "channels", raw, (list,), "a list of [[channels]] tables")
    channels: list[ChannelConfig] = []
    names: set[str] = set()
    for number, table in enumerate(raw, start=1):
        at = f"channels #{number}"
        _expect(where, at, table, (dict,), "a table")
        kind = table.get("type")
        _expect(where, f"{at}.type", kind, (str,), 'the kind of channel (a string such as "drop")')
        name = table.get("name")
        _expect(where, f"{at}.name", name, (str,), 'a unique name such as "webform"')
        if not name or ":" in name or name != name.strip():
            raise ConfigError(f"{where}: {at}.name {name!r} must be non-empty, without ':'")
        if name in names:
            raise ConfigError(f"{where}: {at}.name {name!r} is used by another channel")
        names.add(name)
        options = {k: v for k, v in table.items() if k not in ("type", "name")}
        days = options.pop("anonymize_after_days", None)
        if days is not None:
            label = f"channel {name!r} anonymize_after_days"
            _expect(where, label, days, _NUMBER, _ANONYMIZE_WHAT)
            _check_number(where, label, days, ANONYMIZE_AFTER_DAYS)
        channels.append(
            ChannelConfig(
                type=kind,
                name=name,
                options=options,
                where=where,
                anonymize_after_days=None if days is None else float(days),
            )
        )
    return tuple(channels)
