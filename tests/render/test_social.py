"""Social posts: every platform's limit with long and multilingual text, UTM links, hashtags, RTL."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_edition
from hrc_outreach.models import (
    ContentItem,
    Edition,
    ItemKind,
    ItemText,
    LocalizedEdition,
    Section,
    SectionKind,
    SocialPlatform,
    item_id,
)
from hrc_outreach.render.social import (
    FSI,
    PDI,
    RLM,
    RULES,
    add_utm,
    graphemes,
    hashtag,
    mastodon_length,
    social_posts,
    truncate,
    utf16_units,
)

LONG_WORDS = "Municipal human rights office for migrant workers opens in every district "
ARABIC_TITLE = "مدينة غوانغجو تفتح مكتبًا لحقوق الإنسان للعمال المهاجرين في كل حي"
EMOJI = "👩🏽‍⚖️🏳️‍🌈"  # two emoji of several code points each


def _item(key: str, title: str, summary: str, **kw: object) -> ContentItem:
    return ContentItem(
        id=item_id("test", key),
        source="test",
        source_key=key,
        kind=ItemKind.PRACTICE,
        title=title,
        summary=summary,
        language="en",
        **kw,  # type: ignore[arg-type]
    )


def _edition(*items: ContentItem) -> Edition:
    return Edition(
        key="2026-12",
        title="December",
        issue_number=24,
        date=date(2026, 12, 1),
        sections=(Section(kind=SectionKind.PRACTICES, items=items),),
    )


def _limit_ok(text: str, platform: SocialPlatform) -> bool:
    """Within the limit as drafting counts it, and as publishing will (never refused later)."""
    from hrc_outreach.render.lengths import over_limit

    rules = RULES[platform]
    return rules.measure(text) <= rules.limit and over_limit(platform.value, text) is None


@pytest.mark.parametrize("lang", ["en", "ar", "fa", "uk"])
def test_posts_full_of_links_punctuation_and_emoji_are_never_refused_at_publishing(
    lang: str, settings: Settings
) -> None:
    """Drafting fits a post with the counter publishing checks: links followed by ASCII and
    Arabic punctuation, short links (counted 23), unknown TLDs and emoji sequences."""
    links = " ".join(
        f"https://ex.org/{i}{p}" for i, p in enumerate([".", ",", "!", "،", "؟", ")", ":"] * 8)
    )
    unknown_tld = " ".join(f"https://partner{i}.example/{'x' * 60}" for i in range(12))
    body = f"<p>{links} {unknown_tld} {EMOJI * 30} {'مرحبا بكم ' * 40}</p>"
    items = (_item("links", f"{EMOJI} Links, links", body, url="https://ex.org/item"),)
    for post in social_posts(localize_edition(_edition(*items), lang), settings):
        assert _limit_ok(post.text, post.platform), (post.platform, post.text)


def _long_edition() -> Edition:
    many_tags = tuple(f"topic number {n}" for n in range(40))
    items = (
        _item(
            "long",
            (LONG_WORDS * 12).strip(),
            "<p>" + "Care services for all. " * 400 + "</p>",
            url="https://example.org/practice?id=7&lang=en#top",
            city="Gwangju",
            country="KR",
            tags=many_tags,
        ),
        _item(
            "emoji",
            f"{EMOJI} " + "Pride week in Utrecht " * 30,
            f"<p>{EMOJI * 200}</p>",
            url="https://example.org/utrecht",
            city="Utrecht",
            country="NL",
        ),
        _item(
            "arabic",
            "Gwangju opens an office",
            "<p>English summary.</p>",
            url="https://example.org/ar",
            city="Gwangju",
            country="KR",
            translations={
                "ar": ItemText(
                    title=ARABIC_TITLE * 8, summary="<p>" + "نص عربي طويل جدا. " * 300 + "</p>"
                )
            },
        ),
    )
    return _edition(*items)


def test_grapheme_counting_counts_what_a_reader_sees() -> None:
    assert graphemes("abc") == 3
    assert graphemes(EMOJI) == 2  # len() says 11
    assert len(EMOJI) > 2
    assert graphemes("e\u0301") == 1  # e + combining acute
    assert graphemes("🇧🇪") == 1  # a flag is two regional indicators


def test_mastodon_counts_every_url_as_23() -> None:
    url = "https://example.org/" + "x" * 200
    assert mastodon_length(f"see {url} now") == len("see ") + 23 + len(" now")


def test_utf16_counts_emoji_as_two() -> None:
    assert utf16_units("😀") == 2
    assert utf16_units("é") == 1


def test_truncate_cuts_on_a_word_boundary_with_an_ellipsis() -> None:
    text = "The city of Gwangju opened human rights offices in every district"
    out = truncate(text, 30, len)
    assert len(out) <= 30 and out.endswith("…")
    assert text.startswith(out[:-1])
    assert out[:-1] == text[: len(out) - 1] and text[len(out) - 1] == " "  # whole words only
    assert truncate("short", 30, len) == "short"


def test_truncate_never_splits_a_grapheme() -> None:
    import regex

    text = EMOJI * 50
    out = truncate(text, 20, graphemes)
    assert graphemes(out) == 20 and out.endswith("…")
    kept = regex.findall(r"\X", out[:-1])
    assert kept == regex.findall(r"\X", text)[: len(kept)]  # whole emoji only


def test_utm_parameters_keep_the_existing_query_and_fragment() -> None:
    url = add_utm("https://example.org/p?id=7&lang=en&utm_source=old#top", "mastodon", "2026-12")
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    assert q == {
        "id": ["7"],
        "lang": ["en"],
        "utm_source": ["mastodon"],
        "utm_medium": ["social"],
        "utm_campaign": ["2026-12"],
    }
    assert parts.fragment == "top" and parts.scheme == "https"


def test_hashtags_from_tags() -> None:
    assert hashtag("right to housing") == "#RightToHousing"
    assert hashtag("EU Charter of Fundamental Rights") == "#EUCharterOfFundamentalRights"
    assert hashtag("حقوق الإنسان") == "#حقوقالإنسان"
    assert hashtag("2026") is None
    assert hashtag("!!!") is None


@pytest.mark.parametrize("lang", ["en", "ar", "uk", "pt_PT"])
def test_every_post_is_within_its_platform_limit(lang: str, settings: Settings) -> None:
    loc = localize_edition(_long_edition(), lang)
    posts = social_posts(loc, settings)
    # the edition and each featured item (the first of each section), on all five platforms
    assert len(posts) == 2 * len(SocialPlatform)
    for post in posts:
        assert _limit_ok(post.text, post.platform), (post.platform, len(post.text))
        assert post.lang == lang
        tags = [w for w in post.text.split() if w.startswith("#")]
        assert len(tags) <= 30
        assert "#HumanRights" in post.text.replace(RLM, "")


def test_long_item_posts_are_cut_with_an_ellipsis_but_keep_link_and_place(
    settings: Settings,
) -> None:
    loc = localize_edition(_long_edition(), "en")
    posts = {p.platform: p for p in social_posts(loc, settings) if p.item_id}
    bsky = posts[SocialPlatform.BLUESKY]
    assert "…" in bsky.text
    assert bsky.link is not None and bsky.link in bsky.text
    assert "Gwangju, South Korea" in bsky.text
    assert graphemes(bsky.text) <= 300
    assert graphemes(bsky.text) > 250  # the room is used, not wasted
    insta = posts[SocialPlatform.INSTAGRAM]
    assert "Link in bio" in insta.text and "https://" not in insta.text
    tags = [w for w in insta.text.split() if w.startswith("#")]
    assert 2 < len(tags) <= 30


def test_emoji_posts_count_graphemes_not_code_points(settings: Settings) -> None:
    items = (
        _item("emoji", f"{EMOJI} Pride week", f"<p>{EMOJI * 400}</p>", url="https://example.org/u"),
    )
    posts = social_posts(localize_edition(_edition(*items), "en"), settings)
    bsky = next(p for p in posts if p.item_id and p.platform is SocialPlatform.BLUESKY)
    assert graphemes(bsky.text) <= 300
    # code points far exceed 300: a len()-based cut would have wasted most of the room
    assert len(bsky.text) > 300


def test_own_links_carry_utm_per_platform(settings: Settings) -> None:
    own = "https://humanrightscities.net/practice?id=7&lang=en#top"
    items = [
        i.model_copy(update={"url": own}) if i.source_key == "long" else i
        for i in _long_edition().items
    ]
    loc = localize_edition(_edition(*items), "en")
    for post in social_posts(loc, settings):
        assert post.link is not None
        q = parse_qs(urlsplit(post.link).query)
        if post.item_id not in (None, item_id("test", "long")):
            assert "utm_source" not in q  # example.org: not the network's own link
            continue
        assert q["utm_source"] == [post.platform.value]
        assert q["utm_medium"] == ["social"] and q["utm_campaign"] == ["2026-12"]
        if post.item_id == item_id("test", "long"):
            assert q["id"] == ["7"] and urlsplit(post.link).fragment == "top"
        if post.item_id is None:
            assert post.link.startswith(settings.web.base_url)


def test_arabic_posts_read_right_to_left(settings: Settings) -> None:
    loc = localize_edition(_long_edition(), "ar")
    posts = social_posts(loc, settings)
    arabic = [p for p in posts if p.item_id == item_id("test", "arabic")]
    for post in arabic:
        for line in post.text.split("\n"):
            assert not line or line.startswith(RLM)
        assert "غوانغجو" in post.text  # the item's own Arabic text
    # an English (untranslated) title inside an Arabic post is isolated, and every isolate closes
    for post in posts:
        assert post.text.count(FSI) == post.text.count(PDI)
    english = next(p for p in posts if p.item_id == item_id("test", "long"))
    assert FSI + "Municipal" in english.text


def test_left_to_right_posts_have_no_direction_marks(settings: Settings) -> None:
    for post in social_posts(localize_edition(_long_edition(), "fr"), settings):
        assert RLM not in post.text and FSI not in post.text


def test_sample_edition_posts_and_plural(edition: Edition, settings: Settings) -> None:
    loc: LocalizedEdition = localize_edition(edition, "en")
    posts = social_posts(loc, settings)
    first = next(p for p in posts if p.item_id is None and p.platform is SocialPlatform.LINKEDIN)
    assert "2 good practices from human rights cities" in first.text
    assert "Gwangju" in first.text
    one = social_posts(localize_edition(_edition(*edition.items[:1]), "en"), settings)
    assert "1 good practice from a human rights city" in one[0].text
    # without cards_dir no image is named
    assert all(p.image is None and p.image_alt is None for p in posts)
    # deterministic: the same input gives the same posts
    assert social_posts(loc, settings) == posts
