"""Reply templates: the library's stock answers, checked when the config loads.

A template's body (or its variant for one platform) fills ``{patron}``,
``{staff}``, ``{library}``, ``{next_open}``, the library's own ``[variables]``
and, with ``[library] hours``, ``{hours}``; a typo in a placeholder is a
``ConfigError`` at start-up, never a broken reply at the desk.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from askdesk.config import StatsField, TemplateTables
from askdesk.desk.limits import PLATFORMS
from askdesk.errors import ConfigError
from askdesk.model import QuestionType
from askdesk.model.message import READ_LEVELS
from askdesk.model.opening_hours import OpeningHours

BUILT_IN = ("patron", "staff", "library")
"""Placeholders askdesk fills itself; ``[variables]`` may not reuse these names."""
NEXT_OPEN = "next_open"
"""When the library next opens ("tomorrow at 9:00"), worked out from ``[library] hours``
as the reply is written; "soon" without them. A ``[variables]`` value wins."""
HOURS = "hours"
"""The week's opening hours in words, from ``[library] hours`` unless ``[variables]`` says."""

QUICK_KEYS = tuple("123456789")
_TEMPLATE_KEYS = ("name", "body", "key", "variants", "type", "read", "fields", "out_of_hours")
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Template:
    """One stock reply; ``question_type``, ``read`` and ``fields`` are what resolving proposes."""

    name: str
    body: str
    key: str | None = None
    """The quick key, "1" to "9", that picks it in the template picker."""
    variants: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Platform -> body, for a short Twitter/X reply or a longer email."""
    question_type: str | None = None
    read: int | None = None
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Answers it proposes to the library's ``[[stats.fields]]``: field name -> choice."""
    out_of_hours: bool = False
    """Offered first for a question asked while the library is closed (``[library] hours``)."""

    def body_for(self, platform: str) -> str:
        """The text used on ``platform``: its variant, else the body."""
        return self.variants.get(platform, self.body)


def parse_templates(
    raw: object,
    variables: object,
    where: str,
    fields: Sequence[StatsField] = (),
    worked_out: Sequence[str] = (NEXT_OPEN,),
) -> tuple[tuple[Template, ...], dict[str, str]]:
    """The ``[[templates]]`` and ``[variables]`` of a config, checked; ``where`` names the file.

    ``raw`` and ``variables`` are what TOML gave (``None`` when absent). Any
    bad key, duplicate name or quick key, or placeholder that is neither
    built in, ``worked_out`` (filled from the opening hours) nor a variable
    raises ``ConfigError``, as does a proposed answer that is not a choice of
    one of ``fields`` (the config's ``[[stats.fields]]``).
    """
    values = _parse_variables(variables, where)
    if raw is None:
        return (), values
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: templates should be a list of [[templates]] tables")
    known = (*BUILT_IN, *sorted({*worked_out, *values}))
    templates: list[Template] = []
    names: dict[str, str] = {}
    keys: dict[str, str] = {}
    for number, table in enumerate(raw, start=1):
        template = _parse_template(table, f"templates #{number}", known, where, fields)
        folded = template.name.casefold()
        if folded in names:
            raise ConfigError(f"{where}: template name {template.name!r} is used twice")
        names[folded] = template.name
        if template.key is not None:
            if template.key in keys:
                raise ConfigError(
                    f"{where}: template {template.name!r} key {template.key!r} "
                    f"is already the key of {keys[template.key]!r}"
                )
            keys[template.key] = template.name
        templates.append(template)
    return tuple(templates), values


def render(
    template: Template,
    platform: str,
    *,
    patron: str,
    staff: str,
    library: str,
    variables: Mapping[str, str],
) -> str:
    """The reply text for ``platform``: the platform's variant or the body, filled in.

    A placeholder with no value (a template built in code, not by
    ``parse_templates``) is left as written, braces and all, for staff to see.
    """
    values = {**variables, "patron": patron, "staff": staff, "library": library}
    body = template.body_for(platform)
    try:
        parts = list(_FORMATTER.parse(body))
    except ValueError as error:
        raise ConfigError(f"template {template.name!r} is not a valid template: {error}") from None
    out: list[str] = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name in values and not spec and not conversion:
            out.append(values[name])
        else:
            out.append("{" + _written(name, spec, conversion) + "}")
    return "".join(out)


