"""Places as people type them ("Nikolaev, Ukriane", "Scotland") → city, region, ISO 3166-1 country.

pycountry knows the official names; a small alias table covers the common names it lacks
("Republic of Korea", "Russia", "UK") and the nations of the United Kingdom, which are regions of GB;
a fuzzy match (difflib) forgives typos such as "Ukriane".

>>> parse_place("Nikolaev, Ukriane")
Place(city='Nikolaev', country='UA', region=None)
>>> parse_place("Scotland")
Place(city=None, country='GB', region='Scotland')
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry

# Common names pycountry does not resolve, lower-cased without accents or "the".
COUNTRY_ALIASES: dict[str, str] = {
    "republic of korea": "KR",
    "korea": "KR",
    "democratic people's republic of korea": "KP",
    "north korea": "KP",
    "netherlands": "NL",
    "holland": "NL",
    "russia": "RU",
    "turkey": "TR",
    "turkiye": "TR",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "united kingdom": "GB",
    "us": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "macedonia": "MK",
    "swaziland": "SZ",
    "palestine": "PS",
    "state of palestine": "PS",
    "vatican": "VA",
    "holy see": "VA",
    "czechia": "CZ",
    "cape verde": "CV",
    "burma": "MM",
    "democratic republic of the congo": "CD",
    "dr congo": "CD",
    "drc": "CD",
    "republic of the congo": "CG",
    "congo": "CG",
    "east timor": "TL",
    "brunei": "BN",
    "micronesia": "FM",
}

# Regions that are written alone, as a heading, in place of "City, Country".
REGIONS: dict[str, tuple[str, str]] = {
    "scotland": ("Scotland", "GB"),
    "england": ("England", "GB"),
    "wales": ("Wales", "GB"),
    "northern ireland": ("Northern Ireland", "GB"),
    "flanders": ("Flanders", "BE"),
    "wallonia": ("Wallonia", "BE"),
    "catalonia": ("Catalonia", "ES"),
}

FUZZY_CUTOFF = 0.84


@dataclass(frozen=True)
class Place:
    """Where a practice happens: a city and/or a region, in a country (ISO 3166-1 alpha-2)."""

    city: str | None = None
    country: str | None = None
    region: str | None = None


def _norm(text: str) -> str:
    """Lower case, accents and a leading "the" dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").lower().strip(" .,;:-")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"^the ", "", text)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every known spelling of every country (normalised) → alpha-2."""
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                names[_norm(value)] = c.alpha_2
                # "Korea, Republic of" is also written "Republic of Korea"
                head, sep, tail = value.partition(", ")
                if sep and tail:
                    names[_norm(f"{tail} {head}")] = c.alpha_2
    names.update(COUNTRY_ALIASES)
    return names


def country_code(name: str | None, *, fuzzy: bool = True) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name, alias, alpha-2/3 code; None when unknown.

    >>> country_code("Republic of Korea"), country_code("Ukriane"), country_code("fr")
    ('KR', 'UA', 'FR')
    """
    if not name or not name.strip():
        return None
    key = _norm(name)
    if not key:
        return None
    names = _names()
    if key in names:
        return names[key]
    if key in REGIONS:
        return REGIONS[key][1]
    if len(key) in (2, 3) and key.isalpha():
        found = pycountry.countries.get(alpha_2=key.upper()) if len(key) == 2 else \
            pycountry.countries.get(alpha_3=key.upper())
        return found.alpha_2 if found else None
    if fuzzy and len(key) >= 4:
        close = difflib.get_close_matches(key, list(names), n=1, cutoff=FUZZY_CUTOFF)
        if close:
            return names[close[0]]
    return None


def country_name(code: str | None) -> str | None:
    """The short English name of an alpha-2 code (``"KR"`` → ``"Korea, Republic of"``)."""
    if not code:
        return None
    found = pycountry.countries.get(alpha_2=code.upper())
    return str(found.name) if found else None


def region_of(name: str) -> tuple[str, str] | None:
    """``(region, country code)`` for a region written alone (``"Scotland"``), else None."""
    return REGIONS.get(_norm(name))


def parse_place(text: str, *, fuzzy: bool = True) -> Place | None:
    """A heading such as "City, Country", "Country" or a region alone; None when the last part
    is not a country or region we know (so the line is probably not a place at all).

    >>> parse_place("Eunpyeong-gu, Republic of Korea")
    Place(city='Eunpyeong-gu', country='KR', region=None)
    """
    text = " ".join(text.split()).strip(" .")
    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None
    last = parts[-1]
    region = region_of(last)
    if len(parts) == 1:
        if region:
            return Place(country=region[1], region=region[0])
        code = country_code(last, fuzzy=fuzzy)
        return Place(country=code) if code else None
    code = region[1] if region else country_code(last, fuzzy=fuzzy)
    if not code:
        return None
    city = ", ".join(parts[:-1])
    return Place(city=city, country=code, region=region[0] if region else None)
