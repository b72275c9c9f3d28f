"""Machine translation and review through the real draft pipeline (curate → localize → render)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.i18n.po import export_po, import_po, load_edition
from hrc_outreach.render.draft import draft_edition
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items
from tests.render.conftest import fixed_items

LANGS = ["en", "de"]  # drafting is costly: one target language shows it


@pytest.fixture
def cfg(tmp_path: Path, deepl_server, monkeypatch: pytest.MonkeyPatch) -> Settings:
    url, _ = deepl_server
    monkeypatch.setenv("HRC_DEEPL_API_KEY", "test-key")
    monkeypatch.setenv("HRC_DEEPL_BASE_URL", url)
    editions = tmp_path / "editions"
    editions.mkdir()
    return load_settings(env={}, newsletter={"editions_dir": str(editions)},
                         i18n={"translator": "deepl"}, fetch={"backoff_seconds": 0.0})


@pytest.fixture
def filled(sqlite_store: Store) -> Store:
    with sqlite_store.session() as s:
        upsert_items(s, fixed_items())
    return sqlite_store


def test_second_draft_makes_no_translation_request(
    cfg: Settings, filled: Store, deepl_server, tmp_path: Path
) -> None:
    _, engine = deepl_server
    first = draft_edition(cfg, filled, "2026-12", LANGS, tmp_path / "a")
    sent = len(engine.translate_requests())
    assert sent > 0
    de = first.messages["de"]
    assert "[DE] " in de.html and de.provenance_counts["machine"] > 0
    assert not first.untranslated["de"]
    second = draft_edition(cfg, filled, "2026-12", LANGS, tmp_path / "b")
    assert len(engine.translate_requests()) == sent
    assert second.messages["de"].provenance_counts["memory"] > 0
    assert second.messages["de"].provenance_counts["machine"] == 0


def test_quota_exhausted_draft_still_renders_and_names_the_strings(
    cfg: Settings, filled: Store, deepl_server, tmp_path: Path
) -> None:
    _, engine = deepl_server
    engine.quota_texts = 0
    result = draft_edition(cfg, filled, "2026-12", LANGS, tmp_path / "a")
    assert len(engine.translate_requests()) == 1  # the 456, then no more asking
    assert result.untranslated["de"]
    assert all(":" in s for s in result.untranslated["de"])
    assert result.messages["de"].provenance_counts["source"] > 0
    html = result.messages["de"].html
    assert "Gwangju" in html and "(auf Englisch)" in html  # the localised label of the catalog


def test_po_round_trip_then_redraft_shows_the_reviewed_string(
    cfg: Settings, filled: Store, deepl_server, tmp_path: Path
) -> None:
    draft_edition(cfg, filled, "2026-12", LANGS, tmp_path / "a")
    edition = load_edition(filled, cfg, "2026-12")
    catalog = read_po(BytesIO(export_po(edition, "de", settings=cfg, store=filled)))
    entry = next(m for m in catalog if m.id == "Gwangju's integrated care programme")
    assert entry.fuzzy
    entry.string = "Gwangjus integriertes Pflegeprogramm"
    entry.flags.discard("fuzzy")
    buf = BytesIO()
    write_po(buf, catalog)
    assert import_po(buf.getvalue(), filled, path="de.po").imported == 1
    again = draft_edition(cfg, filled, "2026-12", LANGS, tmp_path / "b")
    assert "Gwangjus integriertes Pflegeprogramm" in again.messages["de"].html
