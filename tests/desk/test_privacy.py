"""Personal data in a public reply is found before it goes out."""

from __future__ import annotations

import re

import pytest

from askdesk.desk.privacy import compile_patterns, personal_data
from askdesk.errors import ConfigError

CARD = r"(?P<library_card_number>\b2 ?\d{4} ?\d{5} ?\d{4}\b)"


def test_an_email_address_is_found() -> None:
    assert personal_data("Sent to jkim@example.org, thanks!") == [
        "an email address (jkim@example.org)"
    ]


def test_a_fediverse_handle_is_not_an_email_address() -> None:
    assert personal_data("Thanks @jkim@mastodon.social!") == []


@pytest.mark.parametrize(
    "phone",
    [
        "555-0142",
        "555 0142",
        "503-555-0142",
        "(503) 555-0142",
        "(503)555-0142",
        "503.555.0142",
        "1-800-555-0199",
        "+1 (503) 555-0142",
        "+1 503 555 0142",
        "+15035550142",
        "+44 20 7946 0958",
        "+33 1 23 45 67 89",
        "01 23 45 67 89",
        "+49 30 12345678",
    ],
)
def test_phone_numbers_are_found(phone: str) -> None:
    assert personal_data(f"Call me on {phone}, please.") == [f"a phone number ({phone})"]


@pytest.mark.parametrize(
    "text",
    [
        "We reopen in 2026.",
        "Copies from 1990-2026 are in the archive.",
        "Due back 2026-03-14 or 14.03.2026 or 03/14/2026.",
        "Open 9.30-17.00, lunch 12:30.",
        "ISBN 978-0-14-303943-3, also 0-14-303943-3 and 0-8044-2957-X.",
        "ISBN 9780143039433",
        "Try 973.7349 or 305.896073 in non-fiction.",
        "The fine is $1,234.56 on 12 items.",
        "Pages 12-15 and 120-135.",
        "Your request 5035550142 is queued.",
        "Room 101, floor 3.",
        "See https://example.org/items/555-0142-0199 for details.",
    ],
)
def test_years_dates_isbns_and_short_numbers_are_left_alone(text: str) -> None:
    assert personal_data(text) == []


def test_a_year_in_front_of_a_phone_number_is_not_part_of_it() -> None:
    assert personal_data("In 2026 555-0142 was our line") == ["a phone number (555-0142)"]


def test_findings_come_in_reading_order_once_each() -> None:
    text = "Call 555-0142 or write to a@example.org; again: 555-0142"
    assert personal_data(text) == [
        "a phone number (555-0142)",
        "an email address (a@example.org)",
    ]


def test_a_configured_pattern_names_itself_by_its_group() -> None:
    assert personal_data("Your card 2 1234 56789 0123 is renewed", [CARD]) == [
        "a library card number (2 1234 56789 0123)"
    ]


def test_a_configured_pattern_without_a_name_is_a_card_or_account_number() -> None:
    assert personal_data("Account 21234567890123 is clear", [r"\b2\d{13}\b"]) == [
        "a library card or account number (21234567890123)"
    ]


def test_a_group_name_starting_with_a_vowel_reads_an() -> None:
    found = personal_data("acct A-99812", [r"(?P<account_number>A-\d{5})"])
    assert found == ["an account number (A-99812)"]


def test_the_library_own_details_are_not_reported() -> None:
    text = "Call us on 555-0100 or email ask@example.org; we have 555-0142 on file"
    assert personal_data(text, known=["555-0100", "ask@example.org", "9-5"]) == [
        "a phone number (555-0142)"
    ]


def test_compile_patterns_compiles_valid_patterns() -> None:
    compiled = compile_patterns([CARD, r"P\d{6}"], "config.toml")
    assert [p.pattern for p in compiled] == [CARD, r"P\d{6}"]
    assert all(isinstance(p, re.Pattern) for p in compiled)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (
            r"(\d{4}",
            "config.toml: privacy pattern #2 '(\\\\d{4}' is not a valid regular expression",
        ),
        ("", "config.toml: privacy pattern #2 should be a non-empty string"),
    ],
)
def test_compile_patterns_names_a_bad_pattern(pattern: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        compile_patterns([CARD, pattern], "config.toml")
    assert str(caught.value).startswith(expected)
