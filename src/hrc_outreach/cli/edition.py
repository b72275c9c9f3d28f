"""``hrc-outreach edition draft``: curate an edition from the store and render it (gathers nothing)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from hrc_outreach.approval import format_hashes
from hrc_outreach.cli.apps import console, edition_app, err_console, fail, print_json, settings
from hrc_outreach.errors import EmptyEditionError, OutreachError

if TYPE_CHECKING:
    from hrc_outreach.config import Settings
    from hrc_outreach.render.draft import DraftResult


def _void(key: str, flow_run: str, changed: list[str]) -> str:
    """Tell the monthly run that waited on other drafts of ``key`` that its wait is void."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from hrc_outreach.workflow import void_waiting_run  # a broken install fails loudly

    try:
        told = void_waiting_run(flow_run, key, changed)
    except Exception as exc:  # noqa: BLE001 - the run refuses the old drafts on its own anyway
        told = False
        why = f"Prefect not reachable ({exc.__class__.__name__}); when answered, it refuses"
    else:
        why = "it was told and ends without sending" if told else "it no longer waits"
    err_console.print(
        f"edition {key}: the flow run {flow_run} waited for approval of other drafts "
        f"({', '.join(changed)} changed); {why}. Approve these drafts instead.",
        highlight=False,
    )
    return flow_run


def _languages(value: str | None, configured: list[str]) -> list[str]:
    if not value:
        return list(configured)
    langs = [p.strip() for p in value.split(",") if p.strip()]
    unknown = [lang for lang in langs if lang not in configured]
    if unknown:
        fail(
            f"--languages: {', '.join(unknown)} not configured (i18n.languages: "
            f"{', '.join(configured)})"
        )
    return langs


@edition_app.command("draft")
def draft_command(
    edition: str | None = typer.Option(
        None, "--edition", "-e",
        help="Edition key such as 2026-12 (default: this month's if its first Tuesday is today "
             "or later, else next month's).",
    ),
    languages: str | None = typer.Option(
        None, "--languages", "-l", help="Comma-separated languages (default: i18n.languages)."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default: out_dir)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    today: str | None = typer.Option(
        None, "--today", hidden=True, help="Pretend today is this ISO date (for the default key)."
    ),
) -> None:
    """Curate an edition from the store and render every language; exit 2 on any lint error."""
    from hrc_outreach.curate import default_edition_key
    from hrc_outreach.i18n.coverage import coverage

    cfg = settings()
    try:
        now = date.fromisoformat(today) if today else date.today()
    except ValueError:
        fail(f"--today {today!r} is not an ISO date (YYYY-MM-DD)")
        return
    key = edition or default_edition_key(now)
    langs = _languages(languages, list(cfg.i18n.languages))
    out_dir = out if out is not None else cfg.resolve(cfg.out_dir)
    result = _drafted(cfg, key, langs, out_dir)
    hashes = {lang: msg.content_hash() for lang, msg in result.messages.items()}
    for c in coverage(result.messages, cfg).values():
        if c.held_back:
            err_console.print(f"{c.lang} held back: {c.held_back}", highlight=False, markup=False)
    voided = _void(key, result.voided.flow_run, list(result.voided.changed)) if result.voided else None
    if result.after_send:
        from hrc_outreach.render.draft import AFTER_SEND
        from hrc_outreach.render.output import edition_dir

        err_console.print(
            f"edition {key} was sent already: this draft is in "
            f"{edition_dir(out_dir, key) / AFTER_SEND}; what was sent, its approval and its "
            f"published archive page are unchanged (`hrc-outreach edition report {key}`)",
            highlight=False, markup=False, soft_wrap=True,
        )
    if as_json:
        print_json(_draft_summary(key, result, hashes, voided))
    else:
        older = [] if result.after_send else _older_drafts(cfg, key, result)
        _print_drafts(
            key, result, hashes, approve_hint=out is None and not result.after_send and not older
        )
    if result.lint_errors:
        raise typer.Exit(2)


