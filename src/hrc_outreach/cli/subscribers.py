"""``hrc-outreach subscribers import|export|erase|list``: parse, call the library, print."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hrc_outreach.cli.apps import console, err_console, fail, print_json, settings, subscribers_app
from hrc_outreach.errors import OutreachError


@subscribers_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="CSV file (UTF-8, comma or semicolon, header row)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    source: str | None = typer.Option(
        None, "--source", help="Where the list comes from (logged as the consent source)."
    ),
) -> None:
    """Import subscribers from a CSV; rows without a consent date come in as pending."""
    from hrc_outreach.audience.importer import import_csv
    from hrc_outreach.store import open_store

    cfg = settings()
    try:
        store = open_store(cfg)
        with store.session() as session:
            result = import_csv(session, cfg, file, source=source)
    except OutreachError as exc:
        fail(str(exc))
        return
    store.dispose()
    if as_json:
        print_json(result.as_json())
        return
    for r in result.rejected:
        err_console.print(f"[yellow]rejected[/] {file}:{r.line}: {r.reason}", highlight=False)
    console.print(
        f"{result.imported} imported, {result.updated} updated, {result.unchanged} unchanged, "
        f"{len(result.rejected)} rejected",
        highlight=False,
    )


@subscribers_app.command("export")
def export_command(
    email: str = typer.Argument(..., help="The person's email address."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the JSON to this file."),
) -> None:
    """Everything stored about one person, as JSON (GDPR access request)."""
    import json

    from hrc_outreach.audience.gdpr import export_person
    from hrc_outreach.store import open_store

    cfg = settings()
    try:
        store = open_store(cfg)
        with store.session() as session:
            data = export_person(session, email)
    except OutreachError as exc:
        fail(str(exc))
        return
    store.dispose()
    if output:
        output.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        err_console.print(f"wrote {output}", highlight=False)
    else:
        print_json(data)


@subscribers_app.command("erase")
def erase_command(
    email: str = typer.Argument(..., help="The person's email address."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a person's data, keeping only a hashed suppression entry (GDPR erasure)."""
    from hrc_outreach.audience.gdpr import erase_person
    from hrc_outreach.store import open_store

    if not yes and not typer.confirm(f"Erase every personal data about {email}?"):
        fail("nothing erased", code=1)
    cfg = settings()
    try:
        store = open_store(cfg)
        with store.session() as session:
            report = erase_person(session, email, settings=cfg)
    except OutreachError as exc:
        fail(str(exc))
        return
    store.dispose()
    print_json(report.model_dump())


@subscribers_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
    segment: list[str] = typer.Option(
        [], "--segment", "-s", help="Also count the members of this segment (repeatable)."
    ),
) -> None:
    """Counts of subscribers by state and language, and of named segments."""
    from hrc_outreach.audience.segments import select_segment
    from hrc_outreach.audience.snapshot import subscriber_counts
    from hrc_outreach.store import open_store

    cfg = settings()
    try:
        store = open_store(cfg)
        with store.session() as session:
            counts = subscriber_counts(session)
            seg_counts = {s: len(select_segment(session, cfg, [s])) for s in segment}
    except OutreachError as exc:
        fail(str(exc))
        return
    store.dispose()
    if seg_counts:
        counts["segments"] = seg_counts
    if as_json:
        print_json(counts)
        return
    table = Table(title=f"{counts['total']} subscribers, {counts['suppressed']} suppressed")
    table.add_column("state")
    table.add_column("count", justify="right")
    for state, n in counts["by_state"].items():
        table.add_row(state, str(n))
    console.print(table)
    langs = Table(title="confirmed, by language")
    langs.add_column("language")
    langs.add_column("count", justify="right")
    for lang, n in counts["confirmed_by_language"].items():
        langs.add_row(lang, str(n))
    console.print(langs)
    for name, n in seg_counts.items():
        console.print(f"segment {name}: {n} confirmed members", highlight=False)
