"""The human review round-trip: export a PO, edit it, import it, localize again."""

from __future__ import annotations

import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po, write_po
from typer.testing import CliRunner

from hrc_outreach.curate.featured import record_draft
from hrc_outreach.i18n.po import check_entry, export_po, import_po
from hrc_outreach.i18n.policy import localize_all, resolve_strings
from hrc_outreach.i18n.translators import DeepLTranslator
from hrc_outreach.models import Edition, Provenance, ReviewState
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items
from tests.i18n.conftest import make_item


def _prepare(edition: Edition, store: Store, url: str, client: httpx.Client) -> None:
    with store.session() as s:
        upsert_items(s, edition.items)
        record_draft(s, edition)
    localize_all(edition, ["de", "fr"], store=store,
                 translator=DeepLTranslator(client, "test-key", url, sleep=lambda s: None))


def test_export_is_a_valid_po_with_fuzzy_machine_translations(
    edition: Edition, store: Store, deepl_server, client, tmp_path: Path
) -> None:
    url, _ = deepl_server
    _prepare(edition, store, url, client)
    data = export_po(edition, "de", store=store)
    text = data.decode("utf-8")
    assert '"Language: de\\n"' in text
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in text
    assert '"Content-Type: text/plain; charset=utf-8\\n"' in text
    assert 'msgctxt "item001:title"' in text
    assert "#: https://example.org/items/1" in text
    assert "# machine translation by deepl, not yet reviewed" in text
    catalog = read_po(BytesIO(data))
    entry = catalog.get("Human Rights City number 1 opens a housing office", "item001:title")
    assert entry is not None and entry.fuzzy and entry.string.startswith("[DE] ")
    assert len([m for m in catalog if m.id]) == 7  # 4 titles + 3 summaries
    if shutil.which("msgfmt"):  # GNU gettext's own check, as Poedit runs it
        po = tmp_path / "de.po"
        po.write_bytes(data)
        subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], check=True)


def test_round_trip_edited_string_becomes_human_reviewed(
    edition: Edition, store: Store, deepl_server, client
) -> None:
    url, engine = deepl_server
    _prepare(edition, store, url, client)
    catalog = read_po(BytesIO(export_po(edition, "de", store=store)))
    entry = catalog.get("Human Rights City number 1 opens a housing office", "item001:title")
    entry.string = "Menschenrechtsstadt Nr. 1 eröffnet ein Wohnungsbüro"
    entry.flags.discard("fuzzy")  # the translator reviewed it
    buf = BytesIO()
    write_po(buf, catalog)
    report = import_po(buf.getvalue(), store, path="de.po")
    assert report.ok and report.imported == 1 and report.fuzzy == 6 and report.lang == "de"

    requests = len(engine.translate_requests())
    de = localize_all(edition, ["de"], store=store)["de"]
    assert de.items[0].title == "Menschenrechtsstadt Nr. 1 eröffnet ein Wohnungsbüro"
    strings = resolve_strings(edition, "de", store=store)
    edited = strings[("item001", "title")]
    assert edited.provenance is Provenance.HUMAN and edited.review is ReviewState.REVIEWED
    assert strings[("item001", "summary")].review is ReviewState.UNREVIEWED
    assert len(engine.translate_requests()) == requests
    # The next export shows it reviewed (not fuzzy) and the others still fuzzy.
    again = read_po(BytesIO(export_po(edition, "de", store=store)))
    reviewed = again.get("Human Rights City number 1 opens a housing office", "item001:title")
    assert not reviewed.fuzzy and reviewed.string.startswith("Menschenrechtsstadt")


