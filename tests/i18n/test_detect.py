"""The offline language detector, restricted to the configured languages."""

from __future__ import annotations

import pytest

from hrc_outreach.config import DEFAULT_LANGUAGES
from hrc_outreach.i18n.detect import detect_language

SAMPLES = {
    "en": "Human rights cities gather in Gwangju to share their good practices",
    "fr": "Les villes des droits humains se réunissent à Gwangju pour partager leurs pratiques",
    "nl": "De stad Utrecht organiseert een bijeenkomst over mensenrechten en wonen",
    "de": "Die Stadt Wien lädt zu einem Forum über Menschenrechte und Wohnen ein",
    "es": "La ciudad de los derechos humanos organiza un foro sobre la vivienda",
    "it": "La città di Bologna organizza un forum sui diritti umani e la casa",
    "pt_PT": "A cidade dos direitos humanos organiza um fórum sobre a habitação",
    "pl": "Miasta praw człowieka spotykają się w Gwangju, aby dzielić się praktykami",
    "hu": "Az emberi jogok városai Kvangdzsuban találkoznak, hogy megosszák jó gyakorlataikat",
    "uk": "Міста прав людини збираються в Кванджу, щоб поділитися добрими практиками",
    "ar": "مدن حقوق الإنسان تجتمع في غوانغجو لتبادل الممارسات الجيدة",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_each_configured_language_is_recognised(lang: str) -> None:
    assert detect_language(SAMPLES[lang], DEFAULT_LANGUAGES, 0.9) == lang


def test_portuguese_maps_to_the_configured_variant() -> None:
    assert detect_language(SAMPLES["pt_PT"], ["en", "pt_PT"], 0.9) == "pt_PT"
    assert detect_language(SAMPLES["pt_PT"], ["en", "pt"], 0.9) == "pt"


def test_short_titles_are_unknown() -> None:
    assert detect_language("Nuevos derechos", DEFAULT_LANGUAGES, 0.5) == "unknown"
    assert detect_language("Utrecht", DEFAULT_LANGUAGES, 0.0) == "unknown"
    assert detect_language("", DEFAULT_LANGUAGES, 0.0) == "unknown"


def test_restricted_to_the_configured_languages() -> None:
    # French text with only English and German configured: never "fr", and not confident.
    got = detect_language(SAMPLES["fr"], ["en", "de"], 0.99)
    assert got in {"unknown", "en", "de"}
    assert got != "fr"


def test_below_threshold_is_unknown() -> None:
    mixed = "Human rights cities — les villes des droits humains — Menschenrechtsstädte"
    assert detect_language(mixed, DEFAULT_LANGUAGES, 0.999999) == "unknown"


def test_html_tags_are_ignored() -> None:
    html = "<p class='lead'><strong>" + SAMPLES["de"] + "</strong></p>"
    assert detect_language(html, DEFAULT_LANGUAGES, 0.9) == "de"