def _parse_variables(variables: object, where: str) -> dict[str, str]:
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise ConfigError(f'{where}: variables should be a table of name = "text" pairs')
    values: dict[str, str] = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(
                f"{where}: variables.{name} should be a name of letters, digits and '_'"
            )
        if name in BUILT_IN:
            raise ConfigError(
                f"{where}: variables.{name} is filled in by askdesk itself; use another name"
            )
        if not isinstance(value, str):
            raise ConfigError(f"{where}: variables.{name} should be a string, not {value!r}")
        values[name] = value
    return values


def _parse_template(
    table: object, at: str, known: tuple[str, ...], where: str, fields: Sequence[StatsField]
) -> Template:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {at} should be a table")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: {at} needs a name (a non-empty string)")
    name = name.strip()
    label = f"template {name!r}"
    unknown = sorted(set(table) - set(_TEMPLATE_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} in {label} (known: {', '.join(_TEMPLATE_KEYS)})"
        )
    body = table.get("body")
    if not isinstance(body, str) or not body.strip():
        raise ConfigError(f"{where}: {label} needs a body (a non-empty string)")
    _check_placeholders(body, f"{label} body", known, where)
    variants = _parse_variants(table.get("variants"), label, known, where)
    return Template(
        name=name,
        body=body,
        key=_parse_key(table.get("key"), label, where),
        variants=variants,
        question_type=_parse_type(table.get("type"), label, where),
        read=_parse_read(table.get("read"), label, where),
        fields=_parse_fields(table.get("fields"), label, where, fields),
        out_of_hours=_parse_out_of_hours(table.get("out_of_hours", False), label, where),
    )


def _parse_out_of_hours(raw: object, label: str, where: str) -> bool:
    if not isinstance(raw, bool):
        raise ConfigError(f"{where}: {label} out_of_hours should be true or false, not {raw!r}")
    return raw


def _parse_fields(
    raw: object, label: str, where: str, fields: Sequence[StatsField]
) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f'{where}: {label} fields should be a table of field = "choice"')
    by_name = {f.name: f for f in fields}
    proposed: dict[str, str] = {}
    for name, choice in raw.items():
        spec = by_name.get(name)
        if spec is None:
            known = ", ".join(by_name) or "none: the config has no [[stats.fields]]"
            raise ConfigError(
                f"{where}: {label} fields.{name} is not a field of [[stats.fields]] "
                f"(known: {known})"
            )
        if choice not in spec.choices:
            raise ConfigError(
                f"{where}: {label} fields.{name} should be one of {', '.join(spec.choices)}, "
                f"not {choice!r}"
            )
        proposed[name] = choice
    return proposed


def _parse_variants(raw: object, label: str, known: tuple[str, ...], where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f'{where}: {label} variants should be a table of platform = "text"')
    variants: dict[str, str] = {}
    for platform, body in raw.items():
        if platform not in PLATFORMS:
            raise ConfigError(
                f"{where}: {label} has a variant for unknown platform {platform!r} "
                f"(known: {', '.join(PLATFORMS)})"
            )
        if not isinstance(body, str) or not body.strip():
            raise ConfigError(f"{where}: {label} variants.{platform} should be a non-empty string")
        _check_placeholders(body, f"{label} variants.{platform}", known, where)
        variants[platform] = body
    return variants


