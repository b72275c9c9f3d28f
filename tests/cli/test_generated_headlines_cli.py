"""``edition draft`` flags a headline made from the text (issue 13): the lint finding
``generated-headline`` in its output, naming the item and where to set one; a staff headline in
editions/<key>.yaml makes it go away."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.models import ContentItem, ItemKind, item_id
from tests.support.cli_setup import store_with, write_config


def _setup(tmp_path: Path) -> Path:
    (tmp_path / "editions").mkdir()
    config = write_config(tmp_path, ("en", "fr"), delivery=False)
    warsaw = ContentItem(
        id=item_id("digest", "warsaw"),
        source="digest",
        source_key="warsaw",
        kind=ItemKind.PRACTICE,
        title="The city of Warsaw has established a system",
        title_generated=True,
        summary="<p>The city of Warsaw has established a system, with a market.</p>",
        language="en",
        published_at=datetime(2026, 11, 15, tzinfo=UTC),
    )
    store_with(tmp_path / "store.db", warsaw).dispose()
    return config


def test_draft_flags_a_generated_headline_until_staff_set_one(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    args = ["--config", str(config), "edition", "draft", "-e", "2026-12", "-l", "en,fr"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "generated-headline" in out and "digest:warsaw" in out
    assert "editions/2026-12.yaml" in out

    (tmp_path / "editions" / "2026-12.yaml").write_text(
        "headlines:\n  digest:warsaw: Warsaw's market for everyone\n", encoding="utf-8"
    )
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "generated-headline" not in r.output
    html = (tmp_path / "out" / "editions" / "2026-12" / "en" / "email.html").read_text()
    assert (
        "Warsaw&#39;s market for everyone" in html
        or "Warsaw’s market" in html
        or ("Warsaw's market for everyone" in html)
    )
