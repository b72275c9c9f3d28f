"""UTM parameters belong on the network's own links only (issue 14): a campaign's call to action to
another site (a national election authority) keeps its exact URL in every social post, the email
and its text part; the network's own link gets utm_source/medium/campaign per platform."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from hrc_outreach.campaigns.render import render_step
from hrc_outreach.campaigns.validate import load_campaign
from hrc_outreach.config import Settings

CAMPAIGN = """\
name: utm
title: UTM
date: 2029-06-07
timezone: Europe/Brussels
audience: {{segments: [first-time-voters]}}
languages: [en]
steps:
  - name: one
    offset_days: -10
    subject: {{en: Register to vote}}
    body: {{en: en.md}}
    social: true
    cta: {{label: {{en: How to register}}, url: "{url}"}}
"""
EXTERNAL = [
    "https://www.ibz.rrn.fgov.be/fr/elections/?lang=fr&x=1#inscription",
    "https://www.bundeswahlleiterin.de/europawahlen/2029.html",
    "https://elections.europa.eu/",
    "https://humanrightscities.net.evil.example/register",  # looks like ours, is not
]
OWN = [
    "https://humanrightscities.net/dare?ref=campaign",
    "https://www.humanrightscities.net/dare/vote",
]


def _render(tmp_path: Path, settings: Settings, url: str) -> dict[str, object]:
    d = tmp_path / "utm"
    d.mkdir()
    (d / "campaign.yaml").write_text(CAMPAIGN.format(url=url), encoding="utf-8")
    (d / "en.md").write_text("Registration closes soon.\n", encoding="utf-8")
    campaign = load_campaign(settings, d)
    return dict(render_step(settings, campaign, campaign.steps[0], d))


@pytest.mark.parametrize("url", EXTERNAL)
def test_an_external_call_to_action_keeps_its_exact_url(
    tmp_path: Path, settings: Settings, url: str
) -> None:
    msg = _render(tmp_path, settings, url)["en"]
    posts = msg.social  # type: ignore[attr-defined]
    assert len(posts) >= 3
    for post in posts:
        assert post.link == url, post.platform
        assert "utm_" not in post.text
    assert "utm_" not in msg.html and "utm_" not in msg.text  # type: ignore[attr-defined]
    assert url.replace("&", "&amp;") in msg.html  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", OWN)
def test_the_networks_own_link_gets_utm_per_platform(
    tmp_path: Path, settings: Settings, url: str
) -> None:
    msg = _render(tmp_path, settings, url)["en"]
    for post in msg.social:  # type: ignore[attr-defined]
        assert post.link is not None
        parts = urlsplit(post.link)
        query = parse_qs(parts.query)
        assert query["utm_source"] == [post.platform.value]
        assert query["utm_medium"] == ["social"] and query["utm_campaign"] == ["utm"]
        assert parts.netloc == urlsplit(url).netloc and parts.path == urlsplit(url).path
        for k, v in parse_qs(urlsplit(url).query).items():
            assert query[k] == v  # its own parameters kept
