"""Reply lengths, counted the way each platform counts them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from askdesk.desk.compose import ReplySettings
from askdesk.desk.limits import Measure, graphemes, measure
from askdesk.model import Conversation, Kind, Message
from tests.conftest import NOW

LONG_URL = "https://catalog.example.org/search?query=the+left+hand+of+darkness&format=ebook"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man, woman, girl, boy
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # thumbs up + skin tone modifier
FLAG_JP = "\U0001f1ef\U0001f1f5"  # two regional indicators
E_ACUTE_COMBINING = "e\u0301"


def used(text: str, platform: str) -> int:
    return measure(text, platform).used


# Twitter/X: twitter-text v3 weighting.


def test_twitter_280_ascii_characters_fit_and_281_do_not() -> None:
    assert measure("a" * 280, "twitter") == Measure(280, 280, "characters")
    assert not measure("a" * 280, "twitter").over
    assert measure("a" * 281, "twitter").over


def test_twitter_counts_any_url_as_23() -> None:
    assert len(LONG_URL) > 23
    assert used(f"Try {LONG_URL}", "twitter") == len("Try ") + 23
    assert used("https://t.co", "twitter") == 23


def test_twitter_counts_a_bare_domain_as_a_url() -> None:
    assert used("see example.org", "twitter") == len("see ") + 23


@pytest.mark.parametrize(
    "emoji",
    ["\U0001f600", FAMILY, THUMBS_MEDIUM, FLAG_JP, "\u2764\ufe0f"],
    ids=["grinning", "zwj-family", "skin-tone", "flag", "heart-vs16"],
)
def test_twitter_counts_every_emoji_sequence_as_2(emoji: str) -> None:
    # twitter-text v3 (emoji_parsing_enabled): a whole emoji sequence is one
    # character of the default weight 2, however many code points it holds.
    assert used(emoji, "twitter") == 2


def test_twitter_counts_cjk_as_2() -> None:
    assert used("日本語", "twitter") == 6
    assert measure("字" * 140, "twitter") == Measure(280, 280, "characters")
    assert measure("字" * 141, "twitter").over


def test_twitter_counts_latin_accents_as_1_in_either_normal_form() -> None:
    assert used("café", "twitter") == 4
    assert used("cafe\u0301", "twitter") == 4  # NFC-normalized before counting


def test_twitter_counts_characters_outside_the_light_ranges_as_2() -> None:
    # Only U+0000-10FF, U+2000-200D, U+2010-201F and U+2032-2037 weigh 1:
    # an ellipsis (U+2026) or a bullet (U+2022) weighs 2 like CJK.
    assert used("\u2026", "twitter") == 2
    assert used("\u201chi\u201d", "twitter") == 4


# Mastodon: graphemes, a link with a scheme is 23, a remote mention is its @user.


def test_mastodon_counts_links_as_23_and_remote_mentions_short() -> None:
    text = f"@jkim@mastodon.social see {LONG_URL}"
    assert used(text, "mastodon") == len("@jkim see ") + 23


def test_mastodon_counts_a_bare_domain_in_full() -> None:
    assert used("see example.org", "mastodon") == len("see example.org")


def test_mastodon_counts_graphemes_and_takes_the_instance_limit() -> None:
    assert used(FAMILY + E_ACUTE_COMBINING, "mastodon") == 2
    assert measure("a" * 500, "mastodon") == Measure(500, 500, "characters")
    assert measure("a" * 501, "mastodon").over
    assert not measure("a" * 501, "mastodon", mastodon_limit=1000).over


# Bluesky: 300 grapheme clusters; links count in full.


def test_bluesky_300_graphemes_with_combining_marks_fit() -> None:
    text = E_ACUTE_COMBINING * 300
    assert len(text) == 600
    assert measure(text, "bluesky") == Measure(300, 300, "graphemes")
    assert measure(text + "e", "bluesky").over


def test_bluesky_counts_flags_and_zwj_sequences_as_one() -> None:
    assert measure(FLAG_JP * 300, "bluesky") == Measure(300, 300, "graphemes")
    assert used(FAMILY, "bluesky") == 1
    assert used(THUMBS_MEDIUM, "bluesky") == 1
    assert graphemes("日本語") == 3


def test_bluesky_counts_a_url_in_full() -> None:
    assert used(LONG_URL, "bluesky") == len(LONG_URL)


# SMS: GSM-7 septets or UCS-2 units, per segment.


def test_sms_160_gsm_characters_are_one_segment_and_161_are_two() -> None:
    one = measure("a" * 160, "sms")
    assert (one.used, one.limit, one.unit, one.encoding) == (1, 10, "segments", "GSM-7")
    assert one.label() == "1 segment (SMS, 160/160 characters)"
    two = measure("a" * 161, "sms")
    assert (two.used, two.segment_size) == (2, 153)
    assert two.label() == "2 segments (SMS, 153 characters each)"
    assert used("a" * 306, "sms") == 2
    assert used("a" * 307, "sms") == 3


def test_sms_gsm_basic_set_letters_stay_gsm() -> None:
    assert measure("Añoranza, Ørsted, Ünal, àbc, ¿qué? 100£ @home", "sms").encoding == "GSM-7"


def test_sms_extension_characters_count_two_septets() -> None:
    assert measure("€" * 80, "sms").characters == 160
    assert used("€" * 80, "sms") == 1
    assert used("€" + "a" * 159, "sms") == 2
    assert measure("[]{}|~^\\", "sms").characters == 16


def test_sms_never_splits_an_escape_pair_across_segments() -> None:
    # 306 septets would be two segments of 153, but the € straddles the first boundary.
    text = "a" * 152 + "€" + "a" * 152
    assert measure(text, "sms").characters == 306
    assert used(text, "sms") == 3


def test_sms_one_emoji_switches_to_ucs2() -> None:
    text = "a" * 68 + "\U0001f600"  # 70 UTF-16 units: the emoji is a surrogate pair
    single = measure(text, "sms")
    assert (single.used, single.encoding, single.characters) == (1, "UCS-2", 70)
    assert single.label() == "1 segment (SMS, 70/70 characters, Unicode)"
    double = measure("a" * 69 + "\U0001f600", "sms")
    assert (double.used, double.segment_size) == (2, 67)
    assert double.label() == "2 segments (SMS, 67 characters each, Unicode)"


def test_sms_a_curly_apostrophe_is_unicode_too() -> None:
    assert measure("We\u2019re open", "sms").encoding == "UCS-2"


def test_sms_never_splits_a_surrogate_pair_across_segments() -> None:
    # 134 units would be two segments of 67, but 67 is odd: 33 emoji fit in each.
    assert used("\U0001f600" * 67, "sms") == 3


def test_sms_over_the_segment_limit() -> None:
    over = measure("a" * (153 * 10 + 1), "sms")
    assert (over.used, over.over) == (11, True)
    assert over.label() == "11 segments, limit 10 (SMS, 153 characters each)"
    assert not measure("a" * (153 * 10 + 1), "sms", sms_max_segments=11).over


def test_sms_empty_text_is_no_segments() -> None:
    assert used("", "sms") == 0


# Everything else.


def test_facebook_allows_2000_characters() -> None:
    assert measure("a" * 2000, "facebook").label() == "2,000/2,000"
    assert measure("a" * 2001, "facebook").over


@pytest.mark.parametrize("platform", ["email", "chat", "drop", "webform"])
def test_unlimited_platforms_count_characters(platform: str) -> None:
    long = measure("a" * 1204, platform)
    assert (long.limit, long.over, long.label()) == (None, False, "1,204 characters")
    assert measure("a", platform).label() == "1 character"


def test_label_with_a_limit() -> None:
    assert measure("a" * 212, "twitter").label() == "212/280"
    assert Measure(212, 300, "graphemes").label() == "212/300"


# What the composer counts is what will be posted.


def _mention_on_x(author: str) -> Conversation:
    message = Message(
        channel="x",
        remote_id="1",
        kind=Kind.MENTION,
        author=author,
        text="Open today?",
        received_at=NOW,
    )
    return Conversation(key=message.key, channel="x", kind=Kind.MENTION, messages=(message,))


def test_a_public_reply_on_x_counts_the_handle_it_will_be_led_by() -> None:
    settings = ReplySettings(platforms={"x": "twitter"}, private_routes=frozenset({"x"}))
    conversation = _mention_on_x("@patron_handle")
    text = "a" * (280 - len("@patron_handle "))
    assert settings.measure(text, conversation).used == 280
    assert settings.too_long(text, conversation) is None
    assert settings.too_long(text + "a", conversation) is not None
    # A DM carries no handle, and a text that names the patron gets none added.
    assert settings.measure(text + "a", conversation, private=True).used == len(text) + 1
    assert settings.measure("Hi @patron_handle!", conversation).used == len("Hi @patron_handle!")


def test_a_bluesky_chat_message_counts_against_1000_graphemes_and_a_post_300() -> None:
    settings = ReplySettings(platforms={"bsky": "bluesky"}, private_routes=frozenset({"bsky"}))
    post = Message(
        channel="bsky",
        remote_id="at://did:plc:patron/app.bsky.feed.post/3lpost",
        kind=Kind.MENTION,
        author="@patron.bsky.social",
        text="Open today?",
        received_at=NOW,
    )
    mention = Conversation(key=post.key, channel="bsky", kind=Kind.MENTION, messages=(post,))
    chat = replace(post, remote_id="chat:3lconvo:3lmsg", kind=Kind.DIRECT)
    direct = Conversation(key=chat.key, channel="bsky", kind=Kind.DIRECT, messages=(chat,))
    text = "a" * 1000
    assert settings.measure(text, mention).label() == "1,000/300"
    assert settings.too_long(text, mention) is not None
    assert settings.measure(text, mention, private=True).label() == "1,000/1,000"
    assert settings.too_long(text, direct) is None
    assert settings.too_long(text + "a", direct) is not None
