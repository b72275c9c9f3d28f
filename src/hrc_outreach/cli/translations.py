"""``hrc-outreach translations export|import``: PO files for human review of item strings."""

from __future__ import annotations

from pathlib import Path

import typer

from hrc_outreach.cli.apps import console, err_console, fail, settings, translations_app
from hrc_outreach.errors import OutreachError


@translations_app.command("export")
def export_command(
    edition: str = typer.Option(..., "--edition", "-e", help="Edition key, e.g. 2026-12."),
    lang: str = typer.Option(..., "--lang", "-l", help="Target language, e.g. fr or pt_PT."),
    out: Path | None = typer.Option(
        None, "--out", "-o",
        help="PO file to write (default <out_dir>/translations/<edition>/<lang>.po; - for stdout).",
    ),
) -> None:
    """Write a PO file of the edition's item titles and summaries in LANG (machine translations
    marked fuzzy) for a translator to review in Poedit, Weblate or Crowdin."""
    import sys

    from hrc_outreach.i18n.po import export_po, load_edition, normalise_lang
    from hrc_outreach.store import open_store

    cfg = settings()
    target = normalise_lang(lang)
    if target not in cfg.i18n.languages:
        fail(f"language {target!r} is not configured (i18n.languages: "
             f"{', '.join(cfg.i18n.languages)})")
    try:
        store = open_store(cfg)
        data = export_po(load_edition(store, cfg, edition), target, settings=cfg, store=store)
    except OutreachError as exc:
        fail(str(exc))
        return
    store.dispose()
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(data)
        return
    path = out or cfg.resolve(cfg.out_dir) / "translations" / edition / f"{target}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    console.print(f"wrote {path}", highlight=False)


@translations_app.command("import")
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A reviewed PO file."),
    lang: str | None = typer.Option(None, "--lang", "-l", help="Override the PO's Language."),
) -> None:
    """Read a reviewed PO file back: its non-fuzzy entries become human-reviewed translations.
    A file with any broken entry (placeholders or HTML tags that differ from the source, an
    unknown item) is refused whole, each bad entry named with its line; exit 1."""
    from hrc_outreach.i18n.po import import_po
    from hrc_outreach.store import open_store

    cfg = settings()
    try:
        store = open_store(cfg)
        report = import_po(file.read_bytes(), store, path=str(file), lang=lang,
                           languages=list(cfg.i18n.languages),
                           source_language=cfg.i18n.source_language)
    except OutreachError as exc:
        fail(str(exc))
        return
    store.dispose()
    if not report.ok:
        for e in report.errors:
            err_console.print(f"[red]refused:[/] {e}", highlight=False)
        fail(f"{file}: {len(report.errors)} broken entr{'y' if len(report.errors) == 1 else 'ies'}"
             "; nothing imported — fix them and import again")
    for s in report.stale:
        err_console.print(f"[yellow]warning:[/] {s}: the source text changed since the export; "
                          "kept, but not used until the source matches", highlight=False)
    console.print(
        f"{report.lang}: {report.imported} imported as reviewed, {report.fuzzy} fuzzy skipped, "
        f"{report.empty} empty skipped", highlight=False)
