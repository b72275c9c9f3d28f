"""`campaign validate` (issue 14): every problem of a broken campaign, with its place."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.campaigns.validate import validate_campaign
from hrc_outreach.cli import app
from hrc_outreach.config import I18nSettings, Settings

NOW = datetime(2029, 1, 1, tzinfo=UTC)

GOOD = """\
name: test
title: Test campaign
goal: first-time voters register
date: 2029-06-07
timezone: Europe/Brussels
audience:
  segments: [first-time-voters]
  countries: [BE, DE]
languages: [en, fr]
steps:
  - name: announcement
    offset_days: -30
    time: "10:00"
    subject: {en: Your vote counts, fr: Votre voix compte}
    body: {en: a.en.md, fr: a.fr.md}
    cta:
      label: {en: How to register, fr: Comment s'inscrire}
      url: https://elections.europa.eu/
      countries: {BE: "https://elections.fgov.be/", DE: "https://www.bundeswahlleiterin.de/"}
    social: true
"""

# Each line of the broken file is one problem (and the lines the checks must name).
BROKEN = """\
name: test
title: Test campaign
date: 2029-06-07
timezone: Europe/Brussels
audience:
  segments: [first-time-voters, no-such-segment]
  countries: [BE, EL, de]
languages: [en, fr]
steps:
  - name: announcement
    send_at: 2028-12-01T10:00:00
    subject: {en: Your vote counts}
    body: {en: a.en.md, fr: a.fr.md}
    cta:
      label: {en: How to register, fr: Comment s'inscrire}
      url: /register
      countries: {BE: "http://elections.fgov.be/", XX: "https://example.org/"}
  - name: election-day
    offset_days: 1
    subject: {en: Vote today, fr: Votez aujourd'hui}
    body: {en: a.en.md, fr: a.fr.md}
"""


def _campaign(tmp_path: Path, text: str, fr_body: str = "Bonjour.\n") -> Path:
    d = tmp_path / "test"
    d.mkdir(exist_ok=True)
    (d / "campaign.yaml").write_text(text, encoding="utf-8")
    (d / "a.en.md").write_text("Hello, read [the guide](https://example.org/guide).\n")
    (d / "a.fr.md").write_text(fr_body, encoding="utf-8")
    return d


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(i18n=I18nSettings(languages=["en", "fr"], translator="none"))


def test_a_good_campaign_has_no_problem(tmp_path: Path, settings: Settings) -> None:
    assert validate_campaign(settings, _campaign(tmp_path, GOOD), now=NOW) == []


def test_every_problem_is_named_with_its_place(tmp_path: Path, settings: Settings) -> None:
    d = _campaign(tmp_path, BROKEN, fr_body="Voir [ici](guide.html) et [là](ftp://x.org/a).\n")
    problems = validate_campaign(settings, d, now=NOW)
    by_where = {p.where: p.message for p in problems}
    text = "\n".join(f"{p.where}: {p.message}" for p in problems)
    # unknown segment, with its line and key path
    assert "unknown segment 'no-such-segment'" in by_where["campaign.yaml:6 audience.segments[1]"]
    # countries that are not ISO 3166-1 alpha-2
    assert "ISO 3166-1 says GR" in by_where["campaign.yaml:7 audience.countries[1]"]
    assert "capitals: DE" in by_where["campaign.yaml:7 audience.countries[2]"]
    # a step missing a language with no translation path
    assert "no subject in 'fr'" in by_where["campaign.yaml:12 steps[0].subject"]
    assert "no machine translator" in by_where["campaign.yaml:12 steps[0].subject"]
    # a send time in the past, and one after the reference day
    assert "in the past" in by_where["campaign.yaml:11 steps[0].send_at"]
    assert "after the reference day 2029-06-07" in by_where["campaign.yaml:19 steps[1].offset_days"]
    # relative and non-https links: in the file and in a body
    assert "relative link" in by_where["campaign.yaml:16 steps[0].cta.url"]
    be = [p.message for p in problems if p.where == "campaign.yaml:17 steps[0].cta.countries.BE"]
    assert be and "not an https link" in be[0]
    assert any(p.where == "campaign.yaml:17 steps[0].cta.countries.XX" for p in problems)
    assert "'guide.html' is a relative link" in text
    assert any("ftp:" in p.message and p.where == "a.fr.md:1" for p in problems)
    # nothing stopped at the first problem; each is reported once
    assert len(problems) == len({(p.where, p.message) for p in problems}) >= 11


def test_empty_audience(tmp_path: Path, settings: Settings) -> None:
    text = GOOD.replace(
        "  segments: [first-time-voters]\n  countries: [BE, DE]\n",
        "  segments: []\n  countries: []\n",
    )
    problems = validate_campaign(settings, _campaign(tmp_path, text), now=NOW)
    assert [(p.where, p.message.split(":")[0]) for p in problems] == [
        ("campaign.yaml:7 audience.segments", "empty audience"),
        ("campaign.yaml:8 audience.countries", "empty audience"),
    ]


def test_not_yaml_names_the_line(tmp_path: Path, settings: Settings) -> None:
    d = _campaign(tmp_path, GOOD.replace("goal: first", "goal: [first"))
    (problem,) = validate_campaign(settings, d, now=NOW)
    assert problem.where == "campaign.yaml:4"  # where the parser noticed
    assert problem.message.startswith("not valid YAML") and "on line 3" in problem.message


def test_norway_is_a_country_not_false(tmp_path: Path, settings: Settings) -> None:
    d = _campaign(tmp_path, GOOD.replace("countries: [BE, DE]", "countries: [BE, NO]"))
    assert validate_campaign(settings, d, now=NOW) == []


def test_cli_json_and_exit_status(tmp_path: Path) -> None:
    config = tmp_path / "outreach.toml"
    config.write_text('[i18n]\nlanguages = ["en", "fr"]\n', encoding="utf-8")
    broken = _campaign(tmp_path, BROKEN.replace("2028-12-01", "2020-12-01"))
    result = CliRunner().invoke(
        app, ["--config", str(config), "campaign", "validate", str(broken), "--json"]
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["problems"] and len(data["problems"]) >= 9
    assert all(sorted(p) == ["message", "where"] for p in data["problems"])
    human = CliRunner().invoke(app, ["--config", str(config), "campaign", "validate", str(broken)])
    assert human.exit_code == 1 and "audience.segments[1]" in human.output


def test_the_sample_campaign_is_valid() -> None:
    from hrc_outreach.config import load_settings
    from hrc_outreach.paths import PROJECT_ROOT

    sample = PROJECT_ROOT / "campaigns" / "eu-elections"
    if not sample.is_dir():
        pytest.skip("no sample campaign yet")
    settings = load_settings(PROJECT_ROOT / "outreach.toml")
    assert validate_campaign(settings, sample, now=NOW) == []
