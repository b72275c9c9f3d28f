"""``hrc-outreach edition draft`` through the real Typer app: JSON, exit statuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items


def _setup(tmp_path: Path, url: str = "https://humanrightscities.net/news/leuven") -> Path:
    config = tmp_path / "outreach.toml"
    db = tmp_path / "store.db"
    config.write_text(
        f'out_dir = "out"\n[store]\nurl = "sqlite:///{db}"\n'
        '[i18n]\nlanguages = ["en", "fr", "ar"]\n[newsletter]\neditions_dir = "editions"\n',
        encoding="utf-8",
    )
    store = Store(f"sqlite:///{db}")
    with store.session() as s:
        upsert_items(s, [ContentItem(
            id=item_id("news", "leuven"), source="news", source_key="leuven", kind=ItemKind.NEWS,
            title="Leuven joins the network", summary="<p>Our newest human rights city.</p>",
            url=url, language="en", published_at=datetime(2026, 11, 15, tzinfo=UTC),
        )])
    store.dispose()
    return config


def test_draft_json(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    result = CliRunner().invoke(
        app, ["--config", str(config), "edition", "draft", "--edition", "2026-12",
              "--languages", "en,ar", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["edition"] == "2026-12" and data["items"] == 1
    assert [entry["lang"] for entry in data["languages"]] == ["en", "ar"]
    en = data["languages"][0]
    assert en["subject"] == "The Human Rights Readers — December 2026"
    assert en["lint"]["errors"] == 0 and en["html_bytes"] > 1000
    assert en["provenance"]["human"] == 1
    assert Path(en["path"]) == tmp_path / "out" / "editions" / "2026-12" / "en"
    assert (Path(en["path"]) / "email.html").is_file()


def test_default_key_and_languages(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    result = CliRunner().invoke(
        app, ["--config", str(config), "edition", "draft", "--today", "2026-11-22", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["edition"] == "2026-12"
    assert [entry["lang"] for entry in data["languages"]] == ["en", "fr", "ar"]


def test_lint_error_exits_2(tmp_path: Path) -> None:
    config = _setup(tmp_path, url="http://humanrightscities.net/news/leuven")  # not https
    result = CliRunner().invoke(
        app, ["--config", str(config), "edition", "draft", "-e", "2026-12", "-l", "en", "--json"]
    )
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["languages"][0]["lint"]["errors"] >= 1


def test_empty_edition_exits_1_with_a_message(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    result = CliRunner().invoke(app, ["--config", str(config), "edition", "draft", "-e", "2026-11"])
    assert result.exit_code == 1
    assert "2026-11 has no items" in result.output


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    result = CliRunner().invoke(app, ["--config", str(config), "edition", "draft", "-l", "xx"])
    assert result.exit_code == 1 and "not configured" in result.output
