"""Language of gathered text: a small offline detector restricted to the configured languages.

py3langid's naive Bayes model, limited to the configured languages, with normalised
probabilities. Short text (a title of two words) is ambiguous between close languages (es/pt,
nl/de), so it is "unknown" rather than a confident guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from hrc_outreach.htmltext import html_to_text

UNKNOWN = "unknown"
# Fewer letters than this, and the guess is a coin toss between neighbours (measured: "Nuevos
# derechos" scores 0.96 es, "Utrecht" 0.43 de).
MIN_LETTERS = 20
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def _base(code: str) -> str:
    return code.replace("-", "_").split("_")[0].lower()


@lru_cache(maxsize=8)
def _identifier(bases: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = set(ident.labels)
    ident.set_languages([b for b in bases if b in known])
    return ident


def detect_language(text: str, languages: Sequence[str], threshold: float = 0.9) -> str:
    """The configured language ``text`` is written in, or ``"unknown"``.

    The answer is one of ``languages`` exactly as configured (``pt`` comes back as ``pt_PT`` when
    ``pt_PT`` is configured), or ``"unknown"`` when the text is too short or the best guess is
    below ``threshold``.

    >>> detect_language("Les villes des droits humains se réunissent à Gwangju", ["en", "fr"])
    'fr'
    >>> detect_language("Nuevos derechos", ["es", "pt_PT"])
    'unknown'
    """
    plain = html_to_text(text)  # markup in a summary says nothing about its language
    if len(_LETTER.findall(plain)) < MIN_LETTERS:
        return UNKNOWN
    by_base: dict[str, str] = {}
    for code in languages:
        by_base.setdefault(_base(code), code)
    if not by_base:
        return UNKNOWN
    ident = _identifier(tuple(sorted(by_base)))
    if not ident.nb_classes:
        return UNKNOWN
    lang, confidence = ident.classify(plain)
    if confidence < threshold or lang not in by_base:
        return UNKNOWN
    return by_base[lang]
