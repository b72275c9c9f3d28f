"""Template chrome through gettext: compiled catalogs per language, loaded once.

Catalogs live in ``templates/locales/<lang>/LC_MESSAGES/messages.po`` and are compiled to ``.mo`` in
memory at start-up (Babel), so a fresh clone needs no build step.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale

from hrc_outreach.paths import TEMPLATES_DIR

LOCALES_DIR = TEMPLATES_DIR / "locales"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


def text_direction(lang: str) -> str:
    """``rtl`` or ``ltr`` for a language code such as ``ar`` or ``pt_PT``."""
    return "rtl" if lang.split("_")[0].split("-")[0] in RTL_LANGUAGES else "ltr"


# A European network: bare "en" and "pt" mean the European variants (CLDR's "en" is US English,
# its "pt" Brazilian), so dates read "8 December 2026" and "8 de dezembro de 2026".
_CLDR_DEFAULTS = {"en": "en_GB", "pt": "pt_PT"}


def babel_locale(lang: str) -> Locale:
    """The CLDR locale for a configured language (``pt_PT`` stays European Portuguese).

    >>> str(babel_locale("pt_PT")), str(babel_locale("en"))
    ('pt_PT', 'en_GB')
    """
    code = lang.replace("-", "_")
    return Locale.parse(_CLDR_DEFAULTS.get(code, code))


def html_lang(lang: str) -> str:
    """The BCP 47 tag for ``lang`` attributes: ``pt_PT`` -> ``pt-PT``."""
    return lang.replace("_", "-")


def po_path(lang: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=64)
def translations_for(lang: str, locales_dir: Path = LOCALES_DIR) -> gettext.NullTranslations:
    """The compiled chrome catalog for ``lang``; the source language (English) needs none."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = po_path(lang, locales_dir)
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)
