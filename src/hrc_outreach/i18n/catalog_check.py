"""The catalog check behind ``make catalogs`` / ``scripts/check_catalogs.py`` and the test suite.

Fails when a template or render module has a chrome string that ``messages.pot`` lacks (a fresh
extraction is compared), when a configured language's catalog misses a string, has it fuzzy or
empty, has the wrong number of plural forms or Plural-Forms header, or when a placeholder differs
from the source (a plural form may drop only the count, as Arabic does for zero, one and two).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

# Pinned gettext plural rules (the classic ones tools and translators know; CLDR's newer "many"
# forms for fr/es/it are deliberately not used).
PLURAL_FORMS: dict[str, str] = {
    "fr": "nplurals=2; plural=(n > 1);",
    "nl": "nplurals=2; plural=(n != 1);",
    "de": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "it": "nplurals=2; plural=(n != 1);",
    "pt_PT": "nplurals=2; plural=(n != 1);",
    "pl": "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : 2);",
    "hu": "nplurals=2; plural=(n != 1);",
    "uk": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
          "(n%100<12 || n%100>14) ? 1 : 2);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
          "n%100>=11 ? 4 : 5);",
}
# Placeholders a plural form may leave out: the count itself ("one event", Arabic dual).
COUNT_PLACEHOLDERS = frozenset({"%(num)s", "%(count)s", "%(n)s"})
EXTRACT_KEYWORDS = ("_", "gettext", "ngettext:1,2", "pgettext:1c,2", "npgettext:1c,2,3")
_PLACEHOLDER = re.compile(r"%\([^)]+\)[sdifr]|%[sdifr]|\{[^{}\s]*\}")


@dataclass
class CheckResult:
    problems: list[str] = field(default_factory=list)
    checked_languages: list[str] = field(default_factory=list)
    strings: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def extract(root: Path, out: Path) -> None:
    """Extract the chrome strings under ``root`` (its ``babel.cfg``) into the POT file ``out``."""
    cmd = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
           str(root / "babel.cfg"), "--no-location", "--sort-output", "--omit-header",
           "-c", "Translators:", "-o", str(out)]
    for kw in EXTRACT_KEYWORDS:
        cmd += ["-k", kw]
    done = subprocess.run([*cmd, "."], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"extraction failed in {root}:\n{done.stderr.strip()}")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale, abort_invalid=True)


def _ids(catalog: Catalog) -> dict[tuple[str, str | None], Message]:
    out = {}
    for m in catalog:
        if m.id:
            key = m.id[0] if isinstance(m.id, tuple | list) else m.id
            out[(key, m.context)] = m
    return out


def _check_message(src: Message, got: Message | None, lang: str, nplurals: int) -> list[str]:
    ids = [src.id] if isinstance(src.id, str) else list(src.id)
    key = ids[0]
    where = f"{lang}: {key!r}"
    if got is None:
        return [f"{where}: missing"]
    if got.fuzzy:
        return [f"{where}: fuzzy (review it and remove the fuzzy flag)"]
    if src.pluralizable:
        forms = [got.string] if isinstance(got.string, str) else list(got.string or ())
        if len(forms) != nplurals or any(not f for f in forms):
            return [f"{where}: needs {nplurals} non-empty plural forms, has "
                    f"{sum(1 for f in forms if f)} of {len(forms)}"]
        want = placeholders(ids[0]) | placeholders(ids[-1])
        problems = []
        for i, form in enumerate(forms):
            have = placeholders(form)
            if not have <= want or (want - have) - COUNT_PLACEHOLDERS:
                problems.append(f"{where}: plural form {i} has placeholders {sorted(have)}, "
                                f"the source has {sorted(want)}")
        return problems
    text = got.string if isinstance(got.string, str) else ""
    if not text:
        return [f"{where}: empty"]
    if placeholders(text) != placeholders(key):
        return [f"{where}: placeholders {sorted(placeholders(text))} differ from the source's "
                f"{sorted(placeholders(key))}"]
    return []


def check_catalogs(
    root: Path, languages: Sequence[str], *, locales_dir: Path | None = None,
    source_language: str = "en", extract_fresh: bool = True,
) -> CheckResult:
    """Check the POT against the templates, and every language's catalog against the POT."""
    locales = locales_dir or root / "templates" / "locales"
    result = CheckResult()
    pot_path = locales / "messages.pot"
    if not pot_path.is_file():
        result.problems.append(f"{pot_path} is missing: run `make catalogs`")
        return result
    pot = _read(pot_path)
    source = _ids(pot)
    result.strings = len(source)
    if extract_fresh:
        with tempfile.TemporaryDirectory() as tmp:
            fresh_path = Path(tmp) / "fresh.pot"
            extract(root, fresh_path)
            fresh = _ids(_read(fresh_path))
        for key in sorted(set(fresh) - set(source), key=str):
            result.problems.append(
                f"messages.pot: {key[0]!r} is in the templates but not in the catalogs: "
                "run `make catalogs` and translate it in every language"
            )
        for key in sorted(set(source) - set(fresh), key=str):
            result.problems.append(
                f"messages.pot: {key[0]!r} is no longer in any template: run `make catalogs`"
            )
        source = {k: v for k, v in fresh.items()} | {k: v for k, v in source.items() if k in fresh}
    for lang in languages:
        if lang.split("_")[0] == source_language.split("_")[0]:
            continue
        result.checked_languages.append(lang)
        path = locales / lang / "LC_MESSAGES" / "messages.po"
        if not path.is_file():
            result.problems.append(f"{lang}: {path} is missing")
            continue
        try:
            catalog = _read(path, locale=lang)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the finding
            result.problems.append(f"{lang}: {path} cannot be read: {exc}")
            continue
        header = catalog.mime_headers
        plural_header = dict(header).get("Plural-Forms", "")
        pinned = PLURAL_FORMS.get(lang)
        if pinned is not None and plural_header.replace(" ", "") != pinned.replace(" ", ""):
            result.problems.append(f"{lang}: Plural-Forms is {plural_header!r}, expected {pinned!r}")
        nplurals = catalog.num_plurals
        have = _ids(catalog)
        for key, src in sorted(source.items(), key=lambda kv: str(kv[0])):
            result.problems.extend(_check_message(src, have.get(key), lang, nplurals))
        try:
            write_mo(BytesIO(), catalog, use_fuzzy=False)
        except Exception as exc:  # noqa: BLE001
            result.problems.append(f"{lang}: does not compile: {exc}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from hrc_outreach.config import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument("--locales-dir", type=Path, default=None)
    parser.add_argument("--languages", default=None, help="comma-separated (default: configured)")
    args = parser.parse_args(argv)
    languages = (args.languages.split(",") if args.languages
                 else list(load_settings().i18n.languages))
    result = check_catalogs(args.root, languages, locales_dir=args.locales_dir)
    for p in result.problems:
        print(f"catalogs: {p}", file=sys.stderr)
    if result.ok:
        print(f"catalogs: {result.strings} strings complete in "
              f"{', '.join(result.checked_languages)}")
    return 0 if result.ok else 1
