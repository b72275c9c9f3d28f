"""Each platform's length rule, counted the way the platform counts.

- Bluesky: 300 graphemes (extended grapheme clusters, ``regex``'s ``\\X``) and 3,000 UTF-8 bytes
  (the ``app.bsky.feed.post`` lexicon: ``maxGraphemes`` 300, ``maxLength`` 3000);
- Mastodon: 500 characters as its ``StatusLengthValidator`` counts them: grapheme clusters, every
  URL its extractor finds counted as 23, a mention ``@user@domain`` as ``@user``;
- Instagram 2,200, LinkedIn 3,000, Facebook 63,206: UTF-16 code units (what their JavaScript
  counters see: an emoji outside the BMP counts 2).

A post over its limit is refused before any request, with the count, never cut on the way out:
the approved bytes are what is published.

>>> over_limit("mastodon", "x" * 476 + " https://example.org/" + "a" * 200) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import regex

_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    """User-perceived characters.

    >>> graphemes("👩🏽‍⚖️ é")
    3
    """
    return len(_GRAPHEME.findall(text))


# Mastodon's URL pattern (config/initializers/twitter_regex.rb, Mastodon 4.x) over twitter-text
# 3's domain (its TLD lists) and preceding-character patterns, which twitter-text-parser ports.
# Which characters may end a URL is its call: ASCII sentence punctuation never does; any other
# non-space character (Arabic ، and ؟, », a bidi mark) may end a path or a query, inside the URL.
_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
_PATH_END = rf"""(?:[^\p{{White_Space}}()?!*"'「」<>;:=,.$%\[\]~&|@]|{_PARENS})"""
_PATH = rf"(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END}|{_PATH_CHAR}+/)"
_UCHARS = (
    r"\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    r"\U00030000-\U0003fffd\U00040000-\U000dfffd\U000e1000-\U000efffd\ue000-\uf8ff"
    r"\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_QUERY = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@^{_UCHARS}]"
_QUERY_END = rf"[a-z0-9_&=#/\-{_UCHARS}]"
_PROTOCOLS = r"(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://"
# Account::MENTION_RE (USERNAME_RE, then an optional @domain); not a mention when @ or :// follows
_MENTION = regex.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@\w+(?:[.-]+\w+)*)?(?![@＠]|://)",
    regex.IGNORECASE,
)
URL_AS = 23  # StatusLengthValidator::URL_PLACEHOLDER_CHARS


@cache
def _mastodon_url() -> tuple[regex.Pattern[str], regex.Pattern[str]]:
    """Mastodon's URL anchored at its protocol, and the character that may come before it."""
    from twitter_text.regexp.valid_domain import valid_domain
    from twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

    url = regex.compile(
        rf"{_PROTOCOLS}(?:{valid_domain.pattern})(?::[0-9]+)?"
        rf"(?:/{_PATH}*)?(?:\?{_QUERY}*{_QUERY_END})?",
        regex.IGNORECASE | regex.VERSION0,
    )
    return url, regex.compile(valid_url_preceding_chars.pattern)


_PROTOCOL = regex.compile(_PROTOCOLS, regex.IGNORECASE)
COUNT_SECONDS = 1.0  # a text built to make the URL pattern backtrack is refused, not counted


def mastodon_chars(text: str) -> int:
    """Mastodon's count: graphemes, every URL with a protocol as 23, ``@user@domain`` as
    ``@user`` (``StatusLengthValidator#countable_text``; overlapping finds: the first wins).

    The URL pattern is tried only where a protocol starts (Mastodon counts no URL without one;
    scanning every position costs minutes on a run of ``a.a.a.``). TimeoutError past
    ``COUNT_SECONDS``."""
    url, before = _mastodon_url()
    found: list[tuple[int, int, str]] = []
    for p in _PROTOCOL.finditer(text, timeout=COUNT_SECONDS):
        start = p.start()
        if start and not before.fullmatch(text, start - 1, start):
            continue  # "abchttps://..." is no link
        if m := url.match(text, start, timeout=COUNT_SECONDS):
            found.append((start, m.end(), "x" * URL_AS))
    found += [
        (m.start(), m.end(), "@" + m.group(1))
        for m in _MENTION.finditer(text, timeout=COUNT_SECONDS)
    ]
    out, at = [], 0
    for start, end, instead in sorted(found):
        if start < at:
            continue
        out += [text[at:start], instead]
        at = end
    return graphemes("".join(out) + text[at:])


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class Rule:
    limit: int
    measure: Callable[[str], int]
    unit: str


RULES: dict[str, tuple[Rule, ...]] = {
    "bluesky": (Rule(300, graphemes, "graphemes"), Rule(3000, utf8_bytes, "UTF-8 bytes")),
    "mastodon": (Rule(500, mastodon_chars, "characters (URLs as 23)"),),
    "instagram": (Rule(2200, utf16_units, "UTF-16 units"),),
    "linkedin": (Rule(3000, utf16_units, "UTF-16 units"),),
    "facebook": (Rule(63206, utf16_units, "UTF-16 units"),),
}


def over_limit(platform: str, text: str) -> str | None:
    """Why ``text`` is too long for ``platform`` (count, limit, unit), or None when it fits."""
    for rule in RULES.get(platform, ()):
        try:
            n = rule.measure(text)
        except TimeoutError:
            return f"its {rule.unit} could not be counted within {COUNT_SECONDS:.0f} s"
        if n > rule.limit:
            return f"{n} {rule.unit}, over {platform}'s limit of {rule.limit}"
    return None
