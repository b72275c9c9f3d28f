"""Per-country calls to action (issue 14): each recipient gets the link of their country of
residence only, the campaign's default link when their country has none (or is not known); the
step renders once per distinct (language, link), never per recipient."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.audience.importer import import_csv
from hrc_outreach.campaigns.render import cta_groups, render_step
from hrc_outreach.campaigns.steps import approve_step, draft_step, launch_step
from hrc_outreach.campaigns.validate import load_campaign
from hrc_outreach.config import Settings
from hrc_outreach.store import open_store
from tests.campaigns.conftest import outbox_messages

CAMPAIGN = """\
name: vote
title: Vote
date: 2029-06-07
timezone: Europe/Brussels
audience: {segments: [first-time-voters]}
languages: [en, fr]
steps:
  - name: one
    offset_days: -10
    subject: {en: Register to vote, fr: Inscrivez-vous}
    body: {en: en.md, fr: fr.md}
    cta:
      label: {en: How to register, fr: Comment s'inscrire}
      url: "https://elections.europa.eu/"
      countries:
        BE: "https://elections.fgov.be/"
        LU: "https://elections.fgov.be/"
        DE: "https://www.bundeswahlleiterin.de/"
        FR: "https://elections.europa.eu/"
    social: true
"""

LINKS = ("https://elections.europa.eu/", "https://elections.fgov.be/",
         "https://www.bundeswahlleiterin.de/")  # fmt: skip


def _campaign(root: Path) -> Path:
    d = root / "campaigns" / "vote"
    d.mkdir(parents=True)
    (d / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
    (d / "en.md").write_text("Registration closes **soon**.\n", encoding="utf-8")
    (d / "fr.md").write_text("Les inscriptions ferment **bientôt**.\n", encoding="utf-8")
    return d


def _people(settings: Settings, tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name,language,segments,consent date,consent source,status,country\n"
        "be@example.org,Bea,en,first-time-voter,2025-03-14,test,subscribed,BE\n"
        "de@example.org,Dirk,en,first-time-voter,2025-03-14,test,subscribed,DE\n"
        "lu@example.org,Lou,fr,first-time-voter,2025-03-14,test,subscribed,LU\n"
        "fr@example.org,Flo,fr,first-time-voter,2025-03-14,test,subscribed,FR\n"
        "nowhere@example.org,Noa,en,first-time-voter,2025-03-14,test,subscribed,\n",
        encoding="utf-8",
    )
    store = open_store(settings)
    try:
        with store.session() as s:
            import_csv(s, settings, csv, source="test")
    finally:
        store.dispose()


def test_countries_sharing_a_link_share_one_message(tmp_path: Path, settings: Settings) -> None:
    d = _campaign(tmp_path)
    campaign = load_campaign(settings, d)
    step = campaign.steps[0]
    assert cta_groups(step) == {"BE": "BE", "LU": "BE", "DE": "DE"}  # FR's link is the default
    messages = render_step(settings, campaign, step, d)
    assert sorted(messages) == ["en", "en@BE", "en@DE", "fr", "fr@BE", "fr@DE"]
    for key, msg in messages.items():
        wanted = {"": LINKS[0], "BE": LINKS[1], "DE": LINKS[2]}[key.partition("@")[2]]
        assert [link for link in LINKS if link in msg.text] == [wanted], key
        assert [link for link in LINKS if link in msg.html] == [wanted], key
        assert not msg.lint_errors, key
        assert f'lang="{key.partition("@")[0]}"' in msg.html  # the language, not the key
    assert messages["en"].social and not messages["en@BE"].social  # posts once per language


def test_each_recipient_gets_only_their_countrys_link(tmp_path: Path, settings: Settings) -> None:
    d = _campaign(tmp_path)
    _people(settings, tmp_path)
    drafted = draft_step(settings, d, "one")
    assert drafted.errors == 0 and len(drafted.hashes) == 6  # every variant is approved
    approve_step(settings, d, "one", by="Ana")
    out = launch_step(settings, d, "one")
    assert out.report is not None and out.report.totals.accepted == 5
    got = outbox_messages(settings, "campaign:vote:one")
    wanted = {
        "be@example.org": LINKS[1],  # Belgium's own link
        "lu@example.org": LINKS[1],  # Luxembourg shares it (in French)
        "de@example.org": LINKS[2],  # Germany's
        "fr@example.org": LINKS[0],  # France's link is the default one
        "nowhere@example.org": LINKS[0],  # no country: the default
    }
    assert {a: [link for link in LINKS if link in body] for a, body in got.items()} == {
        a: [link] for a, link in wanted.items()
    }
    assert "Inscrivez-vous" in got["lu@example.org"] and "Register" in got["be@example.org"]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    from hrc_outreach.config import load_settings
    from hrc_outreach.paths import PROJECT_ROOT

    monkeypatch.setenv("HRC_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("HRC_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("HRC_DELIVERY__OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("HRC_DELIVERY__PROVIDER", "outbox")
    monkeypatch.setenv("HRC_TOKEN_SECRET", "campaign-test-secret-0123456789abcdef")
    monkeypatch.setenv("HRC_I18N__TRANSLATOR", "none")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return load_settings(PROJECT_ROOT / "outreach.toml")
