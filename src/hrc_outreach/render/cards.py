"""Image cards for social posts (PNG, Pillow): the network's logo, the item's photo when it has one,
title, place or project, edition, brand colours.

Sizes: 1080×1080 for Instagram, 1200×630 (the Open Graph size) for the other platforms. Text is
shaped and laid out with libraqm (``PIL.features.check("raqm")``: HarfBuzz shaping, FriBidi
reordering): a right-to-left card (Arabic) is right-aligned, its logo on the right and its photo on
the left. Each text is drawn in the first font that has a glyph for all of it (Noto Sans Arabic for
Arabic, else DejaVu Sans, which covers Latin, Cyrillic and Arabic together); emoji and other
symbols no font has are left out rather than drawn as boxes. Without libraqm the card falls back to
Pillow's basic layout, left-aligned (and Arabic unshaped).

>>> card_file_name("2026-12", "fr", None, SQUARE)
'2026-12-fr-edition-1080x1080.png'
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import regex
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, ImageOps, features

from hrc_outreach.i18n.catalog import text_direction
from hrc_outreach.paths import TEMPLATES_DIR

SQUARE = (1080, 1080)
LANDSCAPE = (1200, 630)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
# In order of preference: the first that has every glyph of a text draws it
FONTS = {
    False: (NOTO_DIR / "NotoSansArabic-Regular.ttf", FONT_DIR / "DejaVuSans.ttf"),
    True: (NOTO_DIR / "NotoSansArabic-Bold.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"),
}
LOGO = TEMPLATES_DIR / "brand" / "logo.png"  # the network's logo, shipped with the project
RAQM = bool(features.check("raqm"))
log = logging.getLogger(__name__)
_GRAPHEME = regex.compile(r"\X")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
# Invisible characters that reorder or hide text (bidi embeddings, overrides, isolates and marks,
# zero-width spaces, word joiners, BOM): outside text never carries them onto a card or a post.
# Joiners (ZWJ, ZWNJ) stay: emoji sequences and Persian/Arabic spelling need them.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff]")


def visible_text(text: str) -> str:
    """``text`` without the invisible characters that could reorder or hide it.

    >>> visible_text("\u202eevil\u202c \u200bcity")
    'evil city'
    """
    return _INVISIBLE.sub("", text)


@dataclass(frozen=True)
class Card:
    """What a card shows; ``lang`` decides the direction and the shaping; ``photo`` is decoded
    and bounded already (:mod:`hrc_outreach.render.photos`); ``logo`` is an image file
    (:func:`card_logo`: the network's)."""

    title: str
    subtitle: str
    footer: str
    lang: str
    photo: Image.Image | None = field(default=None, compare=False)
    logo: Path | None = None


def card_logo() -> Path | None:
    """The logo file cards carry, if the project ships one."""
    return LOGO if LOGO.is_file() else None


def card_file_name(edition_key: str, lang: str, item_id: str | None, size: tuple[int, int]) -> str:
    """``<edition>-<lang>-<item id or "edition">-<W>x<H>.png``: stable across drafts."""
    return f"{edition_key}-{lang}-{item_id or 'edition'}-{size[0]}x{size[1]}.png"


@lru_cache(maxsize=8)
def _cmap(path: Path) -> frozenset[int]:
    """The code points ``path`` has a glyph for."""
    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def _ignorable(ch: str) -> bool:
    """Joiners, variation selectors and other format characters: no glyph of their own needed."""
    return unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f"


def _font_path(text: str, bold: bool) -> Path | None:
    """The first font of :data:`FONTS` with a glyph for every character of ``text``; else the
    one that has the most of them."""
    available = [p for p in FONTS[bold] if p.is_file()]
    if not available:
        return None
    needed = {ord(c) for c in text if not c.isspace() and not _ignorable(c)}
    best = max(available, key=lambda p: (needed <= _cmap(p), len(needed & _cmap(p))))
    return best


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Every code point some card font has a glyph for."""
    return frozenset().union(*(_cmap(p) for b in FONTS for p in FONTS[b] if p.is_file()))


def drawable(text: str) -> str:
    """``text`` without the symbols no card font has (emoji, dingbats): they would print as
    boxes, or as a stray part of an emoji sequence. Letters stay, whatever the fonts: a missing
    letter is seen, never silently dropped.

    >>> drawable("Pride 👩🏽‍⚖️ week")
    'Pride week'
    """
    covered = _covered()

    def keep(cluster: str) -> bool:
        if "\u200d" in cluster or "\ufe0f" in cluster:  # an emoji sequence or presentation
            return False
        return all(
            ord(c) in covered or c.isspace() or _ignorable(c) or unicodedata.category(c)[0] in "LN"
            for c in cluster
        )

    kept = "".join(c for c in _GRAPHEME.findall(visible_text(text)) if keep(c))
    return " ".join(kept.split())


@lru_cache(maxsize=64)
def _font_file(path: Path | None, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(path), size)


def _font(size: int, bold: bool, text: str = "") -> Font:
    return _font_file(_font_path(text, bold), size)


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", c):
        raise ValueError(
            f"colour {colour!r} is not #rrggbb: fix newsletter.brand_color/accent_color"
        )
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """White or near-black, whichever reads better on ``background``."""
    white, ink = (255, 255, 255), (17, 17, 17)
    return white if contrast_ratio(white, background) >= contrast_ratio(ink, background) else ink


@dataclass(frozen=True)
class _Layout:
    """Direction and language for Pillow's text calls (None: Pillow's own detection)."""

    direction: str | None = None
    language: str | None = None

    def length(self, font: Font, text: str) -> float:
        if isinstance(font, ImageFont.FreeTypeFont):
            return font.getlength(text, direction=self.direction, language=self.language)
        return font.getlength(text)


def _layout(lang: str) -> _Layout:
    if text_direction(lang) != "rtl":
        return _Layout()
    if RAQM:
        return _Layout("rtl", lang.split("_")[0])
    _warn_no_raqm(lang)
    return _Layout()


@cache
def _warn_no_raqm(lang: str) -> None:
    """Once per language: its cards are drawn left to right and unshaped."""
    log.warning(
        "image cards in %r are drawn left to right and unshaped: this Pillow has no libraqm "
        "(PIL.features.check('raqm') is False; install libraqm/libfribidi, or a Pillow wheel that "
        "bundles them)",
        lang,
    )


def _ellipsis(font: Font) -> str:
    """``…`` if the font has it (Noto Sans Arabic has not: ``...`` there)."""
    path = getattr(font, "path", None)
    return " …" if not path or ord("…") in _cmap(Path(path)) else " ..."


def _wrap(text: str, font: Font, width: int, max_lines: int, lang: str) -> list[str]:
    """Words into lines no wider than ``width``; the last line ends with … if text is left over."""
    lay = _layout(lang)
    more = _ellipsis(font)
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if lay.length(font, trial) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and lay.length(font, last + more) > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines = lines[: max_lines - 1] + [last + more]
    # A single word wider than the card: cut it rather than overflow.
    return [_fit_word(line, font, width, lay, more.strip()) for line in lines]


def _fit_word(line: str, font: Font, width: int, lay: _Layout, more: str) -> str:
    while len(line) > 1 and lay.length(font, line) > width:
        line = line[: -len(more) - 1] + more
    return line


@dataclass(frozen=True)
class _Frame:
    """Where the card's parts go: the text column (x from, x to), the top of the text, the photo."""

    x0: int
    x1: int
    top: int
    photo: tuple[int, int, int, int] | None


