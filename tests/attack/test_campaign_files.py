"""Hostile campaign files (issue 14): an alias bomb, a huge file, Python tags, a language code with
path characters, a body with HTML, script and placeholder syntax, a send time in a DST gap. Each is
a clear problem or inert text; none runs code, eats memory or writes outside the out folder."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from hrc_outreach.campaigns.render import render_step
from hrc_outreach.campaigns.validate import load_campaign, validate_campaign
from hrc_outreach.config import I18nSettings, Settings

BASE = """\
name: t
title: T
date: 2029-06-07
timezone: Europe/Brussels
audience: {segments: [first-time-voters]}
languages: [en]
steps:
  - name: one
    offset_days: -10
    subject: {en: Register}
    body: {en: en.md}
    cta: {label: {en: How}, url: "https://elections.europa.eu/"}
"""
NOW = datetime(2029, 1, 1, tzinfo=UTC)


def _dir(tmp_path: Path, text: str, body: str = "Hello.\n") -> Path:
    d = tmp_path / "t"
    d.mkdir(exist_ok=True)
    (d / "campaign.yaml").write_text(text, encoding="utf-8")
    (d / "en.md").write_text(body, encoding="utf-8")
    return d


def _settings() -> Settings:
    return Settings(i18n=I18nSettings(languages=["en"], translator="none"))


def _messages(problems: list) -> str:  # type: ignore[type-arg]
    return "\n".join(f"{p.where}: {p.message}" for p in problems)


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        bomb += f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    d = _dir(tmp_path, BASE + bomb)
    start = time.perf_counter()
    problems = validate_campaign(_settings(), d, now=NOW)
    assert time.perf_counter() - start < 5
    assert "alias" in _messages(problems)


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    d = _dir(tmp_path, BASE + "goal: '" + "x" * (3 * 1024 * 1024) + "'\n")
    problems = validate_campaign(_settings(), d, now=NOW)
    assert "too large" in _messages(problems)


def test_python_tags_are_not_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = BASE + f"goal: !!python/object/apply:os.system ['touch {marker}']\n"
    problems = validate_campaign(_settings(), _dir(tmp_path, text), now=NOW)
    assert not marker.exists()
    assert "python/object" in _messages(problems)


def test_a_language_code_with_path_characters_is_a_problem(tmp_path: Path) -> None:
    text = BASE.replace("languages: [en]", "languages: [en, ../x]")
    problems = validate_campaign(_settings(), _dir(tmp_path, text), now=NOW)
    assert "campaign.yaml:6 languages[1]" in [p.where for p in problems]


def test_a_body_with_html_script_and_placeholders_stays_inert(tmp_path: Path) -> None:
    body = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> [[unsubscribe_url]] "
        "{{ params.x }} {% if 1 %}x{% endif %} -unsubscribe- <a href='javascript:alert(3)'>x</a>\n"
    )
    d = _dir(tmp_path, BASE, body)
    settings = _settings()
    campaign = load_campaign(settings, d)
    msg = render_step(settings, campaign, campaign.steps[0], d)["en"]
    low = msg.html.lower()  # shown as text (escaped), never as markup
    assert "<script" not in low and "<img src=x" not in low
    assert not re.search(r"<[^>]*onerror", low) and not re.search(r"<a[^>]*href=.?javascript:", low)
    for part in (msg.html, msg.text):
        assert "{{ params.x }}" not in part and "{% if" not in part
        # the only live placeholders are the ones our footer placed, with this render's nonce
        assert part.count("[[unsubscribe_url") == part.count(f"[[unsubscribe_url.{msg.nonce}")


def test_a_send_time_in_the_spring_forward_gap_is_named(tmp_path: Path) -> None:
    # 2029-03-25 is the last Sunday of March: 02:00-03:00 does not exist in Brussels.
    text = BASE.replace("offset_days: -10", "offset_days: -74\n    time: '02:30'")
    problems = validate_campaign(_settings(), _dir(tmp_path, text), now=NOW)
    assert "does not exist" in _messages(problems)


def test_a_send_time_exactly_at_the_end_of_the_reference_day_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("offset_days: -10", "offset_days: 1\n    time: '00:00'")
    problems = validate_campaign(_settings(), _dir(tmp_path, text), now=NOW)
    assert "after" in _messages(problems)
    last = BASE.replace("offset_days: -10", "offset_days: 0\n    time: '23:59'")
    assert validate_campaign(_settings(), _dir(tmp_path, last), now=NOW) == []
