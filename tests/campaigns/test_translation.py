"""A campaign language without texts (issue 14): valid when the configured machine translator
translates into it (the step is then translated from the source language and marked so), named as
a problem when it does not; against a local server speaking LibreTranslate's API."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.campaigns.render import render_step
from hrc_outreach.campaigns.validate import load_campaign, validate_campaign
from hrc_outreach.config import I18nSettings, Settings
from hrc_outreach.i18n.translators import translator_from_settings
from tests.i18n.fakeservers import serve

CAMPAIGN = """\
name: t
title: T
date: 2029-06-07
timezone: Europe/Brussels
audience: {segments: [first-time-voters]}
languages: [en, nl, fa]
steps:
  - name: one
    offset_days: -10
    subject: {en: Register to vote, fa: برای رأی دادن ثبت‌نام کنید}
    body: {en: en.md, fa: fa.md}
    cta: {label: {en: How to register, fa: چگونه ثبت‌نام کنیم}, url: "https://elections.europa.eu/"}
"""


def _campaign(tmp_path: Path, text: str = CAMPAIGN) -> Path:
    d = tmp_path / "t"
    d.mkdir()
    (d / "campaign.yaml").write_text(text, encoding="utf-8")
    (d / "en.md").write_text("Registration closes **soon**.\n", encoding="utf-8")
    (d / "fa.md").write_text("ثبت‌نام به‌زودی بسته می‌شود.\n", encoding="utf-8")
    return d


@pytest.fixture
def settings() -> Settings:
    return Settings(i18n=I18nSettings(languages=["en", "nl"], translator="libretranslate"))


def test_a_language_the_translator_covers_is_translated_and_marked(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _campaign(tmp_path)
    with serve("libretranslate") as (url, engine):
        monkeypatch.setenv("HRC_LIBRETRANSLATE_BASE_URL", url)
        monkeypatch.setenv("HRC_LIBRETRANSLATE_API_KEY", engine.api_key)
        assert validate_campaign(settings, d, now=datetime(2029, 1, 1, tzinfo=UTC)) == []
        campaign = load_campaign(settings, d)
        messages = render_step(
            settings, campaign, campaign.steps[0], d, translator_from_settings(settings)
        )
        assert len(engine.translate_requests()) == 1  # one batch: subject, preheader, body, label
    nl = messages["nl"]
    assert nl.subject == "[nl] Register to vote" and "[nl] How to register" in nl.html
    assert "Automatisch vertaald" in nl.text and nl.provenance_counts == {"machine": 1}
    assert messages["fa"].provenance_counts == {"human": 1} and nl.lint_errors == 0


def test_a_language_nothing_translates_is_a_problem(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _campaign(tmp_path, CAMPAIGN.replace("fa: برای رأی دادن ثبت‌نام کنید", "nl: Stem"))
    with serve("libretranslate") as (url, _engine):
        monkeypatch.setenv("HRC_LIBRETRANSLATE_BASE_URL", url)
        problems = validate_campaign(settings, d, now=datetime(2029, 1, 1, tzinfo=UTC))
    messages = [p.message for p in problems if p.where.endswith("steps[0].subject")]
    assert messages == [
        "no subject in 'fa' and no way to translate one: the translator 'libretranslate' does "
        "not translate into 'fa'"
    ]
