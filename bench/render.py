"""Time to curate and render an edition (Python: Jinja2 + mjml-python) next to npm mjml's compile.

Run: ``.venv/bin/python bench/render.py``. The JavaScript side needs ``npm install --no-save
--prefix bench mjml`` once; without it (or without node) the script says so and goes on.
Target: the whole Python render, Jinja2 included, faster than mjml's compile alone.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hrc_outreach.config import load_settings
from hrc_outreach.curate import curate_edition
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.render.email import (
    compile_mjml,
    render_email,
    render_mjml,
    render_preheader,
    render_subject,
)
from hrc_outreach.render.text import render_text
from hrc_outreach.render.view import build_view
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items

BENCH = Path(__file__).resolve().parent
RUNS = 50
CITIES = [("Gwangju", "KR"), ("Vienna", "AT"), ("Utrecht", "NL"), ("Graz", "AT"),
          ("Barcelona", "ES"), ("Lund", "SE")]
SUMMARY = ("<p>The city council adopted a plan that puts the right to housing, care and "
           "participation at the centre of its services, with residents <a "
           "href=\"https://humanrightscities.net/practices\">monitoring</a> the results.</p>")


def sample_items() -> list[ContentItem]:
    """A full edition: every section at its default cap."""
    base = datetime(2026, 11, 20, 9, tzinfo=UTC)
    items = []
    for n, (city, country) in enumerate(CITIES):
        items.append(ContentItem(
            id=item_id("bench", f"p{n}"), source="bench", source_key=f"p{n}",
            kind=ItemKind.PRACTICE, title=f"{city}: human rights at the heart of public services",
            summary=SUMMARY, url=f"https://humanrightscities.net/practices/{n}", city=city,
            country=country, language="en", published_at=base - timedelta(days=n)))
    for n, project in enumerate(["DARE", "CAREinCities", "DeCiDE", "DARE"]):
        items.append(ContentItem(
            id=item_id("bench", f"u{n}"), source="bench", source_key=f"u{n}",
            kind=ItemKind.PROJECT_UPDATE, title=f"{project}: what we learned this autumn",
            summary=SUMMARY, url=f"https://humanrightscities.net/projects/{n}", project=project,
            language="en", published_at=base - timedelta(days=n)))
    for n in range(6):
        start = datetime(2026, 12, 3 + 5 * n, 13, tzinfo=UTC)
        items.append(ContentItem(
            id=item_id("bench", f"e{n}"), source="bench", source_key=f"e{n}", kind=ItemKind.EVENT,
            title=f"Webinar {n + 1}: monitoring human rights locally", summary=SUMMARY,
            url=f"https://humanrightscities.net/events/{n}", start=start,
            end=start + timedelta(hours=1, minutes=30), timezone="Europe/Brussels",
            registration_url=f"https://humanrightscities.net/events/{n}/register",
            language="en"))
    for n in range(4):
        items.append(ContentItem(
            id=item_id("bench", f"n{n}"), source="bench", source_key=f"n{n}", kind=ItemKind.NEWS,
            title=f"Network news {n + 1}", summary=SUMMARY,
            url=f"https://humanrightscities.net/news/{n}", language="en",
            published_at=base - timedelta(days=n)))
    return items


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:7.2f} ms  (min {min(samples) * 1000:.2f})"


def main() -> None:
    settings = load_settings(env={})
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        with store.session() as s:
            upsert_items(s, sample_items())
        curate_t, render_t, compile_t = [], [], []
        source = ""
        for _ in range(RUNS):
            t0 = time.perf_counter()
            with store.session() as s:
                edition = curate_edition(s, settings, "2026-12")
            t1 = time.perf_counter()
            loc = localize_all(edition, ["en"], settings=settings)["en"]
            view = build_view(loc, settings)
            preheader = render_preheader(view)
            render_subject(view)
            html = render_email(view, preheader)
            render_text(view)
            t2 = time.perf_counter()
            source = render_mjml(view, preheader)
            t3 = time.perf_counter()
            compile_mjml(source, lang="en", dir="ltr")
            compile_t.append(time.perf_counter() - t3)
            curate_t.append(t1 - t0)
            render_t.append(t2 - t1)
        store.dispose()
        items = len(edition.items)
        print(f"edition 2026-12: {items} items, HTML {len(html.encode()) / 1024:.1f} KB, "
              f"{RUNS} runs")
        print(f"  curate (SQLite store)                          {_ms(curate_t)}")
        print(f"  render en (view + Jinja2 + MJML + text)        {_ms(render_t)}")
        print(f"  mjml-python compile alone                      {_ms(compile_t)}")
        mjml_file = Path(tmp) / "edition.mjml"
        mjml_file.write_text(source, encoding="utf-8")
        js = _npm_mjml(mjml_file)
        if js is None:
            return
        print(f"  npm mjml compile alone (in-process, node)      {_ms(js)}")
        ratio = statistics.median(js) / statistics.median(render_t)
        verdict = "faster" if ratio > 1 else "SLOWER"
        print(f"  whole Python render is {ratio:.1f}x {verdict} than npm mjml's compile alone")


def _npm_mjml(mjml_file: Path) -> list[float] | None:
    node = shutil.which("node")
    if node is None or not (BENCH / "node_modules" / "mjml").is_dir():
        print("  npm mjml: not installed (npm install --no-save --prefix bench mjml); skipped")
        return None
    script = (
        "const mjml = require('mjml'); const fs = require('fs');"
        f"const src = fs.readFileSync({json.dumps(str(mjml_file))}, 'utf8');"
        "mjml(src, {validationLevel: 'skip', fonts: {}});"  # warm up
        f"const out = []; for (let i = 0; i < {RUNS}; i++) {{"
        "  const t = process.hrtime.bigint(); mjml(src, {validationLevel: 'skip', fonts: {}});"
        "  out.push(Number(process.hrtime.bigint() - t) / 1e9); }"
        "console.log(JSON.stringify(out));"
    )
    try:
        done = subprocess.run([node, "-e", script], cwd=BENCH, capture_output=True, text=True,
                              timeout=300, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  npm mjml: failed to run ({exc}); skipped")
        return None
    result: list[float] = json.loads(done.stdout)
    return result


if __name__ == "__main__":
    main()
