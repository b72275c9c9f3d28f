"""Places as people type them ("Nikolaev, Ukriane", "Scotland") → city, region, ISO 3166-1 country.

pycountry knows the official names; a small alias table covers the common names it lacks
("Republic of Korea", "Russia", "UK") and the nations of the United Kingdom, which are regions of GB;
CLDR (via Babel) adds each country's native names ("Deutschland", "België", "대한민국") and its names
in the network's languages ("Allemagne"). A tolerant match forgives typos: Damerau-Levenshtein
distance (rapidfuzz), so a transposed pair ("Ukriane", "Gemrany") counts as one edit, as does a
dropped letter ("Belgum"). The allowed distance grows with the name's length; names of up to 8
letters forgive only one dropped or swapped letter (an added or changed one often spells another
place: "Lagos", "Vienna"); a typo as close to two countries ("Austrlia": Austria or Australia?)
matches neither. Unmatched is better than a wrong country: the caller says so.

>>> parse_place("Nikolaev, Ukriane")
Place(city='Nikolaev', country='UA', region=None)
>>> parse_place("Scotland")
Place(city=None, country='GB', region='Scotland')
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

log = logging.getLogger(__name__)

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

# Names in these languages too (the network's languages): staff paste digests written in them.
NAME_LANGUAGES = ("en", "fr", "nl", "de", "es", "it", "pt", "pl", "hu", "uk", "ar")
# Keys that name a region written alone (REGIONS) in the tolerant pool.
_REGION = "region:"


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


def max_typos(key: str) -> int:
    """How many edits (a transposition is one) a name of this length may carry and still match."""
    n = len(key.replace(" ", ""))
    if n < 4:
        return 0
    if n <= 8:
        return 1
    return 2 if n <= 15 else 3


@lru_cache(maxsize=1)
def _cldr_names() -> dict[str, str]:
    """Every country's native names and its names in NAME_LANGUAGES (normalised) → alpha-2."""
    locales: dict[str, Locale | None] = {}

    def locale(code: str) -> Locale | None:
        if code not in locales:
            try:
                locales[code] = Locale.parse(code)
            except (UnknownLocaleError, ValueError):
                locales[code] = None
        return locales[code]

    names: dict[str, str] = {}
    for c in pycountry.countries:
        langs = (*get_official_languages(c.alpha_2, de_facto=True), *NAME_LANGUAGES)
        for lang in dict.fromkeys(langs):
            loc = locale(lang)
            name = loc.territories.get(c.alpha_2) if loc is not None else None
            if name:
                names.setdefault(_norm(name), c.alpha_2)
    return names


@lru_cache(maxsize=1)
def _tolerant_pool() -> dict[str, str]:
    """Every spelling the tolerant match compares with: countries (→ alpha-2) and regions."""
    pool = {**_cldr_names(), **_names()}
    pool.update({key: _REGION + key for key in REGIONS})
    return pool


@lru_cache(maxsize=1)
def _pool_keys() -> tuple[str, ...]:
    return tuple(_tolerant_pool())


def _closest(key: str) -> str | None:
    """The pool's value for the one country (or region) ``key`` is a typo of; None if none or two."""
    limit = max_typos(key)
    if limit == 0:
        return None
    pool = _tolerant_pool()
    found = process.extract(
        key, _pool_keys(), scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=None
    )
    if not found:
        return None
    if limit == 1:
        # A short name keeps only a dropped or swapped letter: one added or changed letter often
        # spells another real place ("Lagos" is not "Laos", "Busan" is not "Butan").
        found = [f for f in found if _dropped_or_swapped(f[0], key)]
        if not found:
            return None
    best = min(distance for _, distance, _ in found)
    targets = {pool[name] for name, distance, _ in found if distance == best}
    return targets.pop() if len(targets) == 1 else None


