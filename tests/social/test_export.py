"""The export bundle (`social publish KEY`, the default platform): Meta Business Suite's and
Buffer's bulk-upload CSV layouts, one row per post and platform, the cards referenced by file name
and present in the bundle, a README; written again, the same bundle."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.social.export import BUFFER_HEADERS, META_HEADERS
from hrc_outreach.store import Store
from tests.support.social_data import KEY, LANGS, PLATFORMS, approved_edition, settings_for


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, [dict(zip(header, r, strict=True)) for r in reader]


@pytest.fixture
def bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = settings_for(tmp_path)
    store = Store(settings.database_url)
    approved_edition(store, settings)
    store.dispose()
    config = tmp_path / "outreach.toml"
    config.write_text(
        f'out_dir = "{tmp_path / "out"}"\n[store]\nurl = "{settings.database_url}"\n'
        f'[i18n]\nlanguages = {list(LANGS)!r}\n[web]\nbase_url = "https://outreach.example"\n'.replace(
            "'", '"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("HRC_TOKEN_SECRET", "export-test-secret-0123456789")
    result = CliRunner().invoke(app, ["--config", str(config), "social", "publish", KEY])
    assert result.exit_code == 0, result.output
    assert "export bundle of 2026-12: 40 posts" in result.output
    return tmp_path / "out" / "social" / KEY


def test_meta_business_suite_csv(bundle: Path) -> None:
    header, rows = _rows(bundle / "meta-business-suite.csv")
    assert tuple(header) == META_HEADERS
    # one row per post and platform: (edition post + one item post) x 4 languages x FB and IG
    assert len(rows) == 2 * len(LANGS) * 2
    assert sorted({r["Placement"] for r in rows}) == ["Facebook", "Instagram"]
    for r in rows:
        assert r["Media file name"].endswith(".png") and "/" not in r["Media file name"]
        assert (bundle / "cards" / r["Media file name"]).is_file()
        assert r["Scheduling date"] in ("2026-11-03 10:00", "2026-11-04 10:00")
    assert any("حقوق_الإنسان" in r["Text"] and "\n" in r["Text"] for r in rows)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_buffer_csv_per_channel(bundle: Path, platform: str) -> None:
    header, rows = _rows(bundle / f"buffer-{platform}.csv")
    assert tuple(header) == BUFFER_HEADERS == ("Text", "Image URL", "Tags", "Posting Time")
    assert len(rows) == 2 * len(LANGS)
    assert sorted(r["Tags"] for r in rows) == sorted(LANGS * 2)
    for r in rows:
        name = r["Image URL"].rsplit("/", 1)[-1]
        assert (
            r["Image URL"]
            == f"https://outreach.example/archive/cards/{KEY}/{name.split('-')[2]}/{name}"
        )
        assert (bundle / "cards" / name).is_file()
        assert r["Posting Time"] in ("2026-11-03 10:00", "2026-11-04 10:00")


def test_readme_and_a_second_export_is_the_same(bundle: Path, tmp_path: Path) -> None:
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert "Meta Business Suite" in readme and "Buffer" in readme and "cards/" in readme
    before = {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    result = CliRunner().invoke(
        app, ["--config", str(tmp_path / "outreach.toml"), "social", "publish", KEY]
    )
    assert result.exit_code == 0, result.output
    after = {p.name: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    assert before == after