def _po(entries: list[tuple[str, str, str]], lang: str = "de") -> bytes:
    lines = [
        'msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"',
        f'"Language: {lang}\\n"', '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"', "",
    ]
    for ctx, msgid, msgstr in entries:
        lines += [f'msgctxt "{ctx}"', f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    return "\n".join(lines).encode()


def _line_of(data: bytes, needle: str) -> int:
    for n, line in enumerate(data.decode().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_broken_placeholder_refuses_the_file_with_the_line(store: Store) -> None:
    items = (make_item(1), make_item(2, title="Welcome to %(city)s on {date}"))
    with store.session() as s:
        upsert_items(s, items)
    data = _po([
        ("item001:title", items[0].title, "Gut übersetzt"),
        ("item002:title", "Welcome to %(city)s on {date}", "Willkommen in %(stadt)s am {date}"),
        ("item001:summary", items[0].summary.replace('"', '\\"'),
         "<p>Die Stadt <strong>1</strong> arbeitet mit DARE.</p>"),
    ])
    report = import_po(data, store, path="broken.po")
    assert not report.ok and report.imported == 0
    line = _line_of(data, 'msgid "Welcome to')
    assert any(e.startswith(f"broken.po:{line} (item002:title): placeholders differ")
               for e in report.errors), report.errors
    # Nothing from a refused file is recorded, not even the good entry.
    with store.session() as s:
        from sqlalchemy import func, select

        from hrc_outreach.store.tables import ItemTranslationRow

        assert s.scalar(select(func.count()).select_from(ItemTranslationRow)) == 0


def test_broken_tags_and_unknown_items_are_named(store: Store) -> None:
    item = make_item(1)
    with store.session() as s:
        upsert_items(s, [item])
    data = _po([
        ("item001:summary", item.summary.replace('"', '\\"'),
         "<p>Die Stadt <strong>1 arbeitet mit DARE.</p>"),
        ("nosuch:title", "Hello", "Hallo"),
        ("item001", "Hello", "Hallo"),
    ])
    errors = import_po(data, store, path="x.po").errors
    line = _line_of(data, 'msgid "<p>')
    assert any(f"x.po:{line}" in e and "HTML tags" in e for e in errors)
    assert any("no item 'nosuch'" in e for e in errors)
    assert any("msgctxt 'item001'" in e for e in errors)


def test_check_entry_accepts_reordered_placeholders() -> None:
    assert check_entry("%(a)s and {b}", "{b} und %(a)s") == []
    assert check_entry("<p>a <em>b</em></p>", "<p><em>b</em> a</p>") == []
    assert check_entry("[[unsubscribe_url]]", "") != []


def test_cli_export_and_import(
    edition: Edition, tmp_path: Path, deepl_server, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hrc_outreach.cli import app

    db = tmp_path / "store.db"
    config = tmp_path / "outreach.toml"
    config.write_text(f'out_dir = "{tmp_path / "out"}"\n[store]\nurl = "sqlite:///{db}"\n')
    store = Store(f"sqlite:///{db}")
    url, _ = deepl_server
    _prepare(edition, store, url, client)
    store.dispose()
    monkeypatch.delenv("HRC_CONFIG", raising=False)
    runner = CliRunner()
    out = tmp_path / "fr.po"
    r = runner.invoke(app, ["--config", str(config), "translations", "export",
                            "--edition", "2026-12", "--lang", "fr", "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "translation supplied by the source itself" in text  # item 3's own French
    # A translator fixes one string and unticks fuzzy in Poedit.
    text = re.sub(
        r'#, fuzzy\n(msgctxt "item001:title"\nmsgid ".*"\nmsgstr) ".*"',
        r'\1 "La ville des droits humains nº 1 ouvre un bureau du logement"', text)
    out.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["--config", str(config), "translations", "import", str(out)])
    assert r.exit_code == 0, r.output
    assert "1 imported as reviewed" in r.output
    # A broken file: exit 1, the line named.
    broken = tmp_path / "broken.po"
    broken.write_text(text.replace(
        "La ville des droits humains nº 1 ouvre", "La ville %(x)s ouvre"), encoding="utf-8")
    r = runner.invoke(app, ["--config", str(config), "translations", "import", str(broken)])
    assert r.exit_code == 1
    assert "broken.po:" in r.output and "placeholders differ" in r.output
