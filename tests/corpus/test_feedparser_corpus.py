"""Every file of feedparser's own test corpus through the real FeedSource and file reader.

Well-formed feeds yield their entries; ill-formed ones what can be saved plus a warning, or a clear
SourceError; nothing may crash. Prints the counts.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.sources.base import GatherContext, SourceOutput
from hrc_outreach.sources.feed import FeedSource
from hrc_outreach.sources.fetch import HttpReader
from tests.conftest import CORPORA, require_shared

pytestmark = pytest.mark.corpus

_EXPECT = re.compile(rb"Expect:\s*(.*)")


def _expects_entries(raw: bytes) -> bool:
    """The file's own test looks at an entry, so a reader of it must yield at least one."""
    m = _EXPECT.search(raw[:2000])
    return bool(
        m and re.search(rb"\bentries\[0\]", m.group(1)) and b"not entries" not in m.group(1)
    )


async def _collect_all(root: Path, files: list[Path]) -> dict[Path, SourceOutput | Exception]:
    settings = Settings(config_path=root / "outreach.toml")
    outcomes: dict[Path, SourceOutput | Exception] = {}
    async with httpx.AsyncClient() as client:
        ctx = GatherContext(
            settings=settings, reader=HttpReader(client, settings), now=datetime.now(UTC)
        )
        source = FeedSource()
        for f in files:
            config = SourceConfig(
                name=f"corpus:{f.relative_to(root)}", kind="feed", path=f.relative_to(root)
            )
            try:
                outcomes[f] = await source.collect(config, ctx)
            except Exception as exc:  # judged below: only SourceError is allowed
                outcomes[f] = exc
    return outcomes


def test_every_feedparser_corpus_file_gathers_without_crashing() -> None:
    root = require_shared(CORPORA / "feedparser" / "tests")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(files) > 2000
    outcomes = asyncio.run(_collect_all(root, files))

    counts: Counter[str] = Counter()
    crashes: list[str] = []
    missing: list[str] = []
    for f, out in outcomes.items():
        group = f.relative_to(root).parts[0]
        if isinstance(out, SourceError):
            counts[f"{group}: clear error"] += 1
            assert str(f.relative_to(root)) in str(out)  # the error names the source
        elif isinstance(out, Exception):
            crashes.append(f"{f.relative_to(root)}: {type(out).__name__}: {out}")
        else:
            counts[f"{group}: {'warned' if out.warnings else 'clean'}"] += 1
            counts[f"{group}: items"] += len(out.items)
            skipped = [w for w in out.warnings if w.startswith("entry ")]
            counts[f"{group}: entries skipped with a warning (no title, link or text)"] += len(
                skipped
            )
            # every entry is accounted for: yielded as an item, or reported as skipped
            if (
                group == "wellformed"
                and _expects_entries(f.read_bytes())
                and not (out.items or skipped)
            ):
                missing.append(str(f.relative_to(root)))
    print(f"\nfeedparser corpus: {len(files)} files")
    for key in sorted(counts):
        print(f"  {key}: {counts[key]}")
    print(f"  crashes: {len(crashes)}; well-formed files whose entries vanished: {len(missing)}")
    assert not crashes, "\n".join(crashes[:20])
    assert not missing, "\n".join(missing[:20])
