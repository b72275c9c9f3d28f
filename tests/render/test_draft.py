"""The draft pipeline on a real store: files on disk, the archive, hashes recorded, re-drafts equal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.errors import EmptyEditionError
from hrc_outreach.render.draft import draft_edition
from hrc_outreach.render.output import read_rendered
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items
from hrc_outreach.store.tables import EditionRow

from .conftest import fixed_items


def _fill(store: Store, hostile: bool = False) -> None:
    items = fixed_items()
    if hostile:  # straight into the store, bypassing the sources' sanitiser
        items[0] = items[0].model_copy(update={
            "summary": '<p>Care<script>alert(1)</script><img src="x" onerror="alert(2)">'
                       '<a href="javascript:alert(3)">for all</a></p>',
            "registration_url": "javascript:alert(4)",
        })
    with store.session() as s:
        upsert_items(s, items)


def test_draft_writes_every_language_and_the_archive(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _fill(store)
    out = tmp_path / "out"
    result = draft_edition(cfg, store, "2026-12", ["en", "fr", "ar"], out)
    assert len(result.edition.items) == 5
    assert result.lint_errors == 0
    for lang in ("en", "fr", "ar"):
        d = out / "editions" / "2026-12" / lang
        assert result.paths[lang] == d
        for name in ("email.html", "email.txt", "message.json", "social.json"):
            assert (d / name).is_file(), name
        meta = json.loads((d / "message.json").read_text(encoding="utf-8"))
        assert meta["dir"] == ("rtl" if lang == "ar" else "ltr")
        # drafts write the preview archive; the public one waits until the edition is sent
        assert (out / "preview" / "archive" / lang / "2026-12.html").is_file()
        assert (out / "preview" / "archive" / lang / "feed.atom").is_file()
        assert not (out / "archive" / lang).exists()
    # only the network's logo is public at once: the emails show it from there (render.brand)
    assert sorted(p.name for p in (out / "archive").iterdir()) == ["logo.png", "logo.svg"]
    assert read_rendered(out, "2026-12")["fr"] == result.messages["fr"]
    with store.session() as s:
        row = s.get(EditionRow, "2026-12")
        assert row is not None
        assert row.content_hashes == {k: m.content_hash() for k, m in result.messages.items()}
        assert row.item_ids == [i.id for i in result.edition.items]


def test_redraft_is_byte_identical(store: Store, cfg: Settings, tmp_path: Path) -> None:
    _fill(store)
    one = draft_edition(cfg, store, "2026-12", ["en", "ar"], tmp_path / "a")
    two = draft_edition(cfg, store, "2026-12", ["en", "ar"], tmp_path / "b")
    for lang in ("en", "ar"):
        assert one.messages[lang].content_hash() == two.messages[lang].content_hash()


def test_hostile_item_from_the_store_renders_clean(
    store: Store, cfg: Settings, tmp_path: Path
) -> None:
    _fill(store, hostile=True)
    result = draft_edition(cfg, store, "2026-12", ["en"], tmp_path / "out")
    msg = result.messages["en"]
    for part in (msg.html, msg.text, (tmp_path / "out/preview/archive/en/2026-12.html").read_text()):
        low = part.lower()
        assert "<script" not in low and "onerror" not in low and "javascript:" not in low
        assert "alert(" not in low
    assert "for all" in msg.html  # the harmless text survives


def test_empty_edition_is_reported(store: Store, cfg: Settings, tmp_path: Path) -> None:
    with pytest.raises(EmptyEditionError):
        draft_edition(cfg, store, "2026-12", ["en"], tmp_path / "out")
    assert not (tmp_path / "out").exists()
