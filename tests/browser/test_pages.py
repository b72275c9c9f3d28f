"""Every language's email and web-archive page in headless Chromium: screenshots at 375 and 1280 px,
nothing overflowing horizontally, and no serious or critical axe-core violation."""

from __future__ import annotations

from typing import Any

import pytest

from hrc_outreach.config import DEFAULT_LANGUAGES

from .checks import RESULTS, SEVERE, by_impact, describe, overflow, run_axe
from .conftest import AXE, WIDTHS, Drafted

pytestmark = [pytest.mark.browser, pytest.mark.slow]
KINDS = ("email", "archive")


def _load(page: Any, drafted: Drafted, kind: str, lang: str, width: int) -> None:
    if lang not in drafted.languages:
        pytest.fail(f"{lang} was not drafted (drafted: {drafted.languages})")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(drafted.page(kind, lang).as_uri(), wait_until="load")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", DEFAULT_LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_no_horizontal_overflow(
    page: Any, drafted: Drafted, kind: str, lang: str, width: int
) -> None:
    _load(page, drafted, kind, lang, width)
    shot = drafted.shots / f"{kind}-{lang}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    found = overflow(page, width)
    RESULTS["overflow"][f"{kind}-{lang}-{width}"] = (found["scrollWidth"], found["count"])
    assert found["clientWidth"] == width
    assert found["scrollWidth"] <= width, f"page scrolls sideways at {width} px: {found}"
    assert found["count"] == 0, f"elements beyond the {width} px viewport: {found['offenders']}"


@pytest.mark.parametrize("lang", DEFAULT_LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_axe_no_serious_violations(page: Any, drafted: Drafted, kind: str, lang: str) -> None:
    for width in WIDTHS[:1]:  # the phone layout; axe rules read the DOM, the widths share it
        _load(page, drafted, kind, lang, width)
        violations = run_axe(page, AXE)
        RESULTS["axe"][f"{kind}-{lang}-{width}"] = by_impact(violations)
        if violations:
            print(f"{kind} {lang} {width}px axe violations:\n{describe(violations)}")
        severe = [v for v in violations if v["impact"] in SEVERE]
        assert not severe, f"{kind} {lang} at {width} px:\n{describe(severe)}"


def test_an_overflow_and_a_violation_are_caught(page: Any, drafted: Drafted) -> None:
    """The checks bite: a too-wide table and an unlabelled image in the real page are reported."""
    _load(page, drafted, "email", "en", 375)
    page.evaluate(
        """() => { const t = document.createElement('table'); t.style.width = '700px';
                   t.innerHTML = '<tr><td>wide</td></tr>'; document.body.appendChild(t);
                   const i = document.createElement('img'); i.src = 'data:,';
                   i.width = 10; i.height = 10; document.body.appendChild(i); }"""
    )
    found = overflow(page, 375)
    assert found["scrollWidth"] > 375 and found["count"] >= 1
    ids = {v["id"] for v in run_axe(page, AXE) if v["impact"] in SEVERE}
    assert "image-alt" in ids


@pytest.mark.parametrize("lang", DEFAULT_LANGUAGES)
def test_archive_dark_mode_axe(page: Any, drafted: Drafted, lang: str) -> None:
    """The web archive declares `color-scheme: light dark`: its dark colours pass axe too."""
    page.emulate_media(color_scheme="dark")
    try:
        _load(page, drafted, "archive", lang, WIDTHS[0])
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 20, 23)", f"dark style not applied: {background}"
        violations = run_axe(page, AXE)
    finally:
        page.emulate_media(color_scheme="light")
    RESULTS["axe"][f"archive-dark-{lang}-{WIDTHS[0]}"] = by_impact(violations)
    severe = [v for v in violations if v["impact"] in SEVERE]
    assert not severe, f"archive {lang} in dark mode:\n{describe(severe)}"


@pytest.mark.parametrize("index", ["index.html", "en/index.html", "ar/index.html"])
def test_archive_indexes_axe(page: Any, drafted: Drafted, index: str) -> None:
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.goto((drafted.archive_root / index).as_uri(), wait_until="load")
    violations = run_axe(page, AXE)
    RESULTS["axe"][f"archive-index-{index}"] = by_impact(violations)
    assert overflow(page, WIDTHS[0])["scrollWidth"] <= WIDTHS[0]
    severe = [v for v in violations if v["impact"] in SEVERE]
    assert not severe, f"archive {index}:\n{describe(severe)}"