def _older_drafts(cfg: Settings, key: str, result: DraftResult) -> list[str]:
    """The languages drafted before this run and not by it (the store's drafts, which approval
    reads), named on stderr: an approval binds every drafted language, and theirs may show
    other items than this run's."""
    from hrc_outreach.render.output import load_drafts
    from hrc_outreach.store import open_store

    store = open_store(cfg)
    try:
        drafted = list(load_drafts(store, key))
    except OutreachError as exc:  # a draft changed by hand: approval says so in its own words
        err_console.print(f"{exc}", highlight=False, markup=False)
        drafted = []
    finally:
        store.dispose()
    older = sorted(lang for lang in drafted if lang not in result.messages)
    if older:
        err_console.print(
            f"older drafts of {key} beside this one: {', '.join(older)} (this run drafted "
            f"{', '.join(result.messages)}); an approval covers every drafted language and they "
            "may show other items. Draft them again "
            f"(`hrc-outreach edition draft -e {key} -l {','.join(older)}`, or without -l for "
            f"all), or review them as they are (`hrc-outreach edition approve {key} --show`)",
            highlight=False, markup=False, soft_wrap=True,
        )
    return older


def _drafted(cfg: Settings, key: str, langs: list[str], out_dir: Path) -> DraftResult:
    """The edition curated and rendered in every language; exits 1 on a store or drafting error."""
    from hrc_outreach.render.draft import draft_edition
    from hrc_outreach.store import open_store

    try:
        store = open_store(cfg)
    except OutreachError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    try:
        return draft_edition(cfg, store, key, langs, out_dir)
    except EmptyEditionError as exc:
        fail(str(exc), 1)
        raise  # unreachable: fail() exits
    except OutreachError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    finally:
        store.dispose()


def _draft_summary(
    key: str, result: DraftResult, hashes: dict[str, str], voided: str | None
) -> dict[str, Any]:
    """The drafts as `edition draft --json` prints them: per language, size, lint, hash and
    coverage (strings by provenance, the share translated, why it is held back)."""
    from hrc_outreach.i18n.coverage import coverage_of

    cfg = settings()
    return {
        "edition": key,
        "items": len(result.edition.items),
        "hashes": hashes,
        "voided_run": voided,
        "after_send": result.after_send,
        "languages": [
            {
                "lang": lang,
                "subject": msg.subject,
                "html_bytes": len(msg.html.encode("utf-8")),
                "lint": {"errors": msg.lint_errors, "warnings": msg.lint_warnings},
                "provenance": msg.provenance_counts,
                "untranslated": len(result.untranslated.get(lang, ())),
                "path": str(result.paths[lang]),
                "sha256": hashes[lang],
                "strings": coverage_of(msg, cfg).strings,
                "coverage": coverage_of(msg, cfg).share,
                "held_back": coverage_of(msg, cfg).held_back,
            }
            for lang, msg in result.messages.items()
        ],
    }


def _print_drafts(
    key: str, result: DraftResult, hashes: dict[str, str], *, approve_hint: bool
) -> None:
    """The drafts as a table, their lint errors, and the command that approves them."""
    from rich.markup import escape

    from hrc_outreach.i18n.coverage import coverage_of
    from hrc_outreach.pipeline import collapsed

    table = Table(title=f"Edition {key}: {len(result.edition.items)} items")
    for col in ("lang", "subject", "KB", "errors", "warnings", "translated", "path"):
        table.add_column(col)
    for lang, msg in result.messages.items():
        errors = f"[red]{msg.lint_errors}[/]" if msg.lint_errors else "0"
        cov = coverage_of(msg, settings())
        table.add_row(
            lang,
            msg.subject,
            f"{len(msg.html.encode()) / 1024:.1f}",
            errors,
            str(msg.lint_warnings),
            f"{cov.share:.0%}" + (" held back" if cov.held_back else ""),
            str(result.paths[lang]),
        )
    console.print(table)
    for msg in result.messages.values():
        console.print(coverage_of(msg, settings()).line(), highlight=False, markup=False)
    for lang, msg in result.messages.items():
        failing = [f"{f.rule}: {f.message}" for f in msg.lint if f.severity.value == "error"]
        for line in collapsed(failing):  # the same error on every item: once, with a count
            err_console.print(f"[red]lint error[/] {lang} {escape(line)}", highlight=False)
    # headlines made from the text: once per item, whatever the number of languages
    generated = {
        f.where: f.message
        for msg in result.messages.values()
        for f in msg.lint
        if f.rule == "generated-headline"
    }
    for message in generated.values():
        err_console.print(f"generated-headline: {message}", highlight=False, markup=False)
    if approve_hint:
        console.print(
            "after review, approve these drafts with: hrc-outreach edition approve "
            f"{key} --by NAME --hashes {format_hashes(hashes)}",
            highlight=False,
            soft_wrap=True,
        )
