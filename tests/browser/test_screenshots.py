"""Screenshots of the sample edition for the record (issue 13's acceptance): the email in English,
French, Arabic and Ukrainian at 375 and 1280 px, with the network's logo as published.

`make screenshots` (HRC_SAVE_SCREENSHOTS=1) writes them to tests/artifacts/screenshots/, where they
are committed and reviewed like golden files; otherwise they go to the run's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .checks import overflow
from .conftest import ROOT, WIDTHS, Drafted

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARTIFACTS = ROOT / "tests" / "artifacts" / "screenshots"
LANGS = ("en", "fr", "ar", "uk")


def _target(drafted: Drafted) -> Path:
    if os.environ.get("HRC_SAVE_SCREENSHOTS"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        return ARTIFACTS
    return drafted.shots


def _save_small(shot: bytes, path: Path) -> None:
    """A palette PNG (the email has few colours): a fraction of the size, the same to the eye."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(shot)) as img:
        img.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE).save(path, optimize=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_email_screenshot(page: Any, drafted: Drafted, lang: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(drafted.email(lang).as_uri(), wait_until="load")
    logo = page.evaluate(
        """() => { const i = document.querySelector('img');
                   return {src: i.src, w: i.naturalWidth, h: i.naturalHeight, shown: i.width}; }"""
    )
    # the logo loaded from the published archive (the real PNG, not the grey stand-in)
    assert logo["src"].endswith("/archive/logo.png") and logo["w"] == 800, logo
    assert 0 < logo["shown"] <= 200
    found = overflow(page, width)
    assert found["scrollWidth"] <= width and found["count"] == 0, found
    path = _target(drafted) / f"email-{lang}-{width}.png"
    _save_small(page.screenshot(full_page=True), path)
    print(f"screenshot: {path} ({path.stat().st_size:,} bytes)")