def _frame(size: tuple[int, int], rtl: bool, photo: bool) -> _Frame:
    """A landscape photo takes 40 % of the width at the end side (right, or left when RTL), full
    height; a square one the upper 45 %. The text column is what is left."""
    w, h = size
    band = int(min(w, h) * 0.035)
    if photo and w > h:
        pw = int(w * 0.4)
        box = (0, band, pw, h) if rtl else (w - pw, band, w, h)
        x0, x1 = (pw, w) if rtl else (0, w - pw)
        return _Frame(x0, x1, band, box)
    if photo:
        ph = int(h * 0.42)
        return _Frame(0, w, ph, (0, band, w, ph))
    return _Frame(0, w, band, None)


def _paste_logo(
    img: Image.Image, path: Path | None, frame: _Frame, rtl: bool, margin: int, unit: int
) -> int:
    """The logo at the top of the text column, on its start side (right when RTL); the y where
    the text may start (below the logo, or below the top when the project ships no logo)."""
    gap = int(unit * 0.03)
    if path is None:
        return frame.top + margin // 2
    with Image.open(path) as raw:
        logo = raw.convert("RGBA")
    height = int(unit * 0.09)
    width = min(round(logo.width * height / logo.height), frame.x1 - frame.x0 - 2 * margin)
    logo = ImageOps.contain(logo, (max(width, 1), height), Image.Resampling.LANCZOS)
    top = frame.top + gap
    x = frame.x1 - margin - logo.width if rtl else frame.x0 + margin
    img.paste(logo, (x, top), logo)
    return top + logo.height + gap


