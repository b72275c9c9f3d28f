"""Golden files: the fixed edition renders to exactly the committed files.

Regenerate with ``make golden`` (HRC_REGENERATE_GOLDEN=1) and review the diff like code.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.curate import curate_edition
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import Edition, RenderedMessage
from hrc_outreach.render.draft import render_message
from hrc_outreach.store import Store

from .conftest import fixed_edition

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = ROOT / "tests" / "golden"
REGENERATE = bool(os.environ.get("HRC_REGENERATE_GOLDEN"))
GATHERED_AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # no clock: recurring events expand from here


@pytest.fixture(scope="module")
def sample_edition(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Edition]:
    """The December 2026 edition curated from the bundled samples (outreach.toml, samples/)."""
    from hrc_outreach.sources.gather import gather_sync

    config = ROOT / "outreach.toml"
    if not config.is_file():
        pytest.skip("outreach.toml is absent")
    db = tmp_path_factory.mktemp("golden") / "store.db"
    settings = load_settings(config, env={}, store={"url": f"sqlite:///{db}"})
    store = Store(settings.database_url)
    try:
        report = gather_sync(settings, store, now=GATHERED_AT)
        assert report.ok, report
        with store.session() as s:
            edition = curate_edition(s, settings, "2026-12")
    finally:
        store.dispose()
    return settings, edition


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_golden(lang: str) -> None:
    settings = Settings()  # the defaults, whatever ./outreach.toml says
    loc = localize_all(fixed_edition(), [lang], settings=settings)[lang]
    msg, _ = render_message(loc, settings)
    _compare(f"fixed-{lang}", msg)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_golden_samples(sample_edition: tuple[Settings, Edition], lang: str) -> None:
    settings, edition = sample_edition
    loc = localize_all(edition, [lang], settings=settings)[lang]
    msg, _ = render_message(loc, settings)
    assert msg.lint_errors == 0, [f for f in msg.lint if f.severity == "error"]
    _compare(f"samples-{lang}", msg)


def _compare(name: str, msg: RenderedMessage) -> None:
    files = {
        "email.html": msg.html,
        "email.txt": msg.text,
        "social.json": json.dumps([p.model_dump(mode="json") for p in msg.social],
                                  ensure_ascii=False, indent=2) + "\n",
    }
    case = GOLDEN / name
    if REGENERATE:
        case.mkdir(parents=True, exist_ok=True)
        for file_name, content in files.items():
            (case / file_name).write_text(content, encoding="utf-8")
    for file_name, content in files.items():
        path = case / file_name
        assert path.is_file(), f"{path} missing: run `make golden` and commit it"
        assert content == path.read_text(encoding="utf-8"), (
            f"{path} differs from the render: review, then `make golden`"
        )
