"""The one language normaliser every stage uses (subscriber import, subscribe form, front matter)."""

from __future__ import annotations

import pytest

from hrc_outreach.audience import languages as audience_languages
from hrc_outreach.config import DEFAULT_LANGUAGES
from hrc_outreach.languages import normalise_language


@pytest.mark.parametrize(
    "given", ["fr", "FR", "fr-BE", "fr_BE", "FR-be", " fr-Latn-BE ", "Français", "FRANÇAIS",
              "French", "french", "Französisch", "francés"],
)  # fmt: skip
def test_every_way_of_writing_french_is_fr(given: str) -> None:
    assert normalise_language(given, DEFAULT_LANGUAGES) == "fr"


@pytest.mark.parametrize("given", ["Klingon", "xx", "", "  ", "fr!", "Frenchish"])
def test_what_names_no_configured_language_is_none(given: str) -> None:
    assert normalise_language(given, DEFAULT_LANGUAGES) is None


def test_a_language_not_configured_is_none() -> None:
    assert normalise_language("Deutsch", ["en", "fr"]) is None


def test_the_audience_module_reexports_the_same_normaliser() -> None:
    assert audience_languages.normalise_language is normalise_language
