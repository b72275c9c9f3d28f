"""``hrc-outreach edition draft`` through the real Typer app: JSON, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.store import Store
from tests.support.cli_setup import cli, flat, leuven_news, store_with, write_config
from tests.support.ledger_data import add_subscribers


def _setup(tmp_path: Path, url: str = "https://humanrightscities.net/news/leuven") -> Path:
    config = write_config(tmp_path, ("en", "fr", "ar"), delivery=False)
    store_with(tmp_path / "store.db", leuven_news(url)).dispose()
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


def _archive_pages(archive: Path) -> list[Path]:
    """What the public archive holds besides the network's logo (render.brand)."""
    logo = {"logo.png", "logo.svg"}
    return [p for p in archive.rglob("*") if p.is_file() and p.name not in logo]


def test_draft_approve_with_the_hashes_shown_send_then_the_archive_is_published(
    tmp_path: Path,
) -> None:
    config = _setup(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    add_subscribers(store, 6, ("en", "fr"))
    store.dispose()
    r = cli(config, "edition", "draft", "-e", "2026-12", "-l", "en,fr")
    assert r.exit_code == 0, r.output
    line = flat(r.stdout)
    assert "edition approve 2026-12 --by NAME --hashes en=" in line
    drafted = json.loads(cli(config, "edition", "draft", "-e", "2026-12", "-l", "en,fr",
                              "--json").stdout)
    archive, preview = tmp_path / "out" / "archive", tmp_path / "out" / "preview" / "archive"
    # nothing of the edition is public before the send: only the logo the emails show
    assert (preview / "en" / "2026-12.html").is_file() and not _archive_pages(archive)

    show = json.loads(cli(config, "edition", "approve", "2026-12", "--show", "--json").stdout)
    assert show["hashes"] == drafted["hashes"] and show["latest_decision"] is None
    assert show["approved"] is False
    # the dry run plans without an approval, and says so
    r = cli(config, "edition", "send", "2026-12", "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["approval"]["approved"] is False
    assert "never approved" in json.loads(r.stdout)["approval"]["error"]
    # approving needs a name and the hashes of what was reviewed
    r = cli(config, "edition", "approve", "2026-12", "--hashes", show["hashes_arg"])
    assert r.exit_code == 1 and "a name is required" in flat(r.stderr)
    r = cli(config, "edition", "approve", "2026-12", "--by", "  ", "--hashes", show["hashes_arg"])
    assert r.exit_code == 1 and "a name is required" in flat(r.stderr)
    r = cli(config, "edition", "approve", "2026-12", "--by", "Ana")
    assert r.exit_code == 1 and "say which drafts you reviewed" in flat(r.stderr)
    r = cli(config, "edition", "approve", "2026-12", "--by", "Ana", "--hashes", "en=123")
    assert r.exit_code == 1 and "at least 12" in flat(r.stderr)
    r = cli(config, "edition", "send", "2026-12")
    assert r.exit_code == 1 and "never approved" in flat(r.stderr)
    assert not _archive_pages(archive) and not (tmp_path / "outbox").exists()

    r = cli(config, "edition", "approve", "2026-12", "--by", "Ana", "--hashes", show["hashes_arg"])
    assert r.exit_code == 0, r.output
    assert "approved by Ana" in flat(r.stdout)
    assert json.loads(cli(config, "edition", "approve", "2026-12", "--show", "--json").stdout)[
        "approved"
    ]
    r = cli(config, "edition", "send", "2026-12")
    assert r.exit_code == 0, r.output
    assert "archive published" in flat(r.stderr)
    for lang in ("en", "fr"):
        assert (archive / lang / "2026-12.html").read_bytes() == (
            preview / lang / "2026-12.html"
        ).read_bytes()
        assert (archive / lang / "feed.atom").is_file()
    assert (archive / "index.html").is_file()


def test_a_redraft_after_review_refuses_the_old_hashes_naming_the_languages(
    tmp_path: Path,
) -> None:
    config = _setup(tmp_path)
    r = cli(config, "edition", "draft", "-e", "2026-12", "-l", "en,fr", "--json")
    seen = json.loads(r.stdout)["hashes"]
    intro = tmp_path / "editions" / "2026-12.md"
    intro.parent.mkdir(exist_ok=True)
    intro.write_text("Dear readers,\n\nA late word.\n", encoding="utf-8")
    assert cli(config, "edition", "draft", "-e", "2026-12", "-l", "en,fr").exit_code == 0
    old = ",".join(f"{lang}={h[:12]}" for lang, h in seen.items())
    r = cli(config, "edition", "approve", "2026-12", "--by", "Ana", "--hashes", old)
    assert r.exit_code == 1
    assert "changed since the reviewer was shown it (changed: en, fr)" in flat(r.stderr)
    assert "edition approve 2026-12 --show" in flat(r.stderr)
    r = cli(config, "edition", "approve", "2026-12", "--show")
    assert "latest decision" not in flat(r.stdout)  # nothing was recorded
