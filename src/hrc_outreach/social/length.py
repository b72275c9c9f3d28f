"""Each platform's length rule, counted the way the platform counts.

- Bluesky: 300 graphemes (extended grapheme clusters, ``regex``'s ``\\X``) and 3,000 UTF-8 bytes
  (the ``app.bsky.feed.post`` lexicon: ``maxGraphemes`` 300, ``maxLength`` 3000);
- Mastodon: 500 characters (code points), every http(s) URL counted as 23;
- Instagram 2,200, LinkedIn 3,000, Facebook 63,206: UTF-16 code units (what their JavaScript
  counters see: an emoji outside the BMP counts 2).

A post over its limit is refused before any request, with the count, never cut on the way out:
the approved bytes are what is published.

>>> over_limit("mastodon", "x" * 476 + " https://example.org/" + "a" * 200) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

_GRAPHEME = regex.compile(r"\X")
# Mastodon's own URL pattern is broader; every http(s) run up to white space is what it links.
_URL = re.compile(r"https?://[^\s]+")


def graphemes(text: str) -> int:
    """User-perceived characters.

    >>> graphemes("👩🏽‍⚖️ é")
    3
    """
    return len(_GRAPHEME.findall(text))


def mastodon_chars(text: str) -> int:
    """Code points, with every URL counted as 23 (Mastodon's ``StatusLengthValidator``)."""
    return len(_URL.sub("x" * 23, text))


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
        n = rule.measure(text)
        if n > rule.limit:
            return f"{n} {rule.unit}, over {platform}'s limit of {rule.limit}"
    return None
