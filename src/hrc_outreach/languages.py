"""A language as people write it, mapped onto one of the configured languages.

One normaliser for every place a person names a language: the subscriber import, the subscribe
form, staff Markdown front matter. It sits at the bottom (it imports only Babel) so any stage can use it.
Codes in any case and with either separator (``fr-BE`` → ``fr``, ``pt`` → ``pt_PT``) and language
names in English or in any configured language (``Français``, ``Arabic``, ``українська``) via Babel.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from babel import Locale, UnknownLocaleError


def _key(code: str) -> str:
    return code.strip().replace("-", "_").casefold()


@lru_cache(maxsize=32)
def _table(languages: tuple[str, ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    bases: dict[str, list[str]] = {}
    for lang in languages:
        table[_key(lang)] = lang
        bases.setdefault(_key(lang).split("_")[0], []).append(lang)
    for base, langs in bases.items():
        # "pt" means pt_PT when pt_PT is the only Portuguese configured; "fr" stays "fr".
        if len(langs) == 1:
            table.setdefault(base, langs[0])
    shown_in = [Locale.parse("en"), *(_locale(lang) for lang in languages)]
    for lang in languages:
        loc = _locale(lang)
        if loc is None:
            continue
        for where in shown_in:
            if where is None:
                continue
            for name in (loc.get_language_name(where), loc.get_display_name(where)):
                if name:
                    table.setdefault(name.casefold(), lang)
    return table


def _locale(code: str) -> Locale | None:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def normalise_language(value: str, languages: Sequence[str]) -> str | None:
    """The configured language ``value`` means, or None if it names none of them.

    >>> normalise_language("fr-BE", ["en", "fr", "pt_PT"]), normalise_language("Português", ["pt_PT"])
    ('fr', 'pt_PT')
    """
    table = _table(tuple(languages))
    key = _key(value)
    if not key:
        return None
    if key in table:
        return table[key]
    base = key.split("_")[0]
    if base in table and _key(table[base]).split("_")[0] == base:
        return table[base]
    return table.get(value.strip().casefold())