def _dropped_or_swapped(name: str, typed: str) -> bool:
    """``typed`` is ``name`` with one letter dropped, or two neighbouring letters swapped."""
    if len(typed) == len(name) - 1:
        return any(name[:i] + name[i + 1 :] == typed for i in range(len(name)))
    if len(typed) == len(name):
        diff = [i for i, (a, b) in enumerate(zip(name, typed, strict=True)) if a != b]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and (name[diff[0]], name[diff[1]]) == (typed[diff[1]], typed[diff[0]])
        )
    return False


def resolve_place_name(name: str | None, *, fuzzy: bool = True) -> tuple[str, str | None] | None:
    """``(country code, region or None)`` for a country or a region written alone; None if unknown.

    >>> resolve_place_name("Scotlnad"), resolve_place_name("Deutschland")
    (('GB', 'Scotland'), ('DE', None))
    """
    if not name or not name.strip():
        return None
    key = _norm(name)
    if not key:
        return None
    if key in REGIONS:
        return REGIONS[key][1], REGIONS[key][0]
    names = _names()
    if key in names:
        return names[key], None
    if len(key) in (2, 3) and key.isalpha():
        found = (
            pycountry.countries.get(alpha_2=key.upper())
            if len(key) == 2
            else pycountry.countries.get(alpha_3=key.upper())
        )
        return (found.alpha_2, None) if found else None
    native = _cldr_names().get(key)
    if native:
        return native, None
    if not fuzzy:
        return None
    close = _closest(key)
    if close is None:
        return None
    if close.startswith(_REGION):
        region, code = REGIONS[close.removeprefix(_REGION)]
        return code, region
    return close, None


def country_code(name: str | None, *, fuzzy: bool = True) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country name, alias, alpha-2/3 code; None when unknown.

    >>> country_code("Republic of Korea"), country_code("Ukriane"), country_code("fr")
    ('KR', 'UA', 'FR')
    """
    found = resolve_place_name(name, fuzzy=fuzzy)
    return found[0] if found else None


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
    found = resolve_place_name(parts[-1], fuzzy=fuzzy)
    if found is None:
        return None
    code, region = found
    city = ", ".join(parts[:-1]) or None
    return Place(city=city, country=code, region=region)


def city_as_written(city: str | None, aliases: Mapping[str, str]) -> str | None:
    """``city`` as the network writes it: its entry in ``aliases`` (the setting
    ``curate.place_aliases``), matched without regard to case, accents or spacing; else as is.

    >>> city_as_written("NIKOLAEV", {"Nikolaev": "Mykolaiv"})
    'Mykolaiv'
    >>> city_as_written("Gwangju", {"Nikolaev": "Mykolaiv"})
    'Gwangju'
    """
    if not city or not aliases:
        return city
    return _alias_table(tuple(aliases.items())).get(_norm(city), city)


@lru_cache(maxsize=8)
def _alias_table(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Normalised spelling -> the name the network writes, chains followed to their end
    ("Nikolaev" -> "Nikolayev" -> "Mykolaiv"). A loop ("Kyiv" -> "Kiev" -> "Kyiv") has no
    such name: the spellings leading into it are left as the source wrote them, and the loop is
    warned about once per table (an entry naming itself, "Mykolaiv" -> "Mykolaiv", is no loop)."""
    typed = {_norm(t): t.strip() for t, w in pairs if _norm(t) and w.strip()}
    hop = {_norm(t): w.strip() for t, w in pairs if _norm(t) and w.strip()}
    table: dict[str, str] = {}
    loops: dict[frozenset[str], list[str]] = {}
    for start, written in hop.items():
        path = [start]
        while _norm(written) in hop and _norm(written) not in path:
            path.append(_norm(written))
            written = hop[_norm(written)]
        end = _norm(written)
        if end in path and end != path[-1]:  # back to an earlier spelling: a loop
            ring = path[path.index(end) :]
            loops.setdefault(frozenset(ring), [typed[n] for n in [*ring, end]])
            continue
        table[start] = written
    for ring in loops.values():
        log.warning(
            "curate.place_aliases loops (%s): no spelling in it leads to the name the network "
            "writes, so these cities are shown as their sources write them; make one of them "
            "the end of the chain",
            " -> ".join(ring),
        )
    return table
