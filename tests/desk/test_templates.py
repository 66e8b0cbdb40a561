"""Reply templates: checked when the config loads, filled in per platform."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from askdesk.desk.limits import measure
from askdesk.desk.templates import (
    NEXT_OPEN,
    STARTER_TEMPLATES_TOML,
    Template,
    parse_templates,
    render,
    starter_templates,
)
from askdesk.errors import ConfigError
from askdesk.model import QuestionType

WHERE = "/home/desk/.config/askdesk/config.toml"
VARIABLES = {"hours": "9-5", "website": "https://example.org"}

# Realistic worst cases: a 15-character X handle, a long Bluesky handle, a
# double-barrelled staff name and a long library name.
PATRONS = {"twitter": "@averylonghandle", "bluesky": "@averylonghandle.bsky.social"}
STAFF = "Anna-Katharina Okonkwo"
LIBRARY = "Riverside County Public Library"


def table(**fields: Any) -> dict[str, Any]:
    return {"name": "Hours", "body": "Hi {patron}, we're open {hours}.", **fields}


def parse_one(**fields: Any) -> Template:
    templates, _ = parse_templates([table(**fields)], VARIABLES, WHERE)
    return templates[0]


def config_error(raw: object, variables: object = VARIABLES) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_templates(raw, variables, WHERE)
    message = str(caught.value)
    assert message.startswith(f"{WHERE}: ")
    assert "\n" not in message
    return message


def fill(template: Template, platform: str, variables: dict[str, str]) -> str:
    return render(
        template,
        platform,
        patron=PATRONS.get(platform, "Jordan Kim"),
        staff=STAFF,
        library=LIBRARY,
        variables=variables,
    )


# Parsing.


def test_a_full_template_parses() -> None:
    template = parse_one(
        key="1",
        variants={"twitter": "Open {hours} ^{staff}", "email": "Dear {patron},\n\n{hours}"},
        type="directional",
        read=1,
    )
    assert template == Template(
        name="Hours",
        body="Hi {patron}, we're open {hours}.",
        key="1",
        variants={"twitter": "Open {hours} ^{staff}", "email": "Dear {patron},\n\n{hours}"},
        question_type="directional",
        read=1,
    )


def test_variables_come_back_and_missing_sections_are_empty() -> None:
    assert parse_templates(None, None, WHERE) == ((), {})
    assert parse_templates([], VARIABLES, WHERE) == ((), VARIABLES)


def test_a_quick_key_may_be_written_as_a_number() -> None:
    assert parse_one(key=3).key == "3"


def test_templates_are_hashable() -> None:
    assert len({parse_one(variants={"sms": "{hours}"}), parse_one()}) == 2


@pytest.mark.parametrize(
    ("body", "placeholder"),
    [
        ("Open {hourz}", "{hourz}"),
        ("Hi {}", "{}"),
        ("Hi {0}", "{0}"),
        ("Hi {patron.name}", "{patron.name}"),
        ("Hi {patron:>20}", "{patron:>20}"),
        ("Hi {patron!r}", "{patron!r}"),
    ],
)
def test_an_unknown_placeholder_names_the_template_and_the_placeholder(
    body: str, placeholder: str
) -> None:
    message = config_error([table(body=body)])
    assert "'Hours'" in message
    assert placeholder in message
    assert "{patron}, {staff}, {library}, {hours}, {next_open}, {website}" in message


@pytest.mark.parametrize("body", ["Open {", "Open }", "Open {hours", "Open {hours}}"])
def test_a_stray_brace_is_an_error(body: str) -> None:
    message = config_error([table(body=body)])
    assert "'Hours' body has a stray brace" in message
    assert "{{" in message


def test_doubled_braces_are_literal() -> None:
    template = parse_one(body="Use {{curly}} braces, {patron}")
    assert fill(template, "email", VARIABLES) == "Use {curly} braces, Jordan Kim"


def test_a_bad_placeholder_in_a_variant_names_the_variant() -> None:
    message = config_error([table(variants={"twitter": "Open {hourz} ^{staff}"})])
    assert "template 'Hours' variants.twitter uses unknown placeholder {hourz}" in message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"keys": "1"}, "unknown key 'keys' in template 'Hours'"),
        ({"name": ""}, "templates #1 needs a name"),
        ({"name": "   "}, "templates #1 needs a name"),
        ({"name": 5}, "templates #1 needs a name"),
        ({"body": None}, "template 'Hours' needs a body"),
        ({"body": " "}, "template 'Hours' needs a body"),
        ({"key": "0"}, "template 'Hours' key should be one digit"),
        ({"key": "10"}, "template 'Hours' key should be one digit"),
        ({"key": "a"}, "template 'Hours' key should be one digit"),
        ({"key": True}, "template 'Hours' key should be one digit"),
        ({"variants": "short"}, "template 'Hours' variants should be a table"),
        ({"variants": {"twiter": "x"}}, "variant for unknown platform 'twiter'"),
        ({"variants": {"sms": 5}}, "template 'Hours' variants.sms should be a non-empty string"),
        ({"type": "directions"}, "template 'Hours' type should be one of directional, "),
        ({"read": 0}, "template 'Hours' read should be a READ level 1 to 6, not 0"),
        ({"read": 7}, "not 7"),
        ({"read": "3"}, "not '3'"),
        ({"read": True}, "not True"),
    ],
)
def test_a_bad_template_is_one_clear_error(fields: dict[str, Any], expected: str) -> None:
    raw = [{k: v for k, v in table(**fields).items() if v is not None}]
    assert expected in config_error(raw)


def test_names_are_unique_ignoring_case() -> None:
    message = config_error([table(), table(name="hours")])
    assert "template name 'hours' is used twice" in message


def test_quick_keys_are_unique() -> None:
    message = config_error([table(key="1"), table(name="Renewal", key="1")])
    assert "template 'Renewal' key '1' is already the key of 'Hours'" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"name": "Hours"}, "templates should be a list of [[templates]] tables"),
        (["Hours"], "templates #1 should be a table"),
    ],
)
def test_templates_must_be_a_list_of_tables(raw: object, expected: str) -> None:
    assert expected in config_error(raw)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (["hours"], "variables should be a table"),
        ({"hours": 9}, "variables.hours should be a string, not 9"),
        ({"library": "Riverside"}, "variables.library is filled in by askdesk itself"),
        ({"opening-hours": "9-5"}, "variables.opening-hours should be a name"),
    ],
)
def test_bad_variables_are_one_clear_error(variables: object, expected: str) -> None:
    assert expected in config_error([], variables)


def test_question_types_are_the_models_words() -> None:
    for kind in QuestionType:
        assert parse_one(type=kind.value).question_type == kind.value


# Rendering.


def test_render_picks_the_platforms_variant_or_the_body() -> None:
    template = parse_one(variants={"twitter": "{patron}: open {hours} ^{staff}"})
    assert (
        fill(template, "twitter", VARIABLES) == "@averylonghandle: open 9-5 ^Anna-Katharina Okonkwo"
    )
    assert fill(template, "mastodon", VARIABLES) == "Hi Jordan Kim, we're open 9-5."
    assert fill(template, "anything-new", VARIABLES) == "Hi Jordan Kim, we're open 9-5."


def test_render_does_not_reinterpret_braces_in_values() -> None:
    template = parse_one(body="{patron} {hours}")
    assert fill(template, "email", {"hours": "{staff}"}) == "Jordan Kim {staff}"


def test_render_leaves_an_unfilled_placeholder_visible() -> None:
    template = Template(name="Hand-made", body="Hi {patron}, {nope} and {patron:>3}")
    assert fill(template, "email", {}) == "Hi Jordan Kim, {nope} and {patron:>3}"


def test_render_reports_a_hand_made_template_with_a_stray_brace() -> None:
    with pytest.raises(ConfigError, match="'Broken'"):
        fill(Template(name="Broken", body="Hi {"), "email", {})


# The starter set.


def test_the_starter_set_parses_with_quick_keys_1_to_9() -> None:
    templates, variables = starter_templates()
    assert [t.key for t in templates] == [str(n) for n in range(1, 10)]
    assert len({t.name for t in templates}) == 9
    for name in ("hours", "website", "card_url", "phone", "email"):
        assert variables[name]
    data = tomllib.loads(STARTER_TEMPLATES_TOML)
    assert parse_templates(data["templates"], data["variables"], "x") == (templates, variables)


def test_the_starter_set_covers_the_common_questions() -> None:
    names = [t.name for t in starter_templates()[0]]
    assert names == [
        "Hours",
        "Renewal",
        "Hold pickup",
        "Library card",
        "Reading suggestions follow-up",
        "We'll get back to you",
        "Move to private message",
        "Polite close",
        "Out of hours",
    ]


def test_the_starter_set_proposes_resolve_defaults_where_the_reply_answers() -> None:
    by_name = {t.name: t for t in starter_templates()[0]}
    assert (by_name["Hours"].question_type, by_name["Hours"].read) == ("directional", 1)
    assert by_name["Reading suggestions follow-up"].question_type == "readers-advisory"
    assert by_name["We'll get back to you"].question_type is None
    for template in by_name.values():
        assert template.read is None or 1 <= template.read <= 6


@pytest.mark.parametrize("platform", ["twitter", "bluesky"])
def test_every_starter_template_has_a_short_variant_that_fits(platform: str) -> None:
    templates, variables = starter_templates()
    long_values = {
        **variables,
        "hours_url": "https://www.riversidecountylibrary.org/hours",
        NEXT_OPEN: "on Wednesday 30 December at 10:00",
    }
    for template in templates:
        assert platform in template.variants, template.name
        reply = fill(template, platform, long_values)
        assert not measure(reply, platform).over, (template.name, measure(reply, platform))


def test_some_starter_templates_have_a_longer_email_variant() -> None:
    templates, _ = starter_templates()
    emails = [t for t in templates if "email" in t.variants]
    assert len(emails) >= 3
    for template in emails:
        assert len(template.variants["email"]) > len(template.body)
        assert template.variants["email"].startswith("Dear {patron},\n\n")


@pytest.mark.parametrize("platform", ["twitter", "mastodon", "bluesky", "sms", "email", "chat"])
def test_every_starter_template_renders_completely(platform: str) -> None:
    templates, variables = starter_templates()
    variables[NEXT_OPEN] = "tomorrow at 9:00"  # worked out as the reply is written
    for template in templates:
        reply = fill(template, platform, variables)
        assert "{" not in reply and "}" not in reply, template.name
        assert "\\" not in reply, template.name
        assert not measure(reply, platform).over


def test_starter_sms_replies_stay_in_gsm_7() -> None:
    templates, variables = starter_templates()
    variables[NEXT_OPEN] = "tomorrow at 9:00"
    for template in templates:
        assert measure(fill(template, "sms", variables), "sms").encoding == "GSM-7", template.name
