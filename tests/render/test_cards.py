"""Image cards: size per platform, valid PNG, brand colours, readable contrast, alt text, RTL."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_edition
from hrc_outreach.models import Edition, ItemText, SocialPlatform
from hrc_outreach.render import cards
from hrc_outreach.render.cards import (
    LANDSCAPE,
    SQUARE,
    Card,
    card_file_name,
    contrast_ratio,
    draw_card,
    text_colour,
)
from hrc_outreach.render.social import social_posts


def _rgb(hex_: str) -> tuple[int, int, int]:
    return tuple(int(hex_[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_cards_for_every_post_have_the_platform_size_and_alt(
    edition: Edition, settings: Settings, tmp_path: Path
) -> None:
    loc = localize_edition(edition, "en")
    posts = social_posts(loc, settings, cards_dir=tmp_path)
    for post in posts:
        assert post.image is not None and post.image_alt
        path = tmp_path / post.image
        with Image.open(path) as img:
            img.load()  # decodes the whole file
            assert img.format == "PNG"
            expected = SQUARE if post.platform is SocialPlatform.INSTAGRAM else LANDSCAPE
            assert img.size == expected
        subject = post.item_id or "edition"
        assert post.image == f"2026-12-en-{subject}-{expected[0]}x{expected[1]}.png"
    practice = next(p for p in posts if p.item_id == edition.items[0].id)
    assert "Gwangju's integrated care programme" in (practice.image_alt or "")
    assert "South Korea" in (practice.image_alt or "")
    assert len({p.image for p in posts}) == 2 * (1 + len(loc.sections))
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted({p.image or "" for p in posts})


def test_cards_are_reproducible(edition: Edition, settings: Settings, tmp_path: Path) -> None:
    loc = localize_edition(edition, "en")
    social_posts(loc, settings, cards_dir=tmp_path / "a")
    social_posts(loc, settings, cards_dir=tmp_path / "b")
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()


def test_card_uses_brand_colours_and_readable_text() -> None:
    brand, accent = "#0b5394", "#c0392b"
    img = draw_card(
        Card("Leuven joins the network", "Leuven, Belgium", "The Readers", "en"),
        LANDSCAPE,
        brand,
        accent,
    )
    assert img.getpixel((5, 5)) == _rgb(accent)  # the accent band at the top
    assert img.getpixel((5, 300)) == _rgb(brand)  # the background
    colours = {c for _, c in img.getcolors(maxcolors=1 << 16) or []}
    ink = text_colour(_rgb(brand))
    assert ink in colours  # the text is drawn in the chosen colour
    assert contrast_ratio(ink, _rgb(brand)) >= 4.5


@pytest.mark.parametrize("brand", ["#ffffff", "#f1c40f", "#0b5394", "#000000"])
def test_text_colour_contrasts_with_any_brand(brand: str) -> None:
    assert contrast_ratio(text_colour(_rgb(brand)), _rgb(brand)) >= 4.5


def test_bad_brand_colour_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="brand_color"):
        draw_card(Card("t", "", "f", "en"), LANDSCAPE, "blue", "#000000")


def _ink_columns(img: Image.Image, y0: int, y1: int, bg: tuple[int, int, int]) -> list[int]:
    """x of every column that has a non-background pixel between rows y0 and y1."""
    px = img.load()
    assert px is not None
    return [x for x in range(img.width) if any(px[x, y] != bg for y in range(y0, y1))]


@pytest.mark.skipif(not cards.RAQM, reason="Pillow without libraqm: Arabic is not laid out RTL")
def test_arabic_card_is_right_aligned() -> None:
    brand = "#0b5394"
    title = "مدينة غوانغجو"
    ar = draw_card(Card(title, "", "", "ar"), LANDSCAPE, brand, "#c0392b")
    en = draw_card(Card("Gwangju city", "", "", "en"), LANDSCAPE, brand, "#c0392b")
    band = (int(630 * 0.2), int(630 * 0.7))  # the title, above the footer rule
    ar_cols = _ink_columns(ar, *band, _rgb(brand))
    en_cols = _ink_columns(en, *band, _rgb(brand))
    margin = int(1200 * 0.07)
    assert max(ar_cols) > 1200 - margin - 5 and min(ar_cols) > 600  # hugs the right margin
    assert min(en_cols) < margin + 5 and max(en_cols) < 600  # hugs the left margin


def test_card_file_names() -> None:
    assert card_file_name("2026-12", "pt_PT", "abc", LANDSCAPE) == "2026-12-pt_PT-abc-1200x630.png"
    assert card_file_name("2026-12", "ar", None, SQUARE) == "2026-12-ar-edition-1080x1080.png"


def test_arabic_edition_cards_and_localised_alt(
    edition: Edition, settings: Settings, tmp_path: Path
) -> None:
    first = edition.items[0]
    translated = first.model_copy(
        update={
            "translations": {
                "ar": ItemText(
                    title="برنامج الرعاية المتكاملة في غوانغجو",
                    summary="<p>معايير رعاية لكل ساكن.</p>",
                )
            }
        }
    )
    sections = (edition.sections[0].model_copy(update={"items": (translated,)}),)
    ed = edition.model_copy(update={"sections": sections})
    posts = social_posts(localize_edition(ed, "ar"), settings, cards_dir=tmp_path)
    post = next(p for p in posts if p.item_id == first.id and p.platform.value == "bluesky")
    assert "برنامج الرعاية" in (post.image_alt or "")
    assert "كوريا الجنوبية" in (post.image_alt or "")  # South Korea, named in Arabic
    with Image.open(tmp_path / (post.image or "")) as img:
        assert img.size == LANDSCAPE
