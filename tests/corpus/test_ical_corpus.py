"""Every .ics of three public corpora gathers through the real ICalSource without a crash."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.sources.ical import ICalSource
from tests.conftest import CORPORA, require_shared
from tests.sources.readers import context_for

CORPUS_DIRS = ("icalendar", "icaljs", "recurring-ical-events")
# A wide window (1990-2031) so that the corpora's old test events are expanded too.
NOW = datetime(2026, 11, 22, tzinfo=UTC)
pytestmark = pytest.mark.corpus

OPTIONS = {"window_past_days": 365 * 37, "window_days": 365 * 5, "max_per_series": 50}


def test_every_ics_file_gathers_without_a_crash() -> None:
    require_shared(CORPORA)
    files = sorted(p for d in CORPUS_DIRS for p in (CORPORA / d).rglob("*.ics"))
    assert len(files) > 100, "the corpora look incomplete"
    counts = {"files": 0, "events": 0, "warnings": 0, "errors": 0, "with_events": 0}
    crashes: list[str] = []
    source = ICalSource()
    for path in files:
        config = SourceConfig(name="corpus", kind="ical", path=path, item_kind="event", **OPTIONS)
        counts["files"] += 1
        try:
            out = asyncio.run(source.collect(config, context_for(Path("/"), now=NOW)))
        except SourceError as exc:
            counts["errors"] += 1
            assert str(exc), path
            continue
        except Exception as exc:  # the point of this test: report every crash, not the first
            crashes.append(f"{path.relative_to(CORPORA)}: {type(exc).__name__}: {exc}")
            continue
        counts["events"] += len(out.items)
        counts["warnings"] += len(out.warnings)
        counts["with_events"] += bool(out.items)
        for item in out.items:
            assert item.title and item.start is not None and item.start.tzinfo is not None
    print(f"\nical corpus: {counts}")
    assert not crashes, "\n".join(crashes)
    assert counts["with_events"] > counts["files"] // 2
