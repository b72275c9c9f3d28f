"""Campaign messages in headless Chromium (issue 14): the Persian and Arabic steps of the sample
campaign pass the right-to-left checks of the newsletter's Arabic edition (``test_rtl.py``), with
English as the control that reads the opposite way; and axe-core finds nothing serious."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .checks import by_impact, describe, run_axe
from .conftest import AXE, CHROMIUM, CHROMIUM_ARGS, ROOT
from .rtl import columns, content_extent, ink_right_share, short_lines, text_geometry

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIDE = {"ar": "right", "fa": "right", "en": "left"}
STEPS = ("announcement", "election-day")


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Two steps of the sample campaign in fa, ar and en, as HTML files."""
    from hrc_outreach.campaigns.render import render_step
    from hrc_outreach.campaigns.validate import load_campaign
    from hrc_outreach.config import load_settings

    settings = load_settings(ROOT / "outreach.toml", env={})
    sample = ROOT / "campaigns" / "eu-elections"
    campaign = load_campaign(settings, sample)
    out = tmp_path_factory.mktemp("campaign-browser")
    files = {}
    for step in STEPS:
        rendered = render_step(settings, campaign, campaign.step(step), sample)
        for lang in SIDE:
            path = out / f"{step}-{lang}.html"
            path.write_text(rendered[lang].html, encoding="utf-8")
            files[(step, lang)] = path
    return files


@pytest.fixture(scope="module")
def page(messages: dict[tuple[str, str], Path]) -> Iterator[Any]:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    buf = io.BytesIO()
    Image.new("RGB", (320, 80), (11, 83, 148)).save(buf, format="PNG")
    png = buf.getvalue()
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def route(r: Any) -> None:
            if r.request.url.startswith(("http://", "https://")):
                if r.request.resource_type == "image":
                    r.fulfill(status=200, content_type="image/png", body=png)
                else:
                    r.abort()
            else:
                r.continue_()

        context.route("**/*", route)
        p = context.new_page()
        p.set_default_timeout(30_000)
        yield p
        context.close()
        browser.close()
    finally:
        pw.stop()


def _load(page: Any, path: Path, width: int = 1280) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path.as_uri(), wait_until="load")


@pytest.mark.parametrize("lang", ["fa", "ar", "en"])
@pytest.mark.parametrize("step", STEPS)
def test_text_hugs_the_reading_side(
    page: Any, messages: dict[tuple[str, str], Path], step: str, lang: str
) -> None:
    _load(page, messages[(step, lang)])
    want = "rtl" if SIDE[lang] == "right" else "ltr"
    geo = text_geometry(page)
    assert (geo["html"], geo["body"]) == (want, want)
    blocks = geo["blocks"]
    assert len(blocks) >= 6, blocks
    wrong = [b for b in blocks if b["direction"] != want or b["align"] not in (SIDE[lang], "start")]
    assert not wrong, f"{len(wrong)} text blocks not {want}/{SIDE[lang]}: {wrong[:5]}"
    # A campaign message is short and its paragraphs may end near the far edge: judge every line
    # that leaves at least 10 % of its box empty (the newsletter's test can ask for 40 %).
    short = short_lines(geo, fill=0.9)
    assert len(short) >= 3, f"too few short lines to judge alignment: {short} of {blocks}"
    near, far = ("right_gap", "left_gap") if want == "rtl" else ("left_gap", "right_gap")
    hugging = [b for b in short if b[near] > 2 or b[far] < 0.1 * b["width"]]
    assert not hugging, f"short lines not against the {SIDE[lang]} edge: {hugging[:5]}"


@pytest.mark.parametrize("lang", ["fa", "ar", "en"])
def test_footer_columns_run_in_reading_order(
    page: Any, messages: dict[tuple[str, str], Path], lang: str
) -> None:
    _load(page, messages[("election-day", lang)])
    wide = columns(page)
    assert len(wide) == 2, f"expected the footer's two columns: {wide}"
    first, second = wide
    if SIDE[lang] == "right":
        assert first["left"] >= second["right"] - 1, f"first column not on the right: {wide}"
    else:
        assert first["right"] <= second["left"] + 1, f"first column not on the left: {wide}"
    _load(page, messages[("election-day", lang)], 375)
    narrow = columns(page)
    assert narrow[0]["top"] < narrow[1]["top"], f"phone columns should stack: {narrow}"


@pytest.mark.parametrize("lang", ["fa", "ar", "en"])
def test_screenshot_ink_weighs_to_the_reading_side(
    page: Any, messages: dict[tuple[str, str], Path], lang: str, tmp_path: Path
) -> None:
    _load(page, messages[("announcement", lang)])
    geo = text_geometry(page)
    left, right = content_extent(page)
    shot = tmp_path / f"announcement-{lang}.png"
    page.screenshot(path=str(shot), full_page=True)
    share, ink = ink_right_share(
        shot, left, right, [(b["top"], b["bottom"]) for b in geo["blocks"]]
    )
    assert ink > 3000, f"too little text ink to judge: {ink} px"
    if SIDE[lang] == "right":
        assert share > 0.65, f"{lang} text ink should lean right: {share:.2f} in the right half"
    else:
        assert share < 0.45, f"English text ink should lean left: {share:.2f} in the right half"


@pytest.mark.parametrize("lang", ["fa", "ar", "en"])
def test_no_serious_accessibility_violation(
    page: Any, messages: dict[tuple[str, str], Path], lang: str
) -> None:
    _load(page, messages[("election-day", lang)])
    violations = [v for v in run_axe(page, AXE) if v["impact"] in ("serious", "critical")]
    assert not violations, f"{by_impact(violations)}\n{describe(violations)}"
