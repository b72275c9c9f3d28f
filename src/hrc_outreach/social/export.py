"""The export bundle (the default publisher): everything a person needs to schedule an edition's
posts by hand, in ``<out_dir>/social/<key>/``:

- ``meta-business-suite.csv``: the Facebook and Instagram posts in the layout of Meta Business
  Suite's bulk upload (one row per post and platform; the card named by file name, to be added
  from ``cards/`` in the upload dialog);
- ``buffer-<platform>.csv``: every platform's posts in Buffer's bulk-upload layout (``Text``,
  ``Image URL``, ``Tags``, ``Posting Time``; Buffer imports one file per channel), the card as its
  public URL, whose last part is the card's file name;
- ``cards/``: the image cards; ``README.md``: what to do with all this.

Nothing is published, so nothing goes into the publishing ledger; writing again rewrites the
bundle whole (each file replaced atomically).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hrc_outreach.social.base import OutgoingPost

# Buffer: "Bulk upload posts with a CSV" (support.buffer.com): these four columns, in this order;
# Posting Time as YYYY-MM-DD HH:mm in the channel's time zone. Buffer's own page was not in reach
# when checked (2026-12-01); independent exporters quoting its Help Center agree: headers
# "Text,Image URL,Tags,Posting Time", case-sensitive, 24-hour "YYYY-MM-DD HH:mm", image URLs as
# direct links ending .jpg/.png, one channel per upload, 100 posts per channel and file on paid
# plans (10 on Free); a Pinterest file adds "Board Name".
BUFFER_HEADERS = ("Text", "Image URL", "Tags", "Posting Time")
# Meta Business Suite, Planner > Bulk upload posts: text, when, which media file, link, plus the
# placement (Facebook or Instagram) of each row. Meta's template is downloaded from inside the
# Planner and no copy was reachable when this was written, nor when searched again (2026-12-01:
# no Meta page or exporter names its columns): check these names against it (one constant to
# change; tests/social/test_export.py reads it).
META_HEADERS = ("Text", "Scheduling date", "Media file name", "Link", "Placement")
META_PLATFORMS = ("facebook", "instagram")


@dataclass(frozen=True)
class Bundle:
    folder: Path
    files: tuple[Path, ...]
    rows: int


def folder_name(key: str) -> str:
    """The bundle's folder for an edition (``2026-12``) or a campaign step
    (``campaign:eu-elections:reminder`` -> ``campaign-eu-elections-reminder``)."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in key)


def _csv(headers: Sequence[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def write_bundle(
    edition_key: str,
    posts: Sequence[OutgoingPost],
    out_dir: Path,
    *,
    time_zone: str = "Europe/Brussels",
) -> Bundle:
    """Write the bundle of ``posts`` (every platform's) under ``out_dir/social/<key>/``."""
    folder = out_dir / "social" / folder_name(edition_key)
    (folder / "cards").mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo(time_zone)
    written: list[Path] = []
    for name, data in {(p.image_name, p.image_bytes) for p in posts if p.image_name}:
        if data is not None:
            written.append(_write(folder / "cards" / name, data))
    meta = [
        [
            p.text,
            p.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            p.image_name or "",
            p.link or "",
            p.platform.capitalize(),
        ]
        for p in posts
        if p.platform in META_PLATFORMS
    ]
    written.append(
        _write(folder / "meta-business-suite.csv", _csv(META_HEADERS, meta).encode("utf-8-sig"))
    )
    for platform in sorted({p.platform for p in posts}):
        rows = [
            [
                p.text,
                p.image_url or p.image_name or "",
                p.lang,
                p.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            ]
            for p in posts
            if p.platform == platform
        ]
        written.append(
            _write(folder / f"buffer-{platform}.csv", _csv(BUFFER_HEADERS, rows).encode("utf-8"))
        )
    written.append(_write(folder / "README.md", _readme(edition_key, posts, time_zone).encode()))
    return Bundle(folder, tuple(written), len(posts))


def _readme(edition_key: str, posts: Sequence[OutgoingPost], time_zone: str) -> str:
    platforms = ", ".join(sorted({p.platform for p in posts})) or "none"
    langs = ", ".join(sorted({p.lang for p in posts})) or "none"
    return f"""# Social posts of edition {edition_key}

These posts were approved with the edition: publish them as they are (their text is what was
approved). {len(posts)} posts; platforms: {platforms}; languages: {langs}. Times are
{time_zone} time.

- `meta-business-suite.csv`: Facebook and Instagram. In Meta Business Suite open Planner, then
  Bulk upload posts, and upload this file; add each row's image from `cards/` (the column
  "Media file name" names it). Instagram shows no link in a caption: the post says "link in bio".
- `buffer-<platform>.csv`: one file per channel for Buffer's bulk upload (Publish, then Bulk
  upload). The "Image URL" column is the card on the published archive; the same file is in
  `cards/`.
- `cards/`: the image cards; each row's alt text is in the edition's drafts (`social.json`):
  add it as the image description where the tool asks.

Posts already published by `hrc-outreach social publish` are listed by
`hrc-outreach social report {edition_key}`: do not schedule those again.
"""
