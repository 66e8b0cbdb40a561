"""HTML to plain text: Mastodon's status markup and the HTML of email bodies."""

from __future__ import annotations

from askdesk.channels.html_text import html_to_text


def test_paragraphs_and_line_breaks() -> None:
    markup = "<p>Hello,<br>are you open<br/>on Sunday?</p><p>Thanks!</p>"
    assert html_to_text(markup) == "Hello,\nare you open\non Sunday?\n\nThanks!"


def test_entities_are_decoded_once() -> None:
    markup = "<p>Fish &amp; chips &lt;b&gt; &#x1F41F; caf&eacute; &amp;amp;</p>"
    assert html_to_text(markup) == "Fish & chips <b> \N{FISH} café &amp;"


def test_whitespace_collapses_as_a_browser_would() -> None:
    assert html_to_text("<p>  one\n   two\t three </p>\n\n<p>four</p>") == "one two three\n\nfour"


def test_mastodon_link_is_its_whole_url() -> None:
    markup = (
        '<p>See <a href="https://example.org/catalogue/record/123456789" rel="nofollow">'
        '<span class="invisible">https://</span><span class="ellipsis">example.org/catalogu'
        '</span><span class="invisible">e/record/123456789</span></a> please</p>'
    )
    assert html_to_text(markup) == "See https://example.org/catalogue/record/123456789 please"


def test_mentions_and_hashtags_stay_as_written() -> None:
    markup = (
        '<p><span class="h-card"><a href="https://lib.example/@desk" class="u-url mention">'
        '@<span>desk</span></a></span> where is <a href="https://m.example/tags/ILL" '
        'class="mention hashtag" rel="tag">#<span>ILL</span></a>?</p>'
    )
    assert html_to_text(markup) == "@desk where is #ILL?"


def test_a_link_with_other_words_keeps_both() -> None:
    assert (
        html_to_text('<a href="https://example.org/form">the form</a>')
        == "the form (https://example.org/form)"
    )


def test_scripts_and_styles_are_dropped_lists_are_lines() -> None:
    markup = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<script>alert(1)</script><ul><li>one</li><li>two</li></ul></body></html>"
    )
    assert html_to_text(markup) == "- one\n- two"


def test_markup_inside_text_stays_literal() -> None:
    markup = "<p>&lt;script&gt;x&lt;/script&gt; [bold]hi[/bold] \x1b[31m</p>"
    assert html_to_text(markup) == "<script>x</script> [bold]hi[/bold] \x1b[31m"


def test_preformatted_text_keeps_its_lines() -> None:
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"
