"""A username X would never send: the public reply it leads must not mention anyone else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from askdesk.channels.registry import build_channel
from askdesk.channels.twitter import TwitterChannel
from askdesk.config import ChannelConfig
from tests.channels.twitter_api import XApi, recorded_x_api, tweet_id, use_test_credentials
from tests.conftest import NOW


@pytest.fixture
def x_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[XApi]:
    use_test_credentials(monkeypatch)
    with recorded_x_api() as api:
        yield api


def test_an_author_whose_username_is_no_username_is_set_aside(x_api: XApi) -> None:
    """A public reply starts with the author's ``@username``: 'mallory @mayor_of_anytown'
    would make the library's reply mention the mayor."""
    x_api.answer("users_me")
    x_api.answer("mentions_hostile_username")
    built = build_channel(
        ChannelConfig(type="twitter", name="twitter", options={"direct_messages": False})
    )
    assert isinstance(built, TwitterChannel)
    fetched = built.fetch(None, NOW)
    assert [(m.remote_id, m.author) for m in fetched.messages] == [(tweet_id(8), "@lukewarm_takes")]
    [problem] = fetched.problems
    assert (problem.where, problem.reason) == (
        f"tweet {tweet_id(9)}",
        "its author is not in the response's includes.users; skipped",
    )
