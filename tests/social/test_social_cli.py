"""`hrc-outreach social publish KEY --platform NAME [--dry-run] [--retry-failed]` and `social report
KEY [--json]` against a local Mastodon: exit codes, the dry run publishing nothing, a refused post
named with the platform's words, then planned again by a person."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.store import Store
from tests.support.social_data import KEY, LANGS, approved_edition, settings_for
from tests.support.social_platforms import Platforms, Reply


def _config(tmp_path: Path) -> Path:
    settings = settings_for(tmp_path)
    config = tmp_path / "outreach.toml"
    config.write_text(
        f'out_dir = "{tmp_path / "out"}"\n[store]\nurl = "{settings.database_url}"\n'
        f'[i18n]\nlanguages = {list(LANGS)!r}\n[web]\nbase_url = "https://outreach.example"\n'.replace(
            "'", '"'
        ),
        encoding="utf-8",
    )
    return config


def test_publish_dry_run_refusal_retry_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path)
    store = Store(settings.database_url)
    approved_edition(store, settings)
    store.dispose()
    config = _config(tmp_path)
    monkeypatch.setenv("HRC_TOKEN_SECRET", "cli-test-secret-0123456789")

    def cli(*args: str) -> object:
        return CliRunner().invoke(app, ["--config", str(config), "social", *args])

    with Platforms() as platforms:
        for k, v in platforms.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("HRC_MASTODON_LANGUAGES", "en,fa")
        dry = cli("publish", KEY, "--platform", "mastodon", "--dry-run")
        assert dry.exit_code == 0, dry.output  # type: ignore[attr-defined]
        assert "would publish" in dry.output and not platforms.posts["mastodon"]  # type: ignore[attr-defined]
        platforms.script(
            "mastodon",
            Reply(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
        )
        first = cli("publish", KEY, "--platform", "mastodon")
        assert first.exit_code == 2, first.output  # type: ignore[attr-defined]
        assert "character limit of 500 exceeded" in first.output  # type: ignore[attr-defined]
        assert len(platforms.posts["mastodon"]) == 3
        report = cli("report", KEY, "--json")
        posts = json.loads(report.output)["posts"]  # type: ignore[attr-defined]
        assert sorted(p["state"] for p in posts) == [
            "failed",
            "published",
            "published",
            "published",
        ]
        failed = next(p for p in posts if p["state"] == "failed")
        assert "422" in failed["note"] and failed["url"] is None
        again = cli("publish", KEY, "--platform", "mastodon", "--retry-failed")
        assert again.exit_code == 0, again.output  # type: ignore[attr-defined]
        assert "1 failed mastodon post(s) planned again" in again.output  # type: ignore[attr-defined]
        assert len(platforms.posts["mastodon"]) == 4
        human = cli("report", KEY)
    assert human.exit_code == 0 and human.output.count("published") == 4  # type: ignore[attr-defined]


def test_unknown_platform_and_missing_account_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    settings = settings_for(tmp_path)
    store = Store(settings.database_url)
    approved_edition(store, settings)
    store.dispose()
    monkeypatch.setenv("HRC_TOKEN_SECRET", "cli-test-secret-0123456789")
    for k in ("HRC_LINKEDIN_ORGANIZATION", "HRC_LINKEDIN_BASE_URL"):
        monkeypatch.delenv(k, raising=False)
    r = CliRunner().invoke(
        app, ["--config", str(config), "social", "publish", KEY, "--platform", "myspace"]
    )
    assert r.exit_code == 1 and "--platform 'myspace'" in r.output
    r = CliRunner().invoke(
        app, ["--config", str(config), "social", "publish", KEY, "--platform", "linkedin"]
    )
    assert r.exit_code == 1 and "HRC_LINKEDIN_ORGANIZATION" in r.output