def _check_placeholders(body: str, what: str, known: tuple[str, ...], where: str) -> None:
    try:
        parts = list(_FORMATTER.parse(body))
    except ValueError as error:
        raise ConfigError(
            f"{where}: {what} has a stray brace ({error}); write a literal brace as {{{{ or }}}}"
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        written = "{" + _written(name, spec, conversion) + "}"
        if spec or conversion or name not in known:
            raise ConfigError(
                f"{where}: {what} uses unknown placeholder {written} "
                f"(known: {', '.join('{' + n + '}' for n in known)})"
            )


def _written(name: str, spec: str | None, conversion: str | None) -> str:
    return name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")


def _parse_key(raw: object, label: str, where: str) -> str | None:
    if raw is None:
        return None
    key = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
    if key not in QUICK_KEYS:
        raise ConfigError(f'{where}: {label} key should be one digit "1" to "9", not {raw!r}')
    return str(key)


def _parse_type(raw: object, label: str, where: str) -> str | None:
    if raw is None:
        return None
    kinds = [kind.value for kind in QuestionType]
    if raw not in kinds:
        raise ConfigError(f"{where}: {label} type should be one of {', '.join(kinds)}, not {raw!r}")
    return str(raw)


def _parse_read(raw: object, label: str, where: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw not in READ_LEVELS:
        raise ConfigError(f"{where}: {label} read should be a READ level 1 to 6, not {raw!r}")
    return raw


STARTER_TEMPLATES_TOML = r'''# Starter reply templates: copy them into your config and change
# the [variables] to your library's own. askdesk fills in {patron}, {staff}, {library}
# and {next_open}; with [library] hours, {hours} too.
# A backslash at the end of a line joins it to the next; write a brace as {{ or }}.

[variables]
hours = "Mon-Thu 9am-8pm, Fri-Sat 9am-5pm, Sun 1pm-5pm"
hours_url = "https://example.org/hours"
website = "https://example.org"
card_url = "https://example.org/card"
account_url = "https://example.org/account"
catalog_url = "https://example.org/catalog"
phone = "555-0100"
email = "ask@example.org"
hold_days = "7"
renewals = "2"

[[templates]]
name = "Hours"
key = "1"
type = "directional"
read = 1
body = """\
Hi {patron}, we're open {hours}. Branch and holiday hours are at {hours_url}. \
- {staff}, {library}"""

[templates.variants]
twitter = "Hi {patron}! We're open {hours}. Holiday and branch hours: {hours_url} ^{staff}"
bluesky = "Hi {patron}! We're open {hours}. Holiday and branch hours: {hours_url} ^{staff}"
sms = "We're open {hours}. Holiday and branch hours: {hours_url} - {staff}"

[[templates]]
name = "Renewal"
key = "2"
type = "policy"
read = 1
body = """\
Hi {patron}, you can renew most items up to {renewals} times unless someone has a hold \
on them. Sign in at {account_url} with your card number and PIN, or call us at {phone}. \
- {staff}, {library}"""

[templates.variants]
twitter = """\
Hi {patron}! Most items renew up to {renewals} times if no one is waiting for them. \
Sign in at {account_url} or call {phone}. ^{staff}"""
bluesky = """\
Hi {patron}! Most items renew up to {renewals} times if no one is waiting for them. \
Sign in at {account_url} or call {phone}. ^{staff}"""
sms = """\
Most items renew up to {renewals} times if no one is waiting. Renew at {account_url} \
or call {phone}. - {staff}"""
email = """\
Dear {patron},

Thank you for getting in touch. You can renew most items up to {renewals} times, \
as long as no one else has placed a hold on them.

To renew, sign in to your account at {account_url} with your library card number \
and PIN, open "Checked out" and choose Renew. If an item will not renew, call us \
on {phone} and we will tell you why.

Best wishes,
{staff}
{library}
{website}"""

[[templates]]
name = "Hold pickup"
key = "3"
type = "policy"
read = 2
body = """\
Hi {patron}, your hold goes to the pickup branch you chose when you placed it, and we'll \
let you know when it's ready. It waits on the holds shelf for {hold_days} days. You can \
change the pickup branch at {account_url} until the item is on its way. \
- {staff}, {library}"""

[templates.variants]
twitter = """\
Hi {patron}! Holds wait {hold_days} days at the pickup branch you chose. To change it, \
sign in at {account_url} before the item is on its way. ^{staff}"""
bluesky = """\
Hi {patron}! Holds wait {hold_days} days at the pickup branch you chose. To change it, \
sign in at {account_url} before the item is on its way. ^{staff}"""
sms = """\
Holds wait {hold_days} days at the pickup branch you chose. To change it, sign in at \
{account_url} before it ships. - {staff}"""
email = """\
Dear {patron},

Thank you for your message. A hold goes to the pickup branch you chose when you placed \
it, and we let you know by email or text as soon as it is ready. It then waits on the \
holds shelf for {hold_days} days.

You can change the pickup branch yourself until the item is on its way: sign in at \
{account_url}, open "Holds" and choose "Change pickup location". If the item is already \
in transit, reply to this message and we will do our best to redirect it.

Best wishes,
{staff}
{library}
{phone}"""

[[templates]]
name = "Library card"
key = "4"
type = "policy"
read = 1
body = """\
Hi {patron}, you can sign up for a free library card at {card_url} and borrow e-books \
right away. Bring photo ID and proof of address to any branch for the physical card. \
- {staff}, {library}"""

[templates.variants]
twitter = """\
Hi {patron}! Sign up for a free card at {card_url} and borrow e-books today. Bring ID \
and proof of address to any branch for the physical card. ^{staff}"""
bluesky = """\
Hi {patron}! Sign up for a free card at {card_url} and borrow e-books today. Bring ID \
and proof of address to any branch for the physical card. ^{staff}"""
sms = """\
Get a free card at {card_url} and borrow e-books today. For the physical card, bring ID \
and proof of address to a branch. - {staff}"""

[[templates]]
name = "Reading suggestions follow-up"
key = "5"
type = "readers-advisory"
read = 2
body = """\
Hi {patron}, how are you getting on with the books we suggested? If you'd like more, \
tell us one you loved and what you liked about it, and we'll find a few more. Our staff \
picks are at {catalog_url}. - {staff}, {library}"""

[templates.variants]
twitter = """\
Hi {patron}! How are you getting on with those books? Tell us one you loved and we'll \
suggest more. ^{staff}"""
bluesky = """\
Hi {patron}! How are you getting on with those books? Tell us one you loved and we'll \
suggest more. ^{staff}"""
email = """\
Dear {patron},

We hope you are enjoying the books we suggested. If you would like more, reply with a \
title you loved and what you liked about it (the characters, the setting, the pace), \
and we will put together a few more suggestions.

You can also browse our staff picks and reading lists at {catalog_url}.

Happy reading,
{staff}
{library}"""

[[templates]]
name = "We'll get back to you"
key = "6"
body = """\
Hi {patron}, thanks for your question! We're looking into it and will get back to you \
as soon as we can. - {staff}, {library}"""

[templates.variants]
twitter = "Thanks, {patron}! We're looking into this and will get back to you soon. ^{staff}"
bluesky = "Thanks, {patron}! We're looking into this and will get back to you soon. ^{staff}"
sms = "Thanks! We're looking into this and will get back to you soon. - {staff}, {library}"

[[templates]]
name = "Move to private message"
key = "7"
body = """\
Hi {patron}, we'd be glad to help. So that we can look at your account without sharing \
your details in public, please send us a private message, email {email} or call \
{phone}. - {staff}, {library}"""

[templates.variants]
twitter = """\
Hi {patron}, happy to help! To keep your account details private, please send us a DM \
or email {email}. ^{staff}"""
bluesky = """\
Hi {patron}, happy to help! To keep your account details private, please email {email} \
or call {phone}. ^{staff}"""
mastodon = """\
Hi {patron}, happy to help! To keep your account details private, please send us a \
private mention or email {email}. - {staff}"""

[[templates]]
name = "Polite close"
key = "8"
type = "other"
read = 1
body = """\
Thank you for your feedback, {patron}. We've shared it with our team. If there's \
anything we can help you with, you can reach us at {email} or {phone}. \
- {staff}, {library}"""

[templates.variants]
twitter = """\
Thank you for the feedback, {patron}; we've passed it on. If we can help with anything, \
we're at {email}. ^{staff}"""
bluesky = """\
Thank you for the feedback, {patron}; we've passed it on. If we can help with anything, \
we're at {email}. ^{staff}"""

[[templates]]
name = "Out of hours"
key = "9"
out_of_hours = true
body = """\
Hi {patron}, thanks for your question! The library is closed just now; we open again \
{next_open} and will answer you then. Our opening hours are {hours}. - {staff}, {library}"""

[templates.variants]
twitter = """\
Thanks, {patron}! We're closed just now and open again {next_open}; we'll answer you \
then. ^{staff}"""
bluesky = """\
Thanks, {patron}! We're closed just now and open again {next_open}; we'll answer you \
then. ^{staff}"""
sms = """\
Thanks for your question! We're closed just now and open again {next_open}; we'll \
answer you then. - {staff}, {library}"""
'''
"""The starter set as TOML: ``[variables]`` and nine ``[[templates]]`` on quick keys 1-9."""


def starter_templates() -> tuple[tuple[Template, ...], dict[str, str]]:
    """The starter set, for a config that has no templates of its own."""
    data = tomllib.loads(STARTER_TEMPLATES_TOML)
    return parse_templates(data.get("templates"), data.get("variables"), "the starter templates")


def load_templates(
    tables: TemplateTables, fields: Sequence[StatsField] = (), hours: OpeningHours | None = None
) -> tuple[tuple[Template, ...], dict[str, str]]:
    """The config's templates and variables, checked; the starter set when none are configured.

    ``fields`` are the config's ``[[stats.fields]]``, which templates may propose answers to.
    With ``hours`` (``[library] hours``) ``{hours}`` says them, unless the
    config's own ``[variables]`` gives ``hours``: the starter set's example
    text never hides the library's real hours.
    """
    worked_out = (NEXT_OPEN, HOURS) if hours is not None else (NEXT_OPEN,)
    if tables.templates is None:
        templates, variables = starter_templates()
        if hours is not None:
            del variables[HOURS]
        variables.update(parse_templates(None, tables.variables, tables.where)[1])
    else:
        templates, variables = parse_templates(
            tables.templates, tables.variables, tables.where, fields, worked_out
        )
    if hours is not None:
        variables.setdefault(HOURS, hours.describe())
    return templates, variables
