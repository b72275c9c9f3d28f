"""The template chrome catalogs: complete in every configured language, plural forms right, and a
check that fails when a string is missing, fuzzy, broken, or not extracted from the templates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import jinja2
import pytest

from hrc_outreach.config import DEFAULT_LANGUAGES
from hrc_outreach.i18n.catalog import LOCALES_DIR, po_path, translations_for
from hrc_outreach.i18n.catalog_check import PLURAL_FORMS, check_catalogs

ROOT = Path(__file__).resolve().parents[2]


def test_catalogs_are_complete_in_every_configured_language() -> None:
    result = check_catalogs(ROOT, DEFAULT_LANGUAGES)
    assert result.ok, "\n".join(result.problems)
    assert result.checked_languages == [lang for lang in DEFAULT_LANGUAGES if lang != "en"]
    assert result.strings > 20


@pytest.mark.parametrize("lang", [lang for lang in DEFAULT_LANGUAGES if lang != "en"])
def test_plural_forms_header_is_pinned(lang: str) -> None:
    text = po_path(lang).read_text(encoding="utf-8")
    assert f'"Plural-Forms: {PLURAL_FORMS[lang]}\\n"' in text
    assert f'"Language: {lang}\\n"' in text
    assert "charset=utf-8" in text.lower()


def test_plural_form_counts() -> None:
    assert PLURAL_FORMS["pl"].startswith("nplurals=3;")
    assert PLURAL_FORMS["uk"].startswith("nplurals=3;")
    assert PLURAL_FORMS["ar"].startswith("nplurals=6;")
    assert PLURAL_FORMS["fr"] == "nplurals=2; plural=(n > 1);"


EVENTS = ("%(num)s upcoming event", "%(num)s upcoming events")


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("pl", 1, "1 nadchodzące wydarzenie"),
        ("pl", 3, "3 nadchodzące wydarzenia"),
        ("pl", 5, "5 nadchodzących wydarzeń"),
        ("pl", 22, "22 nadchodzące wydarzenia"),
        ("pl", 12, "12 nadchodzących wydarzeń"),
        ("uk", 21, "21 найближча подія"),
        ("uk", 24, "24 найближчі події"),
        ("uk", 11, "11 найближчих подій"),
        ("ar", 0, "لا توجد فعاليات قادمة"),
        ("ar", 1, "فعالية قادمة واحدة"),
        ("ar", 2, "فعاليتان قادمتان"),
        ("ar", 3, "3 فعاليات قادمة"),
        ("ar", 11, "11 فعالية قادمة"),
        ("ar", 100, "100 فعالية قادمة"),
        ("fr", 0, "0 événement à venir"),
        ("fr", 2, "2 événements à venir"),
        ("hu", 5, "5 közelgő esemény"),
        ("pt_PT", 1, "1 próximo evento"),
    ],
)
def test_plural_forms_choose_the_right_words(lang: str, n: int, expected: str) -> None:
    assert translations_for(lang).ngettext(*EVENTS, n) % {"num": n} == expected


def test_newstyle_gettext_in_a_template() -> None:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_translations(translations_for("ar"), newstyle=True)  # type: ignore[attr-defined]
    tpl = env.from_string(
        '{{ ngettext("%(num)s upcoming event", "%(num)s upcoming events", n) }} | '
        '{{ _("Where: %(place)s", place="Gwangju") }}'
    )
    assert tpl.render(n=2) == "فعاليتان قادمتان | المكان: Gwangju"
    assert tpl.render(n=7) == "7 فعاليات قادمة | المكان: Gwangju"


def test_source_language_needs_no_catalog() -> None:
    assert translations_for("en").gettext("Upcoming events") == "Upcoming events"


# ----------------------------------------------------------------- the check itself must fail


@pytest.fixture
def locales_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, dest)
    return dest


def _edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert n == 1, pattern
    path.write_text(new, encoding="utf-8")


def _check(locales: Path):  # type: ignore[no-untyped-def]
    return check_catalogs(ROOT, DEFAULT_LANGUAGES, locales_dir=locales, extract_fresh=False)


def test_copy_passes_before_editing(locales_copy: Path) -> None:
    assert _check(locales_copy).ok


def test_check_fails_when_a_string_is_missing(locales_copy: Path) -> None:
    _edit(locales_copy / "de/LC_MESSAGES/messages.po",
          r'^msgid "Upcoming events"\nmsgstr ".*"\n', "")
    result = _check(locales_copy)
    assert not result.ok
    assert result.problems == ["de: 'Upcoming events': missing"]


def test_check_fails_on_an_empty_or_fuzzy_string(locales_copy: Path) -> None:
    _edit(locales_copy / "fr/LC_MESSAGES/messages.po",
          r'^(msgid "Unsubscribe"\nmsgstr )".*"', r'\1""')
    _edit(locales_copy / "it/LC_MESSAGES/messages.po",
          r'^(msgid "Other languages")', r'#, fuzzy\n\1')
    problems = _check(locales_copy).problems
    assert "fr: 'Unsubscribe': empty" in problems
    assert any(p.startswith("it: 'Other languages': fuzzy") for p in problems)


def test_check_fails_on_a_placeholder_that_differs(locales_copy: Path) -> None:
    _edit(locales_copy / "uk/LC_MESSAGES/messages.po",
          r'^(msgid "When: %\(when\)s"\nmsgstr )".*"', r'\1"Коли: %(коли)s"')
    _edit(locales_copy / "pl/LC_MESSAGES/messages.po",
          r'^msgstr\[2\] "%\(num\)s nadchodzących wydarzeń"', 'msgstr[2] "%(n)s nadchodzących"')
    problems = _check(locales_copy).problems
    assert any(p.startswith("uk: 'When: %(when)s': placeholders") for p in problems)
    assert any(p.startswith("pl: '%(num)s upcoming event': plural form 2") for p in problems)


def test_check_fails_on_wrong_plural_forms(locales_copy: Path) -> None:
    # Arabic cut to two forms: its six-form entries no longer fit.
    _edit(locales_copy / "ar/LC_MESSAGES/messages.po",
          r'^"Plural-Forms: .*\n', '"Plural-Forms: nplurals=2; plural=(n != 1);\\\\n"\n')
    # Polish with three forms but a wrong rule (22 would be "many").
    _edit(locales_copy / "pl/LC_MESSAGES/messages.po",
          r'^"Plural-Forms: .*\n',
          '"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n<5 ? 1 : 2);\\\\n"\n')
    problems = _check(locales_copy).problems
    assert any(p.startswith("ar: ") for p in problems)
    assert any(p.startswith("pl: Plural-Forms is") for p in problems)


@pytest.fixture
def root_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(ROOT / "babel.cfg", root / "babel.cfg")
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copytree(ROOT / "src" / "hrc_outreach" / "render", root / "src/hrc_outreach/render",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_check_fails_when_a_template_has_a_string_not_in_the_catalogs(root_copy: Path) -> None:
    new = root_copy / "templates/email/extra.txt.j2"
    new.write_text("{% trans %}A brand new chrome string{% endtrans %}\n", encoding="utf-8")
    result = check_catalogs(root_copy, DEFAULT_LANGUAGES)
    assert not result.ok
    assert any("'A brand new chrome string' is in the templates but not in the catalogs" in p
               for p in result.problems)


def test_a_template_with_a_syntax_error_fails_extraction(root_copy: Path) -> None:
    (root_copy / "templates/email/broken.txt.j2").write_text(
        "{% trans %}Unclosed\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="extraction failed"):
        check_catalogs(root_copy, DEFAULT_LANGUAGES)
