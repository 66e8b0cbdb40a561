"""The out-of-hours template: offered first for a question asked while the library is closed,
``{next_open}`` and ``{hours}`` filled from ``[library] hours`` (a ``[variables]`` value wins)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from askdesk.clock import FixedClock
from askdesk.config import TemplateTables
from askdesk.desk import Desk
from askdesk.desk.compose import ReplySettings
from askdesk.desk.templates import load_templates
from askdesk.errors import ConfigError
from askdesk.model import Conversation
from askdesk.model.opening_hours import parse_hours
from askdesk.store import TinyDBStore
from tests.desk.statsweek import message

LONDON_HOURS = {
    "mon": "9:00-17:00",
    "tue": "9:00-17:00",
    "wed": "9:00-17:00",
    "thu": "9:00-17:00",
    "fri": "9:00-17:00",
    "sat": "10:00-13:00",
}
HOURS = parse_hours(LONDON_HOURS)
WEEK = "Mon-Fri 9:00-17:00, Sat 10:00-13:00, Sun closed"
WHERE = "/etc/askdesk.toml"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` of November 2026: the 16th is a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def settings(variables: dict[str, str] | None = None, hours: bool = True) -> ReplySettings:
    templates, values = load_templates(
        TemplateTables(None, variables, WHERE), (), HOURS if hours else None
    )
    return ReplySettings(
        templates=templates,
        variables=values,
        library="Anytown Public Library",
        hours=HOURS if hours else None,
        tz=UTC,
    )


def asked(tmp_path: Path, when: datetime) -> Conversation:
    """A question that came in at ``when`` and waits in New."""
    desk = Desk(TinyDBStore(tmp_path / "desk.json"), "ana", FixedClock(when))
    desk.ingest([message("web", "q1", when, author="Jordan Kim")])
    conversation = desk.store.get("web:q1")
    assert conversation is not None
    return conversation


def test_the_starter_set_has_an_out_of_hours_template() -> None:
    out_of_hours = [t for t in settings().templates if t.out_of_hours]
    assert [(t.name, t.key) for t in out_of_hours] == [("Out of hours", "9")]


@pytest.mark.parametrize(
    ("question", "now", "first"),
    [
        (utc(16, 23, 10), utc(16, 23, 30), "Out of hours"),  # asked at night, answered then
        (utc(21, 14, 0), utc(22, 11, 0), "Out of hours"),  # Saturday afternoon, Sunday
        (utc(16, 23, 10), utc(17, 9, 5), "Hours"),  # the library has opened since
        (utc(16, 16, 50), utc(16, 17, 30), "Hours"),  # asked while open
    ],
)
def test_a_question_asked_while_closed_is_offered_the_out_of_hours_template_first(
    tmp_path: Path, question: datetime, now: datetime, first: str
) -> None:
    conversation = asked(tmp_path, question)
    proposal = settings().proposed(conversation, now)
    assert proposal.templates[0].name == first
    assert sorted(t.name for t in proposal.templates) == sorted(
        t.name for t in settings().templates
    )
    if first == "Out of hours":
        assert proposal.why_first == "asked while the library is closed"
    else:
        assert proposal.why_first is None


def test_without_hours_nothing_is_reordered(tmp_path: Path) -> None:
    conversation = asked(tmp_path, utc(16, 23, 10))
    proposal = settings(hours=False).proposed(conversation, utc(16, 23, 30))
    assert proposal.templates[0].name == "Hours"
    assert proposal.why_first is None


def test_next_open_and_hours_are_filled_from_the_opening_hours(tmp_path: Path) -> None:
    """Friday 20:00: closed all weekend but Saturday morning."""
    reply_settings = settings()
    conversation = asked(tmp_path, utc(20, 19, 55))
    (template,) = [t for t in reply_settings.templates if t.out_of_hours]
    text = reply_settings.render(template, conversation, "ana", utc(20, 20, 0))
    assert "we open again tomorrow at 10:00 and will answer you then" in text
    assert f"Our opening hours are {WEEK}." in text
    hours_template = reply_settings.template("Hours")
    assert f"we're open {WEEK}." in reply_settings.render(
        hours_template, conversation, "ana", utc(20, 20, 0)
    )


def test_a_variables_value_wins_over_the_opening_hours(tmp_path: Path) -> None:
    reply_settings = settings({"hours": "see our website", "next_open": "on Monday"})
    conversation = asked(tmp_path, utc(20, 19, 55))
    text = reply_settings.render(
        reply_settings.template("Out of hours"), conversation, "ana", utc(20, 20, 0)
    )
    assert "we open again on Monday and" in text
    assert "Our opening hours are see our website." in text


def test_without_hours_next_open_says_soon_and_hours_is_the_variable(tmp_path: Path) -> None:
    reply_settings = settings(hours=False)
    conversation = asked(tmp_path, utc(20, 19, 55))
    text = reply_settings.render(
        reply_settings.template("Out of hours"), conversation, "ana", utc(20, 20, 0)
    )
    assert "we open again soon and will answer you then" in text
    assert "{" not in text and "Mon-Thu 9am-8pm" in text  # the starter set's example hours


def test_the_library_own_templates_may_use_hours_only_when_they_are_known() -> None:
    """``{next_open}`` is always known; ``{hours}`` with ``[library] hours`` or a variable."""
    own = [{"name": "Closed", "body": "Back {next_open}. Hours: {hours}", "out_of_hours": True}]
    templates, variables = load_templates(TemplateTables(own, None, WHERE), (), HOURS)
    assert templates[0].out_of_hours and variables["hours"] == WEEK
    with pytest.raises(ConfigError, match=r"unknown placeholder \{hours\}"):
        load_templates(TemplateTables(own, None, WHERE), (), None)


def test_out_of_hours_must_be_true_or_false() -> None:
    own = [{"name": "Closed", "body": "Back {next_open}.", "out_of_hours": "yes"}]
    with pytest.raises(ConfigError) as error:
        load_templates(TemplateTables(own, None, WHERE), (), HOURS)
    assert str(error.value) == (
        f"{WHERE}: template 'Closed' out_of_hours should be true or false, not 'yes'"
    )