def draw_card(card: Card, size: tuple[int, int], brand: str, accent: str) -> Image.Image:
    """The card as an image; text in white or near-black, whichever contrasts with ``brand``."""
    w, h = size
    bg, acc = _rgb(brand), _rgb(accent)
    ink = text_colour(bg)
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    unit = min(w, h)
    margin = int(w * 0.07)
    draw.rectangle((0, 0, w, int(unit * 0.035)), fill=acc)  # brand band: decoration only
    rtl = text_direction(card.lang) == "rtl" and RAQM
    lay = _layout(card.lang)
    frame = _frame(size, rtl, card.photo is not None)
    if frame.photo is not None and card.photo is not None:
        x0, y0, x1, y1 = frame.photo
        img.paste(ImageOps.fit(card.photo, (x1 - x0, y1 - y0), Image.Resampling.LANCZOS), (x0, y0))
    if frame.photo is not None and w <= h:  # square: the logo over the photo's top corner
        top = _Frame(frame.x0, frame.x1, frame.photo[1], None)
        _paste_logo(img, card.logo, top, rtl, margin, unit)
        text_top = frame.top + int(unit * 0.04)
    else:
        text_top = _paste_logo(img, card.logo, frame, rtl, margin, unit)
    x, anchor = (frame.x1 - margin, "ra") if rtl else (frame.x0 + margin, "la")
    width = frame.x1 - frame.x0 - 2 * margin

    subtitle = drawable(card.subtitle)
    small = _font(int(unit * 0.042), False, subtitle)
    small_h = int(unit * 0.042 * 1.3)
    footer_text = drawable(card.footer)
    foot = _font(int(unit * 0.034), False, footer_text)
    subs = _wrap(subtitle, small, width, 2, card.lang)
    foot_y = h - margin - small_h
    room_top, room_bottom = text_top, foot_y - int(unit * 0.04)
    room = room_bottom - room_top - small_h * (len(subs) + 1 if subs else 0)
    title = drawable(card.title)
    tfont, line_h, lines = _title_lines(title, unit, width, room, 6 if h >= w else 4, card.lang)
    block_h = line_h * len(lines) + small_h * (len(subs) + 1 if subs else 0)
    y = max(room_top, room_top + (room_bottom - room_top - block_h) // 2)
    for line in lines:
        _line(draw, (x, y), line, tfont, ink, anchor, lay)
        y += line_h
    y += small_h // 2
    for sub in subs:
        _line(draw, (x, y), sub, small, ink, anchor, lay)
        y += small_h
    draw.rectangle(
        (
            frame.x0 + margin,
            foot_y - int(unit * 0.03),
            frame.x1 - margin,
            foot_y - int(unit * 0.025),
        ),
        fill=ink,
    )
    footer = _wrap(footer_text, foot, width, 1, card.lang)
    if footer:
        _line(draw, (x, foot_y), footer[0], foot, ink, anchor, lay)
    return img


def _title_lines(
    title: str, unit: int, width: int, room: int, max_lines: int, lang: str
) -> tuple[Font, int, list[str]]:
    """The title's font, line height and lines: the largest size at which it fits whole in
    ``max_lines`` lines and ``room`` pixels of height; else the smallest, cut with an ellipsis."""
    for factor in (0.085, 0.075, 0.065, 0.056, 0.048):
        tfont = _font(int(unit * factor), True, title)
        line_h = int(unit * factor * 1.22)
        fits = max(1, min(max_lines, room // line_h))
        lines = _wrap(title, tfont, width, fits, lang)
        if len(_wrap(title, tfont, width, fits + 1, lang)) <= fits:
            break
    return tfont, line_h, lines


def _line(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    font: Font,
    ink: tuple[int, int, int],
    anchor: str,
    lay: _Layout,
) -> None:
    """One line of text at ``xy``, shaped for the card's language and direction."""
    draw.text(
        xy, text, font=font, fill=ink, anchor=anchor, direction=lay.direction, language=lay.language
    )


def write_card(card: Card, size: tuple[int, int], brand: str, accent: str, path: Path) -> Path:
    """Draw the card and save it as PNG at ``path`` (the folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # zlib level 1: a flat-colour card compresses almost as well, and saving is ~5x faster
    draw_card(card, size, brand, accent).save(path, format="PNG", compress_level=1)
    return path
