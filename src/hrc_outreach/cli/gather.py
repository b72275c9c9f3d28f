"""``hrc-outreach gather`` and ``hrc-outreach items``: parse, call the library, print."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from hrc_outreach.cli.apps import app, console, err_console, fail, print_json, settings
from hrc_outreach.errors import OutreachError
from hrc_outreach.models import GatherStatus, ItemKind

_ITEM_FIELDS = (
    "id",
    "kind",
    "source",
    "title",
    "summary",
    "url",
    "image_url",
    "image_alt",
    "language",
    "published_at",
    "updated_at",
    "tags",
    "city",
    "country",
    "region",
    "session",
    "project",
    "start",
    "end",
    "all_day",
    "timezone",
    "location",
    "online_url",
    "registration_url",
)


@app.command("gather")
def gather_command(
    source: str | None = typer.Option(None, "--source", "-s", help="Gather only this source."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Gather every configured source (or one) into the store; exit 1 if any source failed."""
    from hrc_outreach.sources.gather import gather_sync, report_as_dict
    from hrc_outreach.store import open_store

    cfg = settings()
    try:
        store = open_store(cfg)
        report = gather_sync(cfg, store, only=source)
    except OutreachError as exc:
        fail(str(exc))
        return
    for s in report.sources:
        for warning in s.warnings:
            # Warnings quote source text ("[a, b]", file names): never read it as rich markup.
            err_console.print(f"[yellow]warning:[/] source {escape(s.name)!r}: {escape(warning)}",
                              highlight=False)
    if as_json:
        print_json(report_as_dict(report))
    else:
        table = Table(title="Gathered")
        for col in ("source", "kind", "status", "new", "updated", "unchanged", "error"):
            table.add_column(
                col, justify="right" if col in ("new", "updated", "unchanged") else "left"
            )
        for s in report.sources:
            status = "[green]ok[/]" if s.status is GatherStatus.OK else "[red]error[/]"
            if s.not_modified:
                status += " (304)"
            table.add_row(
                s.name, s.kind, status, str(s.new), str(s.updated), str(s.unchanged), s.error or ""
            )
        console.print(table)
        console.print(f"{report.new} new, {report.updated} updated")
    store.dispose()
    if not report.ok:
        raise typer.Exit(1)


@app.command("items")
def items_command(
    kind: ItemKind | None = typer.Option(None, "--kind", "-k", help="Only items of this kind."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of items."),
) -> None:
    """List the stored items, newest first."""
    from hrc_outreach.store import open_store
    from hrc_outreach.store.items import list_items

    cfg = settings()
    try:
        store = open_store(cfg)
        with store.session() as s:
            items = list_items(s, kind=kind)
    except OutreachError as exc:
        fail(str(exc))
        return
    store.dispose()
    if as_json:
        print_json(
            [
                {k: v for k, v in i.model_dump(mode="json").items() if k in _ITEM_FIELDS}
                for i in items
            ]
        )
        return
    table = Table(title=f"{len(items)} items")
    for col in ("kind", "published", "lang", "title", "place / start", "source"):
        table.add_column(col)
    for i in items:
        when = i.published_at.date().isoformat() if i.published_at else ""
        place = ", ".join(p for p in (i.city or i.region, i.country) if p)
        if i.start:
            place = i.start.isoformat(timespec="minutes")
        table.add_row(i.kind.value, when, i.language, i.title, place, i.source)
    console.print(table)
