"""Mastodon's length as Mastodon counts it (app/validators/status_length_validator.rb): grapheme
clusters of the text with every URL that its extractor finds (twitter-text's valid_url with
Mastodon's config/initializers/twitter_regex.rb) as 23, and ``@user@domain`` as ``@user``.

Which trailing characters belong to a URL is Mastodon's regex's call, not ours: ASCII sentence
punctuation (``. , ; : ! ? * " '``) never ends a URL; any other non-space character (Arabic ،
and ؟, Persian ؛, », a right-to-left mark) may end a path or a query, so it is counted inside the
23; after a bare domain nothing but the domain is the URL. A URL whose domain twitter-text does
not know (``.example``) is not a URL for Mastodon: every character counts."""

from __future__ import annotations

import pytest

from hrc_outreach.render.lengths import mastodon_chars, over_limit

LINK = "https://humanrightscities.net/gwangju?utm_source=mastodon&utm_medium=social"
JUDGE = "👩🏽‍⚖️"  # one grapheme, 5 code points
FLAG_UA = "🇺🇦"  # one grapheme, 2 code points
RAINBOW = "🏳️‍🌈"  # one grapheme, 4 code points


@pytest.mark.parametrize(
    ("text", "n"),
    [
        # Arabic: the comma after a query or a path is part of the URL (Mastodon's query and
        # path-ending characters take every non-ASCII letter and mark) ...
        ("اقرأ " + LINK + "، شكرا", 5 + 23 + 5),
        ("اقرأ https://humanrightscities.net/gwangju، شكرا", 5 + 23 + 5),
        # ... but not after a bare domain: the URL ends with its TLD
        ("اقرأ https://humanrightscities.net، شكرا", 5 + 23 + 1 + 5),
        ("اقرأ https://humanrightscities.net/gwangju.", 5 + 23 + 1),
        # Persian: ؟ ends the path inside the URL; the ZWNJ of می‌گشاید joins its grapheme
        ("شورا می‌گشاید " + LINK + "؟", 5 + 7 + 1 + 23),
        ("شورا می‌گشاید: https://humanrightscities.net/fa.", 5 + 8 + 1 + 23 + 1),
        # Ukrainian: « is before the URL, » closes the path inside it; ASCII , ! ? . stay out
        ("Читайте «" + LINK + "»", 8 + 1 + 23),
        ("Читайте " + LINK + ", дякуємо!", 8 + 23 + 10),
        ("Читайте https://humanrightscities.net/uk?a=1!", 8 + 23 + 1),
        ("Читайте https://humanrightscities.net/uk?", 8 + 23 + 1),
        # emoji are one each, however many code points
        (JUDGE + FLAG_UA + RAINBOW + " " + LINK + " 📰", 3 + 1 + 23 + 2),
        # a right-to-left mark after the link belongs to it (it is no white space)
        ("\u200fاقرأ " + LINK + "\u200f", 1 + 5 + 23),
        # an unknown top-level domain is no URL for Mastodon: it counts in full
        ("see https://outreach.example/a", 4 + len("https://outreach.example/a")),
        # mentions count without their domain; a link right after a letter is no link
        ("@hrcn@mastodon.social " + LINK, 5 + 1 + 23),
        ("abchttps://humanrightscities.net/x", len("abchttps://humanrightscities.net/x")),
    ],
)
def test_mastodon_counts_as_mastodon_does(text: str, n: int) -> None:
    assert mastodon_chars(text) == n


def test_a_post_of_emoji_and_persian_at_mastodons_limit() -> None:
    body = (JUDGE + "می‌گشاید ") * 55  # 55 x (1 + 7 + 1) = 495 graphemes, 770 code points
    text = body + "\n" + LINK[:4] + "s" + LINK[4:]  # https -> httpss: no URL, counted in full
    assert over_limit("mastodon", body + "\n" + LINK) == (
        "519 characters (URLs as 23), over mastodon's limit of 500"
    )
    assert over_limit("mastodon", body + "ab" + FLAG_UA * 3) is None  # 500
    assert over_limit("mastodon", body + "abcd") is None  # 499: fits (it counted 774 before)
    assert over_limit("mastodon", body + "ab" + FLAG_UA * 5) == (
        "502 characters (URLs as 23), over mastodon's limit of 500"
    )
    assert mastodon_chars(text) == 495 + 1 + len(LINK) + 1


@pytest.mark.parametrize(
    "text",
    [
        "a." * 5000,  # scanning every position with twitter-text's domain pattern took 290 s
        "https://" + "a." * 5000,
        ("https://" + "a." * 50 + " ") * 200,
        "Україна. " * 2000,
        "@" + "a." * 20000,
        "https://humanrightscities.net/" + "(a" * 3000,
    ],
)
def test_texts_built_to_backtrack_are_counted_in_bounded_time(text: str) -> None:
    import time

    t0 = time.monotonic()
    assert over_limit("mastodon", text) is not None
    assert time.monotonic() - t0 < 2.0
