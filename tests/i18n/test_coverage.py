"""Translation coverage staff can see and act on (issue 13), through the real CLI and pipeline:
per-language intro files, the intro in PO files and in review, strings by provenance in the draft,
the approval artifact and status; languages held back below ``i18n.min_coverage`` and editions
emptied by ``untranslated = "omit"`` get the source-language edition, reported, never an empty
message."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from hrc_outreach.config import load_settings
from hrc_outreach.store import Store
from tests.support.cli_setup import cli, flat, leuven_news, store_with, write_config
from tests.support.ledger_data import add_subscribers

KEY = "2026-12"
INTRO = "Welcome to **December**: cities that [act](https://humanrightscities.net/act)."
INTRO_FR = (
    "Bienvenue en **décembre** : des villes qui [agissent](https://humanrightscities.net/act)."
)


def _setup(tmp_path: Path, i18n: str = "") -> Path:
    config = write_config(tmp_path, ("en", "fr", "ar"), i18n=i18n)
    editions = tmp_path / "editions"
    editions.mkdir()
    (editions / f"{KEY}.md").write_text(INTRO + "\n", encoding="utf-8")
    (editions / f"{KEY}.fr.md").write_text(INTRO_FR + "\n", encoding="utf-8")
    store = store_with(tmp_path / "store.db", leuven_news())
    add_subscribers(store, 6, ("en", "fr", "ar"))
    store.dispose()
    return config


def _draft(config: Path, *more: str) -> dict[str, Any]:
    r = cli(config, "edition", "draft", "-e", KEY, "--json", *more)
    assert r.exit_code == 0, r.output
    data: dict[str, Any] = json.loads(r.stdout)
    data["stderr"] = flat(r.stderr)
    return data


def _by_lang(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {x["lang"]: x for x in data["languages"]}


def _approve(config: Path) -> None:
    show = json.loads(cli(config, "edition", "approve", KEY, "--show", "--json").stdout)
    r = cli(config, "edition", "approve", KEY, "--by", "Ana", "--hashes", show["hashes_arg"])
    assert r.exit_code == 0, r.output


def _languages_received(tmp_path: Path) -> dict[str, str]:
    """Recipient -> Content-Language of what the outbox holds."""
    out = {}
    for p in (tmp_path / "outbox").rglob("*.eml"):
        msg = message_from_bytes(p.read_bytes(), policy=policy.default)
        out[msg["To"].addresses[0].addr_spec] = str(msg["Content-Language"])
    return out


def test_per_language_intro_files_and_strings_by_provenance(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    langs = _by_lang(_draft(config))
    html = {k: Path(v["path"], "email.html").read_text("utf-8") for k, v in langs.items()}
    assert "Bienvenue en" in html["fr"] and "Welcome to" not in html["fr"]
    assert "Welcome to" in html["ar"]  # no Arabic intro: shown in English, with its own lang
    assert 'lang="en"' in html["ar"].split("Welcome to")[0].rsplit("<div", 1)[1]
    # en: everything human; fr: the intro human, the item's title and summary untranslated
    assert langs["en"]["strings"] == {"human": 3, "memory": 0, "machine": 0, "source": 0}
    assert langs["fr"]["strings"] == {"human": 1, "memory": 0, "machine": 0, "source": 2}
    assert langs["ar"]["strings"] == {"human": 0, "memory": 0, "machine": 0, "source": 3}
    assert (langs["en"]["coverage"], langs["fr"]["coverage"], langs["ar"]["coverage"]) == (
        1.0,
        round(1 / 3, 4),
        0.0,
    )
    assert all(x["held_back"] == "" for x in langs.values()), "nothing held back by default"
    r = cli(config, "edition", "draft", "-e", KEY)
    out = flat(r.stdout)
    assert "fr: 33% translated; strings 1 human, 0 memory, 0 machine, 2 source" in out


def test_an_empty_or_unreadable_intro_file_is_an_error_naming_it(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    (tmp_path / "editions" / f"{KEY}.ar.md").write_text("  \n", encoding="utf-8")
    r = cli(config, "edition", "draft", "-e", KEY)
    assert r.exit_code == 1
    assert "ar.md" in flat(r.stderr) and "the ar intro is empty" in flat(r.stderr)


def test_the_intro_round_trips_through_a_po_file(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    _draft(config)
    po = tmp_path / "ar.po"
    r = cli(config, "translations", "export", "-e", KEY, "-l", "ar", "-o", str(po))
    assert r.exit_code == 0, r.output
    catalog = read_po(po.open("rb"))
    intro = catalog.get(INTRO, context=f"edition:{KEY}:intro")
    assert intro is not None and intro.string == ""
    fr_po = tmp_path / "fr.po"
    assert (
        cli(config, "translations", "export", "-e", KEY, "-l", "fr", "-o", str(fr_po)).exit_code
        == 0
    )
    fr = read_po(fr_po.open("rb")).get(INTRO, context=f"edition:{KEY}:intro")
    assert fr is not None and fr.string == INTRO_FR, "the staff's own file is the translation"

    arabic = "مرحبا بكم في **ديسمبر**: مدن [تعمل](https://humanrightscities.net/act)."
    text = po.read_text("utf-8").replace(
        f'msgctxt "edition:{KEY}:intro"\nmsgid "{INTRO}"\nmsgstr ""',
        f'msgctxt "edition:{KEY}:intro"\nmsgid "{INTRO}"\nmsgstr "{arabic}"',
    )
    assert arabic in text
    po.write_text(text, "utf-8")
    r = cli(config, "translations", "import", str(po))
    assert r.exit_code == 0, r.output
    assert "1 imported" in flat(r.stdout)
    ar = _by_lang(_draft(config))["ar"]
    assert "مرحبا بكم في" in Path(ar["path"], "email.html").read_text("utf-8")
    assert ar["strings"]["human"] == 1 and ar["strings"]["source"] == 2
    # a changed source intro is not translated by the old entry: shown in English again
    (tmp_path / "editions" / f"{KEY}.md").write_text("A new intro.\n", encoding="utf-8")
    ar = _by_lang(_draft(config))["ar"]
    assert "A new intro." in Path(ar["path"], "email.html").read_text("utf-8")
    assert ar["strings"]["human"] == 0


def test_the_intro_is_in_translation_review(tmp_path: Path) -> None:
    from hrc_outreach.web.staff.review import entries

    config = _setup(tmp_path)
    _draft(config)
    settings = load_settings(config)
    store = Store(settings.database_url)
    try:
        ar = {e.field: e for e in entries(settings, store, KEY, "ar")}
        fr = {e.field: e for e in entries(settings, store, KEY, "fr")}
    finally:
        store.dispose()
    assert ar["intro"].source == INTRO and ar["intro"].text == "" and ar["intro"].origin == "source"
    assert fr["intro"].text == INTRO_FR and fr["intro"].origin == "human"


def test_a_language_below_min_coverage_is_held_back_and_gets_the_source_edition(
    tmp_path: Path,
) -> None:
    config = _setup(tmp_path, "min_coverage = 0.5")
    data = _draft(config)
    langs = _by_lang(data)
    assert "below i18n.min_coverage 50%" in langs["fr"]["held_back"]
    assert langs["ar"]["held_back"] and not langs["en"]["held_back"]
    assert "fr held back" in data["stderr"] and "ar held back" in data["stderr"]
    _approve(config)
    r = cli(config, "edition", "send", KEY, "--dry-run", "--json")
    plan = json.loads(r.stdout)
    assert set(plan["held_back"]) == {"fr", "ar"} and plan["refused"] == ""
    r = cli(config, "edition", "send", KEY)  # held back on purpose: no --fallback-source needed
    assert r.exit_code == 0, r.output
    assert "fr held back" in flat(r.stderr)
    got = _languages_received(tmp_path)
    assert len(got) == 6 and set(got.values()) == {"en"}, got


def test_omit_that_empties_a_language_is_reported_and_never_sent_empty(tmp_path: Path) -> None:
    config = _setup(tmp_path, 'untranslated = "omit"')
    data = _draft(config)
    langs = _by_lang(data)
    assert langs["ar"]["held_back"].startswith("empty edition")
    assert langs["fr"]["held_back"].startswith("empty edition")
    assert "ar held back: empty edition" in data["stderr"]
    _approve(config)
    r = cli(config, "edition", "send", KEY)
    assert r.exit_code == 0, r.output
    got = _languages_received(tmp_path)
    assert len(got) == 6 and set(got.values()) == {"en"}, "no empty edition was sent"


def test_the_approval_artifact_and_status_show_coverage(tmp_path: Path) -> None:
    from hrc_outreach.pipeline import draft, drafts_coverage, preview_markdown

    config = _setup(tmp_path, "min_coverage = 0.5")
    settings = load_settings(config)
    summary = draft(settings, KEY, ["en", "fr", "ar"])
    md = preview_markdown(summary, settings)
    assert "| fr |" in md and "| 0 / 0 / 0 / 1 | 1 / 0 / 0 / 2 | 33% **held back** |" in md
    assert "## Held back" in md and "- **fr**: 33% of its strings translated" in md
    covered = drafts_coverage(settings)
    assert list(covered) == [KEY]
    assert covered[KEY]["fr"].strings == {"human": 1, "memory": 0, "machine": 0, "source": 2}
    assert covered[KEY]["fr"].held_back
