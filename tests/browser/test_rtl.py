"""The Arabic edition in headless Chromium: right-to-left everywhere, measured on the rendered page.

English runs through the same measures as the control: each one reads the opposite way there, so
a measure that cannot tell left from right fails on English.
"""

from __future__ import annotations

from typing import Any

import pytest

from .checks import RESULTS
from .conftest import Drafted
from .rtl import columns, content_extent, date_badges, ink_right_share, short_lines, text_geometry

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIDE = {"ar": "right", "en": "left"}


def _load(page: Any, drafted: Drafted, kind: str, lang: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(drafted.page(kind, lang).as_uri(), wait_until="load")


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("kind", ["email", "archive"])
def test_text_hugs_the_reading_side(page: Any, drafted: Drafted, kind: str, lang: str) -> None:
    """Direction on html, body and every text block; short lines end at the start-side edge."""
    _load(page, drafted, kind, lang, 1280)
    want = "rtl" if lang == "ar" else "ltr"
    assert drafted.dirs[lang] == want
    geo = text_geometry(page)
    assert (geo["html"], geo["body"]) == (want, want)
    blocks = geo["blocks"]
    assert len(blocks) >= 20, blocks
    wrong = [b for b in blocks if b["direction"] != want or b["align"] not in (SIDE[lang], "start")]
    assert not wrong, f"{len(wrong)} text blocks not {want}/{SIDE[lang]}: {wrong[:5]}"
    short = short_lines(geo)
    assert len(short) >= 10, f"too few short lines to judge alignment: {short}"
    near, far = ("right_gap", "left_gap") if lang == "ar" else ("left_gap", "right_gap")
    RESULTS["rtl"][f"{kind}-{lang}-text"] = {
        "blocks": len(blocks), "short": len(short),
        f"max {near}": round(max(b[near] for b in short), 1),
        f"min {far}": round(min(b[far] for b in short), 1),
        "box": round(min(b["width"] for b in short), 1),
    }
    hugging = [b for b in short if b[near] > 2 or b[far] < 0.25 * b["width"]]
    assert not hugging, f"short lines not against the {SIDE[lang]} edge: {hugging[:5]}"


def test_embedded_english_keeps_its_own_direction(page: Any, drafted: Drafted) -> None:
    """An English item inside the Arabic edition stays left to right, left aligned."""
    _load(page, drafted, "email", "ar", 1280)
    found = page.evaluate(
        """() => [...document.querySelectorAll('body [dir="ltr"]')].map(e => {
             const cs = getComputedStyle(e);
             return {tag: e.tagName.toLowerCase(), lang: e.lang, direction: cs.direction,
                     align: cs.textAlign, block: cs.display === 'block', text: e.textContent.trim().slice(0, 40)}; })"""
    )
    RESULTS["rtl"]["email-ar-embedded-ltr"] = {
        "elements": len(found), "blocks": sum(f["block"] for f in found)}
    if not found:
        pytest.skip("every item of the Arabic sample edition is in Arabic: nothing embedded")
    # blocks align left; inline runs (a title inside a centred button) only keep their direction
    wrong = [f for f in found if f["direction"] != "ltr"
             or (f["block"] and f["align"] not in ("left", "start"))]
    assert not wrong, wrong
    unlabelled = [f for f in found if not f["lang"] or f["lang"].startswith("ar")]
    assert not unlabelled, f"left-to-right text without its own lang: {unlabelled}"


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_columns_run_in_reading_order(page: Any, drafted: Drafted, lang: str) -> None:
    """Desktop: the first column in source order is on the reading side; phone: it comes first on
    top. The events' date badges are on the start side of their rows."""
    _load(page, drafted, "email", lang, 1280)
    wide = columns(page)
    assert len(wide) == 2, f"expected the footer's two columns: {wide}"
    first, second = wide
    assert abs(first["top"] - second["top"]) < 1, "desktop columns should sit side by side"
    if lang == "ar":
        assert first["left"] >= second["right"] - 1, f"first column not on the right: {wide}"
    else:
        assert first["right"] <= second["left"] + 1, f"first column not on the left: {wide}"
    badges = date_badges(page)
    assert badges and set(badges) == {SIDE[lang]}, badges
    _load(page, drafted, "email", lang, 375)
    narrow = columns(page)
    assert narrow[0]["top"] < narrow[1]["top"], f"phone columns should stack, first on top: {narrow}"
    assert all(c["right"] - c["left"] > 300 for c in narrow), narrow
    RESULTS["rtl"][f"email-{lang}-columns"] = {
        "1280 first x": (first["left"], first["right"]),
        "1280 second x": (second["left"], second["right"]), "badges": f"{len(badges)} {SIDE[lang]}",
    }


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("kind", ["email", "archive"])
def test_screenshot_ink_weighs_to_the_reading_side(
    page: Any, drafted: Drafted, kind: str, lang: str
) -> None:
    """In the 1280 px screenshot, the text of the edition's own language leans to its start side."""
    _load(page, drafted, kind, lang, 1280)
    geo = text_geometry(page)
    left, right = content_extent(page)
    shot = drafted.shots / f"{kind}-{lang}-1280-ink.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    bands = [(b["top"], b["bottom"]) for b in geo["blocks"]]
    share, ink = ink_right_share(shot, left, right, bands)
    RESULTS["rtl"][f"{kind}-{lang}-ink"] = {"right-half share": round(share, 3), "ink px": ink,
                                           "content x": (left, right)}
    assert ink > 5000, f"too little text ink to judge: {ink} px"
    if lang == "ar":
        assert share > 0.65, f"Arabic text ink should lean right: {share:.2f} in the right half"
    else:
        assert share < 0.45, f"English text ink should lean left: {share:.2f} in the right half"
