"""Length rules as each platform counts them, at the limit and one past it, with Arabic,
Ukrainian, Persian and emoji text; Bluesky facets at the right UTF-8 bytes; a post over its limit
fails with its count before any request, and the rest go on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hrc_outreach.models import SocialPost
from hrc_outreach.render.lengths import graphemes, mastodon_chars, over_limit, utf16_units
from hrc_outreach.render.output import save_drafts
from hrc_outreach.social.accounts import publisher_for
from hrc_outreach.social.bluesky import facets
from hrc_outreach.social.ledger import PostState
from hrc_outreach.social.publishing import publish_edition
from hrc_outreach.store import Store
from tests.support.ledger_data import approved
from tests.support.social_data import KEY, approved_edition, settings_for
from tests.support.social_platforms import Platforms

JUDGE = "👩🏽‍⚖️"  # one grapheme, 5 code points, 7 UTF-16 units, 17 UTF-8 bytes
FLAG = "🏳️‍🌈"  # one grapheme, 4 code points, 6 UTF-16 units
NEWS = "📰"  # one grapheme, one code point, 2 UTF-16 units
ARABIC = "بِسْمِ"  # 3 graphemes (letters with their harakat), 6 code points
PERSIAN = "می‌گشاید"  # the ZWNJ joins the cluster before it: 7 graphemes, 8 code points
UKRAINIAN = "Ґванджу"  # 7 of everything
URL = "https://humanrightscities.net/" + "a" * 170 + "?utm_source=mastodon&utm_medium=social"


@pytest.mark.parametrize(
    ("text", "n"), [(JUDGE, 1), (FLAG, 1), (NEWS, 1), (ARABIC, 3), (PERSIAN, 7), (UKRAINIAN, 7)]
)
def test_graphemes_are_what_a_reader_sees(text: str, n: int) -> None:
    assert graphemes(text) == n


def test_bluesky_counts_graphemes_not_code_points() -> None:
    arabic = (ARABIC + " ") * 75  # 300 graphemes, 525 code points
    assert graphemes(arabic) == 300 and len(arabic) > 300
    assert over_limit("bluesky", arabic) is None
    assert over_limit("bluesky", arabic + "ب") == "301 graphemes, over bluesky's limit of 300"
    persian = (PERSIAN + " ") * 37 + "ab"  # 298 graphemes
    assert over_limit("bluesky", persian) is None
    # 150 judges are 150 graphemes but 2,550 UTF-8 bytes: the lexicon's 3,000 bytes still hold
    assert over_limit("bluesky", JUDGE * 150 + "x" * 150) is None
    # 177 judges: 177 graphemes, 3,009 bytes
    assert "UTF-8 bytes, over bluesky's limit of 3000" in str(over_limit("bluesky", JUDGE * 177))


def test_mastodon_counts_every_url_as_23() -> None:
    head = (UKRAINIAN + " ") * 59 + "x" * 5  # 477 code points
    assert len(head) == 477
    text = head + "\n" + URL[:200]  # 477 + 1 + 23 = 501 although the URL has 200 characters
    assert mastodon_chars(text) == 501
    assert (
        over_limit("mastodon", text) == "501 characters (URLs as 23), over mastodon's limit of 500"
    )
    assert over_limit("mastodon", head[1:] + "\n" + URL) is None
    # code points, not UTF-16 units: 500 newspapers fit, although they are 1,000 UTF-16 units
    assert over_limit("mastodon", NEWS * 500) is None and over_limit("mastodon", NEWS * 501)


@pytest.mark.parametrize(
    ("platform", "limit"), [("instagram", 2200), ("linkedin", 3000), ("facebook", 63206)]
)
def test_utf16_platforms_count_units(platform: str, limit: int) -> None:
    emoji = NEWS * (limit // 2)  # exactly the limit in UTF-16 units, half of it in code points
    assert utf16_units(emoji) == limit and over_limit(platform, emoji) is None
    assert (
        over_limit(platform, emoji + "x")
        == f"{limit + 1} UTF-16 units, over {platform}'s limit of {limit}"
    )
    mixed = (ARABIC + PERSIAN + UKRAINIAN + FLAG) * (limit // 27)
    assert over_limit(platform, mixed) is None  # 27 units per round
    assert over_limit(platform, mixed + (ARABIC + PERSIAN + UKRAINIAN + FLAG)) is not None


@pytest.mark.parametrize(
    "prefix",
    [ARABIC + " ", PERSIAN + " ", UKRAINIAN + " ", JUDGE + FLAG + " ", "\u200f" + ARABIC + " "],
)
def test_bluesky_facets_point_at_the_bytes_of_the_link_and_tags(prefix: str) -> None:
    link = "https://example.org/خبر?utm_source=bluesky"
    text = f"{prefix}{JUDGE}: {link}.\n#HumanRights #حقوق_الإنسان"
    raw = text.encode("utf-8")
    found = facets(text)
    cut = [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8") for f in found]
    assert cut == [link, "#HumanRights", "#حقوق_الإنسان"]
    assert found[0]["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": link}]
    assert found[0]["index"]["byteStart"] == len(text[: text.index("https")].encode())
    assert found[0]["index"]["byteStart"] != text.index("https")  # bytes, not characters


def test_a_post_over_its_limit_fails_before_any_request_and_the_rest_go_on(
    sqlite_store: Store, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    msgs = approved_edition(sqlite_store, settings, langs=("ar",))
    posts = list(msgs["ar"].social)
    i = next(i for i, p in enumerate(posts) if p.platform.value == "bluesky" and p.item_id)
    posts[i] = SocialPost(**{**posts[i].model_dump(), "text": (ARABIC + " ") * 76})  # 304 graphemes
    msg = msgs["ar"].model_copy(update={"social": tuple(posts)})
    save_drafts(sqlite_store, [msg])
    approved(sqlite_store, KEY, {"ar": msg})
    with Platforms() as platforms, httpx.Client() as client:
        pub = publisher_for("bluesky", client, platforms.env())
        report = publish_edition(
            sqlite_store,
            settings,
            KEY,
            pub,
            languages=["ar"],
            now=datetime(2026, 12, 20, tzinfo=UTC),
        )
        creates = [r for r in platforms.requests if r.path.endswith("createRecord")]
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED, PostState.FAILED]
    assert report.outcomes[1].note == "304 graphemes, over bluesky's limit of 300"
    assert len(creates) == 1
