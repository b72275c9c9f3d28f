"""Draw templates/brand/logo.png (what email clients show: they do not render SVG) from
templates/brand/logo.svg with headless Chromium, at twice the size the email shows it.

    .venv/bin/python scripts/make_logo.py
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BRAND = ROOT / "templates" / "brand"
SCALE = 2
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    svg = (BRAND / "logo.svg").read_text(encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(device_scale_factor=SCALE, viewport={"width": 800, "height": 400})
        page.set_content(f'<body style="margin:0">{svg}</body>')
        shot = page.locator("svg").screenshot(omit_background=False)
        browser.close()
    # opaque, palette PNG: small, and the same on light and dark backgrounds
    image = (
        Image.open(io.BytesIO(shot)).convert("RGB").quantize(colors=32, dither=Image.Dither.NONE)
    )
    image.save(BRAND / "logo.png", optimize=True)
    print(
        f"{BRAND / 'logo.png'}: {image.size[0]}x{image.size[1]}, "
        f"{(BRAND / 'logo.png').stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()
