"""Template chrome for a campaign's languages, which may exceed the newsletter's (``i18n.languages``).

``hrc-outreach languages add fa`` creates ``templates/locales/fa/LC_MESSAGES/messages.po`` from
``messages.pot`` (every string empty: what a translator must fill in); a campaign language's
catalog must be complete for the strings of the campaign templates (:data:`CAMPAIGN_TEMPLATES`),
which ``make catalogs`` and ``campaign validate`` check.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from hrc_outreach.errors import CatalogError, ConfigError
from hrc_outreach.i18n.catalog import LOCALES_DIR, po_path
from hrc_outreach.paths import TEMPLATES_DIR

CAMPAIGN_TEMPLATES = (
    "email/campaign.mjml.j2",
    "email/partials/brand.mjml.j2",
    "email/partials/footer.mjml.j2",
    "text/campaign.txt.j2",
    "web/campaign.html.j2",  # the public page (lists every country's link)
)
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"}
_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def campaign_strings(templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    """The chrome strings (msgids) the campaign templates use, in order."""
    out: list[str] = []
    for name in CAMPAIGN_TEMPLATES:
        for _line, msg, _comments, _ctx in extract_from_file(
            "jinja2.ext:babel_extract", str(templates_dir / name), keywords=_KEYWORDS,
            options=_JINJA_OPTIONS,
        ):  # fmt: skip
            key = msg[0] if isinstance(msg, tuple) else msg
            if key not in out:
                out.append(key)
    return out


def _read(path: Path, lang: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def missing_campaign_strings(
    lang: str, *, locales_dir: Path = LOCALES_DIR, templates_dir: Path = TEMPLATES_DIR
) -> list[str]:
    """What ``lang``'s catalog lacks for the campaign templates: "'Unsubscribe': empty", ...
    (the source language, English, needs none)."""
    if lang.split("_")[0] == "en":
        return []
    path = po_path(lang, locales_dir)
    if not path.is_file():
        return [f"no catalog {path} (`hrc-outreach languages add {lang}` creates it)"]
    catalog = _read(path, lang)
    problems = []
    for key in campaign_strings(templates_dir):
        msg = catalog.get(key)
        if msg is None:
            problems.append(f"{key!r}: missing (run `make catalogs`)")
        elif msg.fuzzy:
            problems.append(f"{key!r}: fuzzy")
        elif not msg.string:
            problems.append(f"{key!r}: empty")
    return problems


def check_campaign_catalogs(languages: Iterable[str], **dirs: Path) -> list[str]:
    """``lang: problem`` for every campaign language whose catalog misses a campaign string."""
    return [f"{lang}: {p}" for lang in languages for p in missing_campaign_strings(lang, **dirs)]


def campaign_languages(campaigns_dir: Path) -> list[str]:
    """Every language some campaign under ``campaigns_dir`` is written in (sorted)."""
    from hrc_outreach.campaigns.load import read_campaign

    langs: set[str] = set()
    for f in campaigns_dir.glob("*/campaign.yaml"):
        try:
            data = read_campaign(f.parent).data
        except ConfigError:
            continue  # a broken campaign is `campaign validate`'s to report
        raw = data.get("languages")
        if isinstance(raw, list):
            langs.update(str(x) for x in raw)
    return sorted(langs)


def add_language(
    lang: str, *, locales_dir: Path = LOCALES_DIR, filled: dict[str, str] | None = None
) -> tuple[Path, int]:
    """Create ``lang``'s catalog from ``messages.pot``: every string empty (a translator's to
    fill in, e.g. with Poedit or Weblate) except ``filled``. Returns the file and how many strings
    need a translator. CatalogError when the language is unknown or its catalog exists."""
    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError) as exc:
        raise CatalogError(f"unknown language {lang!r} (a CLDR code: fa, tr, pt_PT)") from exc
    path = po_path(lang, locales_dir)
    if path.exists():
        raise CatalogError(f"{path} exists already; `make catalogs` brings it up to date")
    pot_path = locales_dir / "messages.pot"
    with pot_path.open("rb") as fh:
        pot = read_po(fh)
    catalog = Catalog(
        locale=locale, project="hrc-outreach", version="0.1",
        copyright_holder="Human Rights Cities Network",
        msgid_bugs_address="info@humanrightscities.net", fuzzy=False,
    )  # fmt: skip
    todo = 0
    for msg in pot:
        if not msg.id:
            continue
        string = (filled or {}).get(msg.id if isinstance(msg.id, str) else msg.id[0], "")
        if isinstance(msg.id, tuple | list):
            value: str | tuple[str, ...] = ("",) * catalog.num_plurals
            todo += 1
        else:
            value = string
            todo += not string
        catalog.add(msg.id, value, auto_comments=msg.auto_comments, context=msg.context)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = BytesIO()
    write_po(buf, catalog, width=0, omit_header=False)
    path.write_bytes(buf.getvalue())
    return path, todo
