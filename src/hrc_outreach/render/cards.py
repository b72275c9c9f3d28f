"""Image cards for social posts (PNG, Pillow): title, place or project, edition, brand colours.

Sizes: 1080×1080 for Instagram, 1200×630 (the Open Graph size) for the other platforms. Arabic is
shaped and laid out right to left when Pillow has libraqm (``PIL.features.check("raqm")``); without
it the card falls back to Pillow's basic layout, left-aligned.

>>> card_file_name("2026-12", "fr", None, SQUARE)
'2026-12-fr-edition-1080x1080.png'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from hrc_outreach.i18n.catalog import text_direction

SQUARE = (1080, 1080)
LANDSCAPE = (1200, 630)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
RAQM = features.check("raqm")
# Emoji and joiners have no glyph in DejaVu: they would print as boxes.
_NO_GLYPH = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")

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
    """What a card shows; ``lang`` decides the direction and the shaping."""

    title: str
    subtitle: str
    footer: str
    lang: str


def card_file_name(edition_key: str, lang: str, item_id: str | None, size: tuple[int, int]) -> str:
    """``<edition>-<lang>-<item id or "edition">-<W>x<H>.png``: stable across drafts."""
    return f"{edition_key}-{lang}-{item_id or 'edition'}-{size[0]}x{size[1]}.png"


@lru_cache(maxsize=32)
def _font(size: int, bold: bool) -> Font:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


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
    if RAQM and text_direction(lang) == "rtl":
        return _Layout("rtl", lang.split("_")[0])
    return _Layout()


def _wrap(text: str, font: Font, width: int, max_lines: int, lang: str) -> list[str]:
    """Words into lines no wider than ``width``; the last line ends with … if text is left over."""
    lay = _layout(lang)
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
        while last and lay.length(font, last + " …") > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines = lines[: max_lines - 1] + [last + " …"]
    # A single word wider than the card: cut it rather than overflow.
    return [_fit_word(line, font, width, lay) for line in lines]


def _fit_word(line: str, font: Font, width: int, lay: _Layout) -> str:
    while len(line) > 1 and lay.length(font, line) > width:
        line = line[:-2] + "…"
    return line


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
    rtl = text_direction(card.lang) == "rtl"
    lay = _layout(card.lang)
    x, anchor = (w - margin, "ra") if rtl and RAQM else (margin, "la")
    width = w - 2 * margin

    title = _NO_GLYPH.sub("", card.title).strip()
    tfont, lines = _title_lines(title, unit, width, 6 if h >= w else 4, card.lang)
    line_h = int(tfont.size * 1.22) if isinstance(tfont, ImageFont.FreeTypeFont) else 40
    small = _font(int(unit * 0.042), False)
    small_h = int(unit * 0.042 * 1.3)
    foot = _font(int(unit * 0.034), False)
    subs = _wrap(_NO_GLYPH.sub("", card.subtitle), small, width, 2, card.lang)
    block_h = line_h * len(lines) + small_h * (len(subs) + 1 if subs else 0)
    y = max(int(unit * 0.16), (h - block_h) // 2)
    for line in lines:
        _line(draw, (x, y), line, tfont, ink, anchor, lay)
        y += line_h
    y += small_h // 2
    for sub in subs:
        _line(draw, (x, y), sub, small, ink, anchor, lay)
        y += small_h
    foot_y = h - margin - small_h
    draw.rectangle(
        (margin, foot_y - int(unit * 0.03), w - margin, foot_y - int(unit * 0.025)), fill=ink
    )
    footer = _wrap(_NO_GLYPH.sub("", card.footer), foot, width, 1, card.lang)
    if footer:
        _line(draw, (x, foot_y), footer[0], foot, ink, anchor, lay)
    return img


def _title_lines(
    title: str, unit: int, width: int, max_lines: int, lang: str
) -> tuple[Font, list[str]]:
    """The title's font and lines: the largest size at which it fits in ``max_lines``."""
    for factor in (0.085, 0.075, 0.065, 0.056):
        tfont = _font(int(unit * factor), True)
        lines = _wrap(title, tfont, width, max_lines, lang)
        if len(lines) < max_lines or factor == 0.056:
            break
    return tfont, lines


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
