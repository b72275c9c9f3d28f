"""Geometry and pixels of a rendered page: which side text hugs, and which way columns run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Per visible text block (h1-h3, p) outside an element with its own dir: the block's direction and
# text-align, and the gaps between its text (a Range over its contents) and the block's content box.
_TEXT_JS = """
() => {
  const out = [];
  for (const b of document.querySelectorAll('body h1, body h2, body h3, body p')) {
    const box = b.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const own = b.closest('[dir]');
    if (own && own.getAttribute('dir') !== document.documentElement.getAttribute('dir')) continue;
    const range = document.createRange();
    range.selectNodeContents(b);
    const t = range.getBoundingClientRect();
    if (t.width === 0) continue;
    // The last line's extent: the union of the range's fragments on the last line box.
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    const lastTop = Math.max(...rects.map(r => r.top));
    const last = rects.filter(r => r.bottom > lastTop + 1);
    const lastLeft = Math.min(...last.map(r => r.left)), lastRight = Math.max(...last.map(r => r.right));
    const cs = getComputedStyle(b);
    const left = box.left + parseFloat(cs.paddingLeft), right = box.right - parseFloat(cs.paddingRight);
    out.push({tag: b.tagName.toLowerCase(), direction: cs.direction, align: cs.textAlign,
              width: right - left, text_width: t.width,
              left_gap: t.left - left, right_gap: right - t.right,
              last_width: lastRight - lastLeft, last_left_gap: lastLeft - left,
              last_right_gap: right - lastRight, lines: Math.round(box.height / (parseFloat(cs.lineHeight) || 20)),
              top: box.top + window.scrollY, bottom: box.bottom + window.scrollY,
              text: b.textContent.trim().slice(0, 40)});
  }
  return {html: getComputedStyle(document.documentElement).direction,
          body: getComputedStyle(document.body).direction, blocks: out};
}
"""

# The two columns of every multi-column row of an MJML email (the footer), in source order.
_COLUMNS_JS = """
() => [...document.querySelectorAll('.mj-column-per-50')].map(c => {
  const r = c.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, text: c.textContent.trim().slice(0, 30)};
})
"""

# Event rows: on which side of its row each date badge sits.
_BADGES_JS = """
() => [...document.querySelectorAll('.hrc-date')].map(b => {
  const r = b.getBoundingClientRect(), row = b.closest('table').getBoundingClientRect();
  return (r.left + r.right) / 2 > (row.left + row.right) / 2 ? 'right' : 'left';
})
"""

# The horizontal extent of the content column (the 600 px wide sections of the email).
_CONTENT_JS = """
() => { const s = document.querySelector('h1').closest('div[style*="max-width"]') ||
                  document.querySelector('main');
        const r = s.getBoundingClientRect(); return [r.left, r.right]; }
"""


def text_geometry(page: Any) -> dict[str, Any]:
    return page.evaluate(_TEXT_JS)  # type: ignore[no-any-return]


def short_lines(geometry: dict[str, Any], fill: float = 0.6) -> list[dict[str, Any]]:
    """The lines that fill under ``fill`` of their block's box: they show where text is aligned. A
    block's last line counts, so a paragraph of several lines ending short is judged too; each
    is returned as its block with the gaps and width of that line."""
    out = []
    for b in geometry["blocks"]:
        line = {**b, "text_width": b["last_width"], "left_gap": b["last_left_gap"],
                "right_gap": b["last_right_gap"]}
        if line["text_width"] < fill * b["width"]:
            out.append(line)
    return out


def columns(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(_COLUMNS_JS)  # type: ignore[no-any-return]


def date_badges(page: Any) -> list[str]:
    """For each event's date badge, the side of its row it is on ("left" or "right")."""
    return page.evaluate(_BADGES_JS)  # type: ignore[no-any-return]


def content_extent(page: Any) -> tuple[float, float]:
    left, right = page.evaluate(_CONTENT_JS)
    return float(left), float(right)


def ink_right_share(
    png: Path, left: float, right: float, bands: list[tuple[float, float]]
) -> tuple[float, int]:
    """Share of dark neutral pixels (text, not the blue brand or links) in the right half of the
    content column ``[left, right)`` of a full-page screenshot, over the rows of ``bands``
    (top, bottom in page pixels); and the number of such pixels."""
    import numpy as np
    from PIL import Image

    with Image.open(png) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
    cols = rgb[:, int(left):int(right)]
    hi, lo = cols.max(axis=2), cols.min(axis=2)
    ink = (hi < 120) & (hi - lo < 30)  # dark grey text (#1f2933, #3e4c59, #52606d) and its edges
    rows = np.zeros(ink.shape[0], dtype=bool)
    for top, bottom in bands:
        rows[max(0, int(top)):int(bottom) + 1] = True
    ink = ink[rows]
    total = int(ink.sum())
    right_half = int(ink[:, ink.shape[1] // 2:].sum())
    return (right_half / total if total else 0.0), total
