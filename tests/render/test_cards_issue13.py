"""Image cards (issue 13): Arabic shaped and right to left, hostile titles, the logo, the item's
photo fetched within bounds (or a local file), and what happens when a photo cannot be used."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_edition
from hrc_outreach.models import ContentItem, ItemKind, SocialPlatform, item_id
from hrc_outreach.render import cards, photos
from hrc_outreach.render.cards import LANDSCAPE, SQUARE, Card, card_logo, draw_card
from hrc_outreach.render.photos import PhotoError, load_photo
from hrc_outreach.render.social import social_posts

from .conftest import fixed_edition

BRAND, ACCENT = "#0b5394", "#c0392b"
BG = (0x0B, 0x53, 0x94)
TITLE = "مدن حقوق الإنسان"  # "human rights cities"
RED = (200, 30, 30)


def _png(size: tuple[int, int] = (400, 300), colour: tuple[int, int, int] = RED) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def _card(title: str, lang: str = "ar", **kw: Any) -> Image.Image:
    return draw_card(Card(title, "", "", lang, **kw), LANDSCAPE, BRAND, ACCENT)


def _runs(img: Image.Image, y0: int, y1: int, x0: int = 0) -> list[tuple[int, int]]:
    """Runs of columns (from x0) holding ink between rows y0 and y1: glyph groups, left to right."""
    px = img.load()
    assert px is not None
    out: list[list[int]] = []
    for x in range(x0, img.width):
        if any(px[x, y] != BG for y in range(y0, y1)):
            if out and out[-1][1] == x - 1:
                out[-1][1] = x
            else:
                out.append([x, x])
    return [(a, b) for a, b in out]


TITLE_ROWS = (130, 470)  # below the band, above the footer rule of a 1200×630 card without logo


@pytest.mark.skipif(not cards.RAQM, reason="Pillow without libraqm: no shaping, no bidi")
def test_arabic_card_puts_the_first_word_rightmost_and_joins_its_letters() -> None:
    full = _card(TITLE)
    first = _card("مدن")  # the first word alone, right-aligned at the same place and size
    last = _card("الإنسان")
    word = _runs(first, *TITLE_ROWS)

    def near(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
        pairs = zip(a, b, strict=False)
        return len(a) == len(b) and all(abs(x[0] - y[0]) <= 1 >= abs(x[1] - y[1]) for x, y in pairs)

    # the rightmost ink of the title is the first word, glyph group for glyph group (±1 px of
    # anti-aliasing: the line starts at a fractional x)
    assert near(_runs(full, *TITLE_ROWS)[-len(word) :], word)
    assert not near(_runs(last, *TITLE_ROWS)[-len(word) :], word)
    # shaped: meem joins dal (one stroke), noon stands apart; the same letters kept apart by
    # zero-width non-joiners (isolated forms, what an unshaped rendering shows) make three groups
    isolated = _runs(_card("م\u200cد\u200cن"), *TITLE_ROWS)
    assert len(word) == 2 and len(isolated) == 3
    assert word[-1][1] - word[-1][0] > isolated[-1][1] - isolated[-1][0]  # meem+dal, wider
    # right to left: the whole line hugs the right margin
    assert max(b for _, b in _runs(full, *TITLE_ROWS)) > 1200 - int(1200 * 0.07) - 6


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_bidi_controls_and_zero_width_characters_change_nothing(lang: str) -> None:
    plain = TITLE if lang == "ar" else "Human rights cities"
    hostile = "\u202e" + plain.replace(" ", " \u200b\u2066", 1) + "\u202c\u200f\ufeff"
    assert _card(hostile, lang).tobytes() == _card(plain, lang).tobytes()


def test_emoji_are_left_out_not_drawn_as_boxes() -> None:
    assert _card("Pride week 👩🏽‍⚖️🏳️‍🌈", "en").tobytes() == _card("Pride week", "en").tobytes()


@pytest.mark.parametrize("size", [LANDSCAPE, SQUARE])
def test_very_long_titles_stay_inside_the_card(size: tuple[int, int]) -> None:
    title = "Supercalifragilistic" * 30 + " " + "word " * 200
    img = draw_card(
        Card(title, "x " * 300, "y " * 300, "en", logo=card_logo()), size, BRAND, ACCENT
    )
    assert img.size == size
    margin = int(size[0] * 0.07)
    band = int(min(size) * 0.035) + 1
    ink = _runs(img, band, size[1])
    assert ink and ink[0][0] >= margin - 2 and ink[-1][1] <= size[0] - margin + 2


@pytest.mark.skipif(card_logo() is None, reason="the project ships no logo yet")
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_logo_is_on_the_start_side_at_the_top(lang: str) -> None:
    with_logo = _card("Title", lang, logo=card_logo())
    without = _card("Title", lang)
    top = (0, 25, 1200, 110)  # between the band and the title
    assert with_logo.crop(top).tobytes() != without.crop(top).tobytes()
    ink = _runs(with_logo, 25, 110)
    if lang == "ar" and cards.RAQM:
        assert ink[0][0] > 600  # on the right
    else:
        assert ink[-1][1] < 600  # on the left


@pytest.mark.parametrize("size", [LANDSCAPE, SQUARE])
def test_a_photo_fills_its_part_of_the_card(size: tuple[int, int]) -> None:
    photo = Image.new("RGB", (3000, 2000), RED)
    img = draw_card(Card("Title", "Place", "Edition", "en", photo), size, BRAND, ACCENT)
    w, h = size
    probe = (w - 10, h // 2) if w > h else (w // 2, int(h * 0.3))
    assert img.getpixel(probe) == RED
    assert img.getpixel((5, h - 5)) == BG  # the text side keeps the brand colour


def test_load_photo_refuses_what_is_not_a_usable_image() -> None:
    with pytest.raises(PhotoError, match="not a PNG, JPEG, GIF or WebP"):
        load_photo(b"<html><body>Not found</body></html>", "https://x.org/p.jpg")
    with pytest.raises(PhotoError, match="not a PNG"):
        load_photo(b"", "https://x.org/empty.png")
    with pytest.raises(PhotoError, match="damaged"):
        load_photo(_png()[:80], "https://x.org/cut.png")
    # a small file declaring a huge picture (a decompression bomb) is refused before decoding
    bomb = BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 1_000_000
    started = time.monotonic()
    with pytest.raises(PhotoError, match="pixels"):
        load_photo(bomb.getvalue(), "https://x.org/bomb.png")
    assert time.monotonic() - started < 1.0
    big = load_photo(_png((4000, 100)), "wide")
    assert max(big.size) <= photos.MAX_SIDE


class _Server:
    """A photo server on 127.0.0.1: path -> (status, content type, body); counts requests."""

    def __init__(self, routes: dict[str, tuple[int, str, bytes]]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.hits[self.path] += 1
                if self.path == "/slow.png":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.end_headers()
                    try:
                        for byte in _png():  # one byte a second: only a deadline stops it
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(1)
                    except OSError:
                        pass
                    return
                status, ctype, body = server.routes.get(self.path, (404, "text/html", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server(
        {
            "/photo.png": (200, "image/png", _png()),
            "/page.png": (200, "text/html", b"<html>a page, not a picture</html>"),
            "/huge.png": (200, "image/png", _png((3000, 3000)) + b"\0" * 3_000_000),
        }
    )
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _photo_item(key: str, url: str, alt: str = "Volunteers at a food bank") -> ContentItem:
    return ContentItem(
        id=item_id("t", key), source="t", source_key=key, kind=ItemKind.PRACTICE,
        title=f"Practice {key}", summary="<p>Summary.</p>", language="en",
        url="https://humanrightscities.net/p", city="Gwangju", country="KR",
        image_url=url, image_alt=alt,
    )  # fmt: skip


def _posts(item: ContentItem, tmp_path: Path, settings: Settings, lang: str = "en", **kw: Any):  # type: ignore[no-untyped-def]
    return social_posts(
        localize_edition(fixed_edition([item]), lang), settings, cards_dir=tmp_path / lang, **kw
    )


def _item_card(posts: Any, tmp_path: Path, lang: str = "en") -> tuple[Image.Image, str]:
    post = next(p for p in posts if p.item_id and p.platform is SocialPlatform.BLUESKY)
    with Image.open(tmp_path / lang / post.image) as img:
        return img.convert("RGB"), post.image_alt


def test_an_items_photo_is_fetched_once_and_put_on_its_card(
    server: _Server, tmp_path: Path, settings: Settings
) -> None:
    item = _photo_item("fetched", server.url("/photo.png"))
    for lang in ("en", "ar", "fr"):
        card, alt = _item_card(_posts(item, tmp_path, settings, lang), tmp_path, lang)
        assert RED in {c for _, c in card.getcolors(1 << 20) or []}
        assert "photo" in alt.lower() or lang != "en"
    assert server.hits["/photo.png"] == 1  # the other languages reuse it
    _, alt = _item_card(_posts(item, tmp_path, settings), tmp_path)
    assert "Practice fetched" in alt and "Gwangju, South Korea" in alt
    assert "Volunteers at a food bank" in alt  # what the photo shows, from its source
    if card_logo() is not None:
        assert "Human Rights Cities Network logo" in alt


@pytest.mark.parametrize("path", ["/page.png", "/missing.png", "/huge.png"])
def test_a_photo_that_cannot_be_used_leaves_a_card_without_photo_and_says_so(
    path: str, server: _Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(fetch={"max_response_bytes": 1_000_000, "backoff_seconds": 0.01})
    item = _photo_item(path.strip("/."), server.url(path))
    with caplog.at_level(logging.WARNING, logger="hrc_outreach.render.photos"):
        card, alt = _item_card(_posts(item, tmp_path, settings), tmp_path)
    assert RED not in {c for _, c in card.getcolors(1 << 20) or []}
    assert "photo" not in alt.lower()
    warned = [r.getMessage() for r in caplog.records]
    assert any(item.id in m and "without a photo" in m and path in m for m in warned), warned


def test_a_photo_server_that_trickles_is_cut_off_by_the_deadline(
    server: _Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(fetch={"source_deadline_seconds": 1.5, "timeout_seconds": 5})
    item = _photo_item("slow", server.url("/slow.png"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="hrc_outreach.render.photos"):
        card, alt = _item_card(_posts(item, tmp_path, settings), tmp_path)
    assert time.monotonic() - started < 6
    assert "photo" not in alt.lower()
    assert any("timed out" in r.getMessage() for r in caplog.records)


def test_a_local_photo_file_is_used_and_a_bad_one_refused(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    item = _photo_item("local", "")
    good = tmp_path / "good.png"
    good.write_bytes(_png())
    card, alt = _item_card(_posts(item, tmp_path, settings, photos={item.id: good}), tmp_path)
    assert RED in {c for _, c in card.getcolors(1 << 20) or []}
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with caplog.at_level(logging.WARNING, logger="hrc_outreach.render.photos"):
        card, alt = _item_card(_posts(item, tmp_path, settings, photos={item.id: bad}), tmp_path)
    assert RED not in {c for _, c in card.getcolors(1 << 20) or []}
    assert any(str(bad) in r.getMessage() for r in caplog.records)


def test_a_local_path_as_image_url_is_never_read(tmp_path: Path, settings: Settings) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png())
    for url in (str(secret), f"file://{secret}"):
        item = _photo_item("path", url)
        card, alt = _item_card(_posts(item, tmp_path, settings), tmp_path)
        assert RED not in {c for _, c in card.getcolors(1 << 20) or []}
