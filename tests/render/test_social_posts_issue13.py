"""Social posts (issue 13): cut lists, counts, tracking only on own links, curated hashtags, hostile
titles (bidi overrides, zero-width characters, emoji), every platform's own way of counting."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import regex

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_edition
from hrc_outreach.models import ContentItem, Edition, ItemKind, SocialPlatform, item_id
from hrc_outreach.render.social import (
    RULES,
    HashtagList,
    graphemes,
    is_own_link,
    load_hashtags,
    mastodon_length,
    social_posts,
)

from .conftest import fixed_edition, fixed_items

VALID_TAG = regex.compile(r"#[\p{L}\p{M}\p{N}_]{1,64}")
HOSTILE = "\u202eesrever\u202c Safe\u200b city\u2066 \u200fopens\ufeff 👩🏽‍⚖️ office"


def _item(key: str, title: str, kind: ItemKind = ItemKind.PRACTICE, **kw: object) -> ContentItem:
    kw.setdefault("summary", "<p>A summary.</p>")
    return ContentItem(
        id=item_id("t", key),
        source="t",
        source_key=key,
        kind=kind,
        title=title,
        language="en",
        **kw,  # type: ignore[arg-type]
    )


def _edition_post(posts: tuple, platform: SocialPlatform) -> str:  # type: ignore[type-arg]
    return next(p.text for p in posts if p.item_id is None and p.platform is platform)


def _long_titles_edition() -> Edition:
    items = [
        _item(f"p{n}", f"Practice number {n} " + "with a rather long descriptive title " * 3)
        for n in range(8)
    ]
    return fixed_edition(items)


@pytest.mark.parametrize("platform", list(SocialPlatform))
@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_a_cut_list_leaves_no_dangling_colon_or_empty_bullet(
    platform: SocialPlatform, lang: str, settings: Settings
) -> None:
    loc = localize_edition(_long_titles_edition(), lang)
    text = _edition_post(social_posts(loc, settings), platform)
    titles = {" ".join(i.title.split()) for i in loc.items}
    lines = [line.strip("\u200f ") for line in text.split("\n")]
    for line in lines:
        assert not line.endswith(":"), (platform, line)
        assert not line.endswith("："), (platform, line)
        if line.startswith("•"):
            # a bullet is a title, whole or cut on a word with an ellipsis: never empty
            entry = line[1:].strip().strip("\u2068\u2069")
            assert entry and entry != "…", (platform, line)
            assert entry in titles or any(
                t.startswith(entry.removesuffix("…")) and entry.endswith("…") for t in titles
            ), (platform, line)
    assert RULES[platform].measure(text) <= RULES[platform].limit


def test_bluesky_edition_post_keeps_whole_bullets_when_it_has_room(settings: Settings) -> None:
    loc = localize_edition(_long_titles_edition(), "en")
    text = _edition_post(social_posts(loc, settings), SocialPlatform.MASTODON)
    bullets = [line for line in text.split("\n") if line.startswith("• ")]
    assert bullets, text  # Mastodon's 500 have room for at least one whole title


def test_counts_count_the_kind_they_name(edition: Edition, settings: Settings) -> None:
    # the fixed edition: 2 practices, 1 project update, 1 event, 1 news item
    posts = social_posts(localize_edition(edition, "en"), settings)
    text = _edition_post(posts, SocialPlatform.LINKEDIN)
    assert "2 good practices from human rights cities" in text
    assert "1 project update" in text and "1 upcoming event" in text
    assert "1 news item from the network" in text
    assert "5 stories" not in text
    only_events = fixed_edition([i for i in fixed_items() if i.kind is ItemKind.EVENT])
    text = _edition_post(
        social_posts(localize_edition(only_events, "en"), settings), SocialPlatform.LINKEDIN
    )
    assert "1 upcoming event" in text and "stor" not in text and "practice" not in text


def test_tracking_parameters_only_on_the_networks_own_links(settings: Settings) -> None:
    own = (
        "https://humanrightscities.net/p",
        "https://www.humanrightscities.net/p",
        "https://outreach.humanrightscities.net/archive/en/2026-12.html",
        "https://news.humanrightscities.net/x",
    )
    foreign = (
        "https://example.org/p",
        "https://humanrightscities.net.evil.org/p",
        "https://evilhumanrightscities.net/p",
        "https://user@example.org/",
        "mailto:someone@humanrightscities.net",
    )
    for url in own:
        assert is_own_link(url, settings), url
    for url in foreign:
        assert not is_own_link(url, settings), url
    items = [
        _item("own", "Our own page", url="https://humanrightscities.net/practices/own"),
        _item("other", "A partner's page", kind=ItemKind.NEWS, url="https://example.org/x?id=3"),
        _item(
            "lookalike",
            "Look-alike",
            kind=ItemKind.EVENT,
            start=datetime(2026, 12, 8, 13, tzinfo=UTC),
            url="https://humanrightscities.net.evil.org/x",
        ),
    ]
    posts = social_posts(localize_edition(fixed_edition(items), "en"), settings)
    for post in posts:
        assert post.link is not None
        q = parse_qs(urlsplit(post.link).query)
        if post.item_id in (item_id("t", "other"), item_id("t", "lookalike")):
            assert not any(k.startswith("utm_") for k in q), post.link
            assert "utm_" not in post.text
        else:
            assert q["utm_source"] == [post.platform.value], post.link
    other = next(p for p in posts if p.item_id == item_id("t", "other"))
    assert other.link == "https://example.org/x?id=3"


def test_hashtags_come_only_from_the_curated_list(settings: Settings) -> None:
    items = [
        _item(
            "free",
            "Housing first in Vienna",
            city="Vienna",
            country="AT",
            tags=("housing", "Some Invented Tag", "2026", "#!!", "ünïcode stuff"),
        ),
        _item("dare", "DARE update", kind=ItemKind.PROJECT_UPDATE, project="DARE"),
    ]
    curated = load_hashtags()
    allowed = {f"#{t}" for t in curated.every_tag()}
    posts = social_posts(localize_edition(fixed_edition(items), "en"), settings)
    for post in posts:
        tags = [w.strip("\u200f") for w in post.text.split() if w.strip("\u200f").startswith("#")]
        assert tags, post.text
        for tag in tags:
            assert tag in allowed, tag
            assert VALID_TAG.fullmatch(tag), tag
    vienna = next(p.text for p in posts if p.item_id == item_id("t", "free"))
    assert "#RightToHousing" in vienna and "#Vienna" not in vienna
    assert "#SomeInventedTag" not in vienna
    dare = next(p.text for p in posts if p.item_id == item_id("t", "dare"))
    assert "#DAREproject" in dare


@pytest.mark.parametrize("bad", ["has space", "2026", "", "a" * 65, "tag#", "emoji😀", "dash-ed"])
def test_an_invalid_curated_hashtag_is_refused_by_name(bad: str) -> None:
    with pytest.raises(ValueError, match="hashtag"):
        HashtagList.model_validate({"always": ["HumanRights"], "themes": {"x": [bad]}})


def test_hostile_titles_cannot_reorder_the_post(settings: Settings) -> None:
    items = [
        _item(
            "hostile",
            HOSTILE,
            summary="<p>\u202eReversed\u202c summary\u200b.</p>",
            url="https://humanrightscities.net/h",
        )
    ]
    for lang in ("en", "ar"):
        posts = social_posts(localize_edition(fixed_edition(items), lang), settings)
        for post in posts:
            for bad in ("\u202e", "\u202c", "\u200b", "\ufeff", "\u2066"):
                assert bad not in post.text, (lang, post.platform, repr(bad))
            if post.item_id is None and "•" not in post.text:
                continue  # an edition post without room for its list
            assert "👩🏽‍⚖️" in post.text  # the emoji (with its joiner) is kept whole
            assert "esrever Safe city opens" in post.text
            rules = RULES[post.platform]
            assert rules.measure(post.text) <= rules.limit


def test_mastodon_counts_only_real_links_as_23() -> None:
    assert mastodon_length("see https://example.org/" + "x" * 100) == 4 + 23
    # not a link Mastodon recognises (no dot in the host): counted as written
    fake = "https://" + "x" * 100
    assert mastodon_length(fake) == len(fake)


def test_very_long_hostile_titles_stay_within_every_limit(settings: Settings) -> None:
    title = "\u202e" + "👩🏽‍⚖️" * 40 + "ت" * 300 + "W" * 400 + "\u200b" * 50
    items = [_item("huge", title, url="https://humanrightscities.net/h" + "x" * 300)]
    for lang in ("en", "ar", "uk"):
        for post in social_posts(localize_edition(fixed_edition(items), lang), settings):
            rules = RULES[post.platform]
            assert rules.measure(post.text) <= rules.limit, (lang, post.platform)
            assert graphemes(post.text) > 0


def test_outside_text_cannot_add_lines_to_a_post(settings: Settings) -> None:
    items = [
        _item(
            "lines",
            "Title\nInjected line\u2029Another\u2028one",
            kind=ItemKind.EVENT,
            start=datetime(2026, 12, 8, 13, tzinfo=UTC),
            location="Town hall\n\n#Injected",
            summary="<p>First<br>second</p><p>third</p>",
            url="https://humanrightscities.net/e",
        )
    ]
    for post in social_posts(localize_edition(fixed_edition(items), "en"), settings):
        if post.item_id is None:
            continue
        lines = post.text.split("\n")
        assert "Title Injected line Another one" in lines, lines
        assert any(line.replace("\u200b", "").endswith("Town hall #Injected") for line in lines)
        assert not any(line.startswith("#Injected") for line in lines)


def test_outside_text_cannot_add_hashtags_or_mentions(settings: Settings) -> None:
    live = regex.compile(r"(?<![\p{L}\p{N}_&/])[#＃@＠][\p{L}\p{M}\p{N}_]+")
    items = [
        _item(
            "tags",
            "#MeToo in cities, with @ana@example.social and ＃Wide",
            summary="<p>Write to info@example.org or see page#top; #Invented @someone</p>",
            city="#Vienna",
            country="AT",
            url="https://humanrightscities.net/t#top",
        )
    ]
    allowed = {f"#{t}" for t in load_hashtags().every_tag()}
    for lang in ("en", "ar"):
        for post in social_posts(localize_edition(fixed_edition(items), lang), settings):
            found = {m.group() for m in live.finditer(post.text)}
            assert found <= allowed, (lang, post.platform, found - allowed)
            if post.item_id and post.platform is SocialPlatform.LINKEDIN:
                assert "MeToo in cities" in post.text and "info@example.org" in post.text
