"""Campaign steps render like editions (issue 14): every step in every campaign language, no lint
error, the shared brand and footer, right to left for Persian and Arabic, catalogs complete."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.campaigns.catalogs import (
    add_language,
    campaign_languages,
    campaign_strings,
    check_campaign_catalogs,
    missing_campaign_strings,
)
from hrc_outreach.campaigns.render import base_language, render_step
from hrc_outreach.campaigns.validate import load_campaign
from hrc_outreach.cli import app
from hrc_outreach.config import Settings
from hrc_outreach.errors import CatalogError
from hrc_outreach.i18n.catalog import LOCALES_DIR
from hrc_outreach.models import Severity
from hrc_outreach.paths import PROJECT_ROOT
from tests.campaigns.conftest import SAMPLE


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, object]]:
    from hrc_outreach.config import load_settings

    settings = load_settings(PROJECT_ROOT / "outreach.toml")
    campaign = load_campaign(settings, SAMPLE)
    return {s.name: render_step(settings, campaign, s, SAMPLE) for s in campaign.steps}


def test_the_sample_has_three_steps_in_every_language_plus_turkish_and_persian(
    rendered: dict[str, dict[str, object]],
) -> None:
    from hrc_outreach.config import load_settings

    configured = load_settings(PROJECT_ROOT / "outreach.toml").i18n.languages
    assert list(rendered) == ["announcement", "registration-reminder", "election-day"]
    for messages in rendered.values():
        assert {base_language(k) for k in messages} == set(configured) | {"tr", "fa"}
        assert len(messages) == 13 * 12  # per language: the default and 11 country links


def test_every_step_in_every_language_has_no_lint_error(rendered: dict[str, dict]) -> None:
    found = {
        (step, lang, f.rule, f.message)
        for step, messages in rendered.items()
        for lang, m in messages.items()
        for f in m.lint
        if f.severity is Severity.ERROR
    }
    assert found == set()


def test_right_to_left_and_own_language(rendered: dict[str, dict]) -> None:
    for messages in rendered.values():
        for lang, m in messages.items():
            rtl = base_language(lang) in ("ar", "fa")
            assert m.dir == ("rtl" if rtl else "ltr")
            tag = base_language(lang).replace("_", "-")
            assert re.search(rf'<html[^>]*lang="{tag}"[^>]*dir="{m.dir}"', m.html), lang
            assert f'<body lang="{tag}" dir="{m.dir}"' in m.html
            if rtl:
                assert "text-align:left;direction:rtl" not in m.html
                assert all(line.startswith("\u200f") for line in m.text.splitlines()
                           if line.strip() and not re.match(r"^\s*(\[\d+\]\s*)?(https?://|\[\[)", line)
                           and set(line.strip()) - set("=-"))  # fmt: skip


def test_shared_partials_and_per_country_calls_to_action(rendered: dict[str, dict]) -> None:
    m = rendered["announcement"]["fa@BE"]  # Persian readers living in Belgium
    assert "لغو اشتراک" in m.html  # footer chrome in Persian
    assert m.html.count("https://elections.fgov.be/") == 1  # Belgium's election authority ...
    assert "https://www.bundeswahlleiterin.de/" not in m.html  # ... and no other country's
    assert "https://elections.fgov.be/" not in rendered["announcement"]["fa"].html
    en = rendered["election-day"]["en"]
    assert "Find your polling station" in en.text and "https://elections.europa.eu/" in en.text
    assert "[[unsubscribe_url." in en.text and "[[unsubscribe_url." in en.html
    assert {p.platform.value for p in en.social} == {
        "instagram", "facebook", "linkedin", "mastodon", "bluesky"
    }  # fmt: skip


def test_catalogs_of_campaign_languages_are_complete() -> None:
    langs = campaign_languages(PROJECT_ROOT / "campaigns")
    assert {"tr", "fa"} <= set(langs)
    assert check_campaign_catalogs(langs) == []
    assert "In your country:" in campaign_strings() and "Unsubscribe" in campaign_strings()


def test_languages_add_creates_an_empty_catalog(tmp_path: Path) -> None:
    locales = tmp_path / "locales"
    locales.mkdir()
    (locales / "messages.pot").write_bytes((LOCALES_DIR / "messages.pot").read_bytes())
    path, todo = add_language("sw", locales_dir=locales)
    assert path == locales / "sw" / "LC_MESSAGES" / "messages.po" and todo > 100
    text = path.read_text(encoding="utf-8")
    assert "Language: sw" in text and 'msgid "Unsubscribe"\nmsgstr ""' in text
    missing = missing_campaign_strings("sw", locales_dir=locales)
    assert len(missing) == len(campaign_strings()) and all(p.endswith("empty") for p in missing)
    with pytest.raises(CatalogError, match="exists already"):
        add_language("sw", locales_dir=locales)
    with pytest.raises(CatalogError, match="unknown language"):
        add_language("xx-nonsense", locales_dir=locales)


def test_validate_names_a_campaign_language_without_a_catalog(
    settings: Settings, campaign_dir: Path
) -> None:
    from hrc_outreach.campaigns.validate import validate_campaign

    text = (campaign_dir / "campaign.yaml").read_text(encoding="utf-8")
    (campaign_dir / "campaign.yaml").write_text(text.replace("- fa\n", "- fa\n- sw\n", 1))
    problems = [p for p in validate_campaign(settings, campaign_dir) if "catalog" in p.message]
    assert problems and problems[0].where.endswith("languages[13]")


def test_preview_cli_writes_every_language(settings: Settings, campaign_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["campaign", "preview", str(campaign_dir), "--step", "election-day", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = settings.resolve(settings.out_dir) / "campaigns" / "eu-elections" / "election-day"
    assert {base_language(p.name) for p in out.iterdir()} == {
        "en", "fr", "nl", "de", "es", "it", "pt_PT", "pl", "hu", "uk", "ar", "tr", "fa"
    }  # fmt: skip
    assert (out / "fa@BE" / "email.txt").is_file()  # and each country link's message
    assert (out / "fa" / "email.html").read_text(encoding="utf-8").count('dir="rtl"') >= 2
    from PIL import Image

    cards = sorted(p.name for p in (out / "fa").glob("*.png"))
    assert cards == [
        "campaign-eu-elections-election-day-fa-1080x1080.png",
        "campaign-eu-elections-election-day-fa-1200x630.png",
    ]
    with Image.open(out / "fa" / cards[1]) as img:
        assert img.size == (1200, 630)
