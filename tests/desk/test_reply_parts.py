"""A filled-in template as greeting, answer and sign-off, on every platform's variant."""

from __future__ import annotations

import pytest

from askdesk.desk.reply_parts import split_reply
from askdesk.desk.templates import render, starter_templates


@pytest.mark.parametrize(
    ("text", "greeting", "sign_off"),
    [
        ("Hi @sam, we're open 9-5. - ana, Anytown Library", "Hi @sam, ", " - ana, Anytown Library"),
        ("Hi @sam! Open 9-5. ^ana", "Hi @sam! ", " ^ana"),
        ("Open 9-5. - ana", "", " - ana"),
        (
            "Dear Sam,\n\nOpen 9-5.\n\nBest wishes,\nana\nAnytown",
            "Dear Sam,\n\n",
            "\n\nBest wishes,\nana\nAnytown",
        ),
        ("Open 9-5.", "", ""),
        ("Ask Diana at the desk.", "", ""),  # "ana" inside a word
        ("Hi @sam, ask ana at the desk.", "Hi @sam, ", ""),  # the name, but no sign-off
    ],
)
def test_split(text: str, greeting: str, sign_off: str) -> None:
    patron = "Sam" if "Dear" in text else "@sam"
    parts = split_reply(text, patron, "ana")
    assert (parts.greeting, parts.sign_off) == (greeting, sign_off)
    assert parts.greeting + parts.answer + parts.sign_off == text


def test_every_starter_template_has_its_answer_between_greeting_and_sign_off() -> None:
    templates, variables = starter_templates()
    for template in templates:
        for platform in ("twitter", "mastodon", "bluesky", "sms", "email"):
            text = render(
                template,
                platform,
                patron="@sam",
                staff="ana",
                library="Anytown",
                variables=variables,
            )
            parts = split_reply(text, "@sam", "ana")
            assert "ana" in parts.sign_off, (template.name, platform, text)
            assert "ana" not in parts.answer and parts.answer.strip()
