"""The network's key terms, kept consistent in every language.

Names (DARE, CAREinCities, DeCiDE, the network's own name) stay as they are; terms with an
agreed translation (Human Rights City) are given it. DeepL receives this as a glossary where the
language pair supports one; otherwise (and for LibreTranslate) the terms are protected in the text
itself with ``<span translate="no">`` and put back afterwards.
"""

from __future__ import annotations

import hashlib
import html
import re

# Kept verbatim in every language (proper names).
NAMES: tuple[str, ...] = (
    "Human Rights Cities Network",
    "World Human Rights Cities Forum",
    "CAREinCities",
    "DeCiDE",
    "DARE",
    "WHRCF",
    "HRCN",
)

# Terms with an agreed translation per language (base language codes).
TERMS: dict[str, dict[str, str]] = {
    "Human Rights Cities": {
        "fr": "villes des droits humains",
        "nl": "mensenrechtensteden",
        "de": "Menschenrechtsstädte",
        "es": "ciudades de derechos humanos",
        "it": "città dei diritti umani",
        "pt": "cidades dos direitos humanos",
        "pl": "miasta praw człowieka",
        "hu": "emberi jogi városok",
        "uk": "міста прав людини",
        "ar": "مدن حقوق الإنسان",
    },
    "Human Rights City": {
        "fr": "ville des droits humains",
        "nl": "mensenrechtenstad",
        "de": "Menschenrechtsstadt",
        "es": "ciudad de derechos humanos",
        "it": "città dei diritti umani",
        "pt": "cidade dos direitos humanos",
        "pl": "miasto praw człowieka",
        "hu": "emberi jogi város",
        "uk": "місто прав людини",
        "ar": "مدينة حقوق الإنسان",
    },
    "EU Charter of Fundamental Rights": {
        "fr": "Charte des droits fondamentaux de l’UE",
        "nl": "Handvest van de grondrechten van de EU",
        "de": "EU-Grundrechtecharta",
        "es": "Carta de los Derechos Fundamentales de la UE",
        "it": "Carta dei diritti fondamentali dell’UE",
        "pt": "Carta dos Direitos Fundamentais da UE",
        "pl": "Karta praw podstawowych UE",
        "hu": "EU Alapjogi Charta",
        "uk": "Хартія основоположних прав ЄС",
        "ar": "ميثاق الحقوق الأساسية للاتحاد الأوروبي",
    },
}


def base_lang(lang: str) -> str:
    return lang.replace("-", "_").split("_")[0].lower()


def entries(target: str) -> dict[str, str]:
    """Source term -> target term for ``target`` (names map to themselves)."""
    out = {name: name for name in NAMES}
    b = base_lang(target)
    for term, by_lang in TERMS.items():
        if b in by_lang:
            out[term] = by_lang[b]
    return out


def glossary_hash(target: str) -> str:
    """A short hash of the entries for ``target``: a changed glossary gets a new name at DeepL."""
    tsv = "\n".join(f"{k}\t{v}" for k, v in sorted(entries(target).items()))
    return hashlib.sha256(tsv.encode()).hexdigest()[:12]


def _pattern(target: str) -> re.Pattern[str]:
    terms = sorted(entries(target), key=len, reverse=True)  # longest first: "...Cities Network"
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(t) for t in terms) + r")(?![\w-])")


_NO_TRANSLATE = re.compile(r'<span translate="no">(.*?)</span>', re.DOTALL)


def protect(html_text: str, target: str) -> str:
    """Wrap every key term of an HTML string in ``<span translate="no">``, already in ``target``.

    >>> protect("Join the DARE project", "fr")
    'Join the <span translate="no">DARE</span> project'
    """
    table = entries(target)
    # Only outside tags: split on tags and touch the text parts.
    parts = re.split(r"(<[^>]+>)", html_text)
    pat = _pattern(target)
    for i in range(0, len(parts), 2):
        parts[i] = pat.sub(
            lambda m: f'<span translate="no">{html.escape(table[m.group(1)], quote=False)}</span>',
            parts[i],
        )
    return "".join(parts)


def restore(html_text: str) -> str:
    """Remove the ``translate="no"`` wrappers that :func:`protect` added."""
    return _NO_TRANSLATE.sub(lambda m: m.group(1), html_text)
