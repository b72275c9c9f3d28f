"""The network's logo: shipped, published beside the archive, shown by the email from there; the
lint fails on a logo or image URL that is not a published image."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import Edition, LintFinding, Severity
from hrc_outreach.render.brand import (
    BRAND_DIR,
    is_image,
    logo_url,
    looks_like_image_url,
    publish_brand,
)
from hrc_outreach.render.draft import render_message
from hrc_outreach.render.htmldoc import parse_html
from hrc_outreach.render.lint import PublishedImages, lint_message, published_images
from hrc_outreach.storage import PublishedFiles

BASE = "https://outreach.example.org/archive/"
PNG = (BRAND_DIR / "logo.png").read_bytes()


def _html(*srcs: str) -> str:
    imgs = "".join(f'<img src="{s}" alt="a picture">' for s in srcs)
    return f'<html lang="en"><body><h1>Title</h1>{imgs}</body></html>'


def _image_findings(html: str, published: PublishedImages | None) -> list[LintFinding]:
    found = lint_message(html, "Title", "en", published=published)
    return [f for f in found if f.rule in {"image-url", "logo-url"}]


@pytest.fixture
def files(tmp_path: Path) -> PublishedFiles:
    return PublishedFiles(str(tmp_path / "out"))


def test_shipped_logo_is_a_png_and_an_svg_with_the_network_name() -> None:
    assert is_image(PNG) and PNG.startswith(b"\x89PNG")
    svg = (BRAND_DIR / "logo.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") and "Human Rights Cities Network" in svg
    assert "<script" not in svg and "href" not in svg  # self-contained, no external fetch


def test_logo_url_is_the_published_png_unless_configured() -> None:
    settings = Settings(web={"base_url": "https://outreach.example.org/"})
    assert logo_url(settings) == BASE + "logo.png"
    own = Settings(newsletter={"logo_url": "https://cdn.example.org/brand.png"})
    assert logo_url(own) == "https://cdn.example.org/brand.png"


def test_publish_brand_writes_once_and_repairs_a_changed_file(files: PublishedFiles) -> None:
    first = publish_brand(files)
    assert [Path(p).name for p in first] == ["logo.png", "logo.svg"]
    assert files.read_bytes("archive/logo.png") == PNG
    assert publish_brand(files) == []  # unchanged: nothing rewritten
    files.write_bytes("archive/logo.png", b"not a png")
    assert [Path(p).name for p in publish_brand(files)] == ["logo.png"]
    assert files.read_bytes("archive/logo.png") == PNG


def test_published_logo_passes(files: PublishedFiles) -> None:
    publish_brand(files)
    published = PublishedImages(BASE, files, BASE + "logo.png")
    assert _image_findings(_html(BASE + "logo.png"), published) == []


def test_logo_not_yet_published_is_an_error(files: PublishedFiles) -> None:
    published = PublishedImages(BASE, files, BASE + "logo.png")
    (f,) = _image_findings(_html(BASE + "logo.png"), published)
    assert f.rule == "image-url" and f.severity is Severity.ERROR
    assert "not published" in f.message and "logo.png" in f.message


def test_published_file_that_is_not_an_image_is_an_error(files: PublishedFiles) -> None:
    files.write_bytes("archive/logo.png", b"<html>404 page</html>")
    files.write_text("archive/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    published = PublishedImages(BASE, files, BASE + "logo.png")
    found = _image_findings(_html(BASE + "logo.png", BASE + "logo.svg"), published)
    assert [f.rule for f in found] == ["image-url", "image-url"]
    assert all("not a PNG, JPEG or GIF" in f.message for f in found)


@pytest.mark.parametrize(
    "path", ["../secrets.png", "en/../../x.png", "missing/folder/logo.png", "logo.png%00.txt"]
)
def test_paths_that_leave_or_miss_the_archive_are_errors(files: PublishedFiles, path: str) -> None:
    publish_brand(files)
    published = PublishedImages(BASE, files, BASE + "logo.png")
    (f,) = _image_findings(_html(BASE + path), published)
    assert f.rule == "image-url" and "not published" in f.message


@pytest.mark.parametrize("path", ["logo.png/", "/logo.png", "en//../logo.png", "brand//logo.png"])
def test_paths_with_an_empty_segment_are_errors(files: PublishedFiles, path: str) -> None:
    """Our own server and a local folder ignore an empty segment; a static host or an object
    store (S3 keys) do not, and the reader's client would get a 404."""
    publish_brand(files)
    files.write_bytes("archive/brand/logo.png", PNG)
    published = PublishedImages(BASE, files, BASE + "logo.png")
    (f,) = _image_findings(_html(BASE + path), published)
    assert f.rule == "image-url" and ("empty" in f.message or "not published" in f.message)


