"""``hrc-outreach subscribers ...``: import, export, erase, list, and staff managing people without
erasing them (show, unsubscribe, resubscribe, add, set-language, confirm-pending): parse, call the
library, print."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.table import Table

from hrc_outreach.cli.apps import console, err_console, fail, print_json, settings, subscribers_app
from hrc_outreach.config import Settings
from hrc_outreach.errors import OutreachError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hrc_outreach.models import Subscriber

_T = TypeVar("_T")


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
    for r in result.warnings:
        err_console.print(f"[yellow]warning[/] {file}:{r.line}: {r.reason}", highlight=False)
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
    as_json: bool = typer.Option(False, "--json", help="Print the counts (or people) as JSON."),
    segment: list[str] = typer.Option(
        [],
        "--segment",
        "-s",
        help="Also count the members of this segment (repeatable); with --people: only them.",
    ),
    people: bool = typer.Option(
        False, "--people", help="List people (newest first) instead of counting them."
    ),
    state: str | None = typer.Option(
        None,
        "--state",
        help="With --people: only this state (pending, confirmed, unsubscribed...).",
    ),
    language: str | None = typer.Option(
        None, "--language", help="With --people: only this language."
    ),
    contains: str | None = typer.Option(
        None, "--contains", help="With --people: address or name containing this text."
    ),
    limit: int = typer.Option(100, "--limit", min=1, help="With --people: at most this many."),
) -> None:
    """Counts of subscribers by state and language, and of named segments; or, with --people,
    the people themselves, filtered."""
    from hrc_outreach.audience.segments import select_segment
    from hrc_outreach.audience.snapshot import subscriber_counts
    from hrc_outreach.store import open_store

    if people:
        _list_people(as_json, segment, state, language, contains, limit)
        return
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
    _print_counts(counts, seg_counts)


def _print_counts(counts: dict[str, Any], seg_counts: dict[str, int]) -> None:
    """The counts by state and by language, then the segments asked for."""
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


def _list_people(
    as_json: bool,
    segment: list[str],
    state: str | None,
    language: str | None,
    contains: str | None,
    limit: int,
) -> None:
    from hrc_outreach.audience.people import list_people
    from hrc_outreach.languages import normalise_language

    found = _in_store(
        lambda s, cfg: list_people(
            s, state=state, segment=segment[0] if segment else None, contains=contains,
            # as people write it ("pt-PT", "Português"), as set-language takes it
            language=language and (normalise_language(language, cfg.i18n.languages) or language),
            limit=limit,
        )
    )  # fmt: skip
    rows = [
        {"email": p.email, "name": p.name, "language": p.language, "state": p.state.value,
         "segments": list(p.segments), "since": p.created_at}
        for p in found
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    table = Table(
        title=f"{len(rows)} people" + (f" (at most {limit})" if len(rows) == limit else "")
    )
    for col in ("email", "name", "language", "state", "segments"):
        table.add_column(col)
    for p in found:
        table.add_row(p.email, p.name, p.language, p.state.value, ", ".join(p.segments))
    console.print(table)


def _in_store(work: Callable[[Session, Settings], _T]) -> _T:
    """``work(session, settings)`` in one committed session; an OutreachError ends the command."""
    from hrc_outreach.store import open_store

    cfg = settings()
    try:
        store = open_store(cfg)
        try:
            with store.session() as session:
                return work(session, cfg)
        finally:
            store.dispose()
    except OutreachError as exc:
        fail(str(exc))
        raise  # not reached: fail() exits


def _who(by: str | None) -> str:
    return by or os.environ.get("USER") or "cli"


BY_HELP = "Who does it, for the consent log (default: $USER)."


@subscribers_app.command("show")
def show_command(
    email: str = typer.Argument(..., help="The person's email address."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One person: their record, suppression and consent log (no sends: see `export`)."""
    from hrc_outreach.audience.gdpr import export_person

    data = _in_store(lambda s, _cfg: export_person(s, email))
    data.pop("sends", None)
    if data["subscriber"] is None and data["suppression"] is None and not data["consent_log"]:
        fail(f"nothing is stored about {email.strip()!r}")
    if as_json:
        print_json(data)
        return
    sub = data["subscriber"]
    if sub:
        console.print(
            f"{sub['email']}  {sub['name'] or '(no name)'}  language {sub['language']}  "
            f"state {sub['state']}  segments {', '.join(sub['segments']) or '-'}  "
            f"consent {sub['consent_at'] or '-'} ({sub['consent_source'] or '-'})",
            highlight=False,
        )
    else:
        console.print(f"{email.strip()}: no subscriber record", highlight=False)
    supp = data["suppression"]
    console.print(
        f"suppressed: {supp['reason']} since {supp['at']} ({supp['source']})"
        if supp
        else "not suppressed",
        highlight=False,
    )
    for entry in data["consent_log"]:
        console.print(
            f"  {entry['at']}  {entry['action']:<20} {entry['method']:<14} {entry['source']}  "
            f"{entry['detail'] or ''}",
            highlight=False,
        )