def test_logo_outside_the_published_archive_is_an_error(files: PublishedFiles) -> None:
    publish_brand(files)
    elsewhere = "https://humanrightscities.net/static/logo.png"
    published = PublishedImages(BASE, files, elsewhere)
    found = {f.rule: f for f in _image_findings(_html(elsewhere), published)}
    assert set(found) == {"logo-url"} and found["logo-url"].severity is Severity.ERROR
    assert BASE in found["logo-url"].message


@pytest.mark.parametrize(
    "src, ok",
    [
        ("https://example.org/media/photo.jpg", True),
        ("https://example.org/media/photo.JPEG?w=600&h=300", True),
        ("https://example.org/a/b.webp#x", True),
        ("https://example.org/gallery/42", False),  # a page, not an image
        ("https://example.org/media/drawing.svg", False),  # most email clients do not show SVG
        ("https://example.org/photo.png.html", False),
        ("https://example.org/", False),
    ],
)
def test_other_images_must_name_an_image_file(src: str, ok: bool) -> None:
    found = _image_findings(_html(src), None)
    assert (found == []) is ok, found
    assert looks_like_image_url(src) is ok


def test_item_image_that_is_no_image_is_left_out_of_the_email(
    edition: Edition, settings: Settings
) -> None:
    section = edition.sections[0]
    item = section.items[1].model_copy(update={"image_url": "https://example.org/gallery/42"})
    changed = edition.model_copy(
        update={
            "sections": (section.model_copy(update={"items": (section.items[0], item)}),)
            + edition.sections[1:]
        }
    )
    loc = localize_all(changed, ["en"], settings=settings)["en"]
    msg, _ = render_message(loc, settings)
    srcs = [i.attrs["src"] for i in parse_html(msg.html).find_all("img")]
    assert "https://example.org/gallery/42" not in srcs
    assert "image-url" not in {f.rule for f in msg.lint}


def test_draft_lint_checks_the_published_logo(
    edition: Edition, settings: Settings, files: PublishedFiles
) -> None:
    loc = localize_all(edition, ["en"], settings=settings)["en"]
    msg, _ = render_message(loc, settings, files=files)  # nothing published yet
    assert {f.rule for f in msg.lint if f.severity is Severity.ERROR} == {"image-url"}
    publish_brand(files)
    msg, _ = render_message(loc, settings, files=files)
    assert not [f for f in msg.lint if f.severity is Severity.ERROR]
    logo = parse_html(msg.html).find("img")
    assert logo is not None and logo.attrs["src"] == logo_url(settings)
    assert logo.attrs["alt"] == settings.newsletter.organisation
    assert (
        published_images(settings, files).base_url
        == "https://outreach.humanrightscities.net/archive/"
    )


def test_logo_reads_on_light_and_dark_backgrounds() -> None:
    """Opaque (a client's dark background never shows through) and white on the brand blue: the
    same logo whatever a client does to colours around it."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(PNG)) as img:
        assert "transparency" not in img.info and img.mode in {"P", "RGB", "L"}
        rgb = img.convert("RGB")
        assert rgb.size[0] >= 2 * 200  # sharp at the 200 px the email shows, on 2x screens
        counts = sorted(rgb.getcolors(maxcolors=4096) or [], reverse=True)
    (_, background), (_, ink) = counts[0], counts[1]
    assert background == (0x0B, 0x53, 0x94) and ink == (255, 255, 255)
    lum = [
        sum(w * ((c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4)
            for w, c in zip((0.2126, 0.7152, 0.0722), colour, strict=True))
        for colour in (background, ink)
    ]  # fmt: skip
    assert (max(lum) + 0.05) / (min(lum) + 0.05) >= 4.5