def _print_person(verb: str, person: Subscriber) -> None:
    console.print(
        f"{verb} {person.email}: {person.state.value}, {person.language}", highlight=False
    )


@subscribers_app.command("unsubscribe")
def unsubscribe_command(
    email: str = typer.Argument(..., help="The person's email address."),
    note: str = typer.Option("", "--note", help="Why (e.g. 'asked by phone'), logged."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Unsubscribe a person (suppressed, logged); their record stays, unlike `erase`."""
    from hrc_outreach.audience.people import staff_unsubscribe

    _print_person(
        "unsubscribed", _in_store(lambda s, _c: staff_unsubscribe(s, email, by=_who(by), note=note))
    )


@subscribers_app.command("resubscribe")
def resubscribe_command(
    email: str = typer.Argument(..., help="The person's email address."),
    consent_note: str | None = typer.Option(
        None, "--consent-note", help="How the new consent was given (required, logged)."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Where the new consent was given (required, logged)."
    ),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Subscribe again someone who unsubscribed, bounced or complained: only on new consent."""
    from hrc_outreach.audience.people import resubscribe

    person = _in_store(
        lambda s, _c: resubscribe(s, email, consent_note=consent_note, source=source, by=_who(by))
    )
    _print_person("resubscribed", person)


@subscribers_app.command("add")
def add_command(
    email: str = typer.Argument(..., help="The person's email address."),
    name: str = typer.Option("", "--name", help="Their name."),
    language: str = typer.Option(
        "", "--language", help="Their language (default: the source language)."
    ),
    segment: list[str] = typer.Option([], "--segment", "-s", help="A segment (repeatable)."),
    consent_note: str | None = typer.Option(
        None, "--consent-note", help="How they consented: then confirmed at once (logged)."
    ),
    source: str | None = typer.Option(
        None, "--source", help="Where they consented (with --consent-note)."
    ),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Add a person: confirmed with --consent-note and --source, else pending (then
    `subscribers confirm-pending` sends the double opt-in email)."""
    from hrc_outreach.audience.people import add_person

    added = _in_store(
        lambda s, cfg: add_person(
            s, cfg, email, name=name, language=language, segments=segment,
            consent_note=consent_note, source=source, by=_who(by),
        )
    )  # fmt: skip
    for warning in added.warnings:
        err_console.print(f"[yellow]warning[/] {warning}", highlight=False)
    _print_person("added", added.subscriber)


@subscribers_app.command("set-language")
def set_language_command(
    email: str = typer.Argument(..., help="The person's email address."),
    language: str = typer.Argument(..., help="One of the configured languages."),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
) -> None:
    """Change the language a person reads the newsletter in (logged)."""
    from hrc_outreach.audience.people import set_language

    person = _in_store(lambda s, cfg: set_language(s, cfg, email, language, by=_who(by)))
    _print_person("language set for", person)


@subscribers_app.command("confirm-pending")
def confirm_pending_command(
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="At most this many (default: all)."
    ),
    by: str | None = typer.Option(None, "--by", help=BY_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Send the double opt-in email to pending subscribers, once per address (logged); exits 1
    if any failed (they can be tried again)."""
    from hrc_outreach.audience.people import confirm_pending
    from hrc_outreach.store import open_store

    cfg = settings()
    try:
        store = open_store(cfg)
        try:
            report = confirm_pending(store, cfg, by=_who(by), limit=limit)
        finally:
            store.dispose()
    except OutreachError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json({"sent": report.sent, "skipped": report.skipped, "failed": report.failed})
    else:
        console.print(
            f"{len(report.sent)} sent, {report.skipped} sent before (skipped), "
            f"{len(report.failed)} failed",
            highlight=False,
        )
        for address, error in report.failed.items():
            err_console.print(f"[red]failed[/] {address}: {error}", highlight=False)
    if report.failed:
        raise typer.Exit(1)
