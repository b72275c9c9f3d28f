"""``hrc-outreach campaign validate|preview|approve|launch|report|list``: parse, call, print."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from hrc_outreach.cli.apps import app, console, err_console, fail, print_json, settings
from hrc_outreach.errors import OutreachError

campaign_app = typer.Typer(
    help="Campaigns launched by hand: validate, preview, approve, launch, report.",
    no_args_is_help=True,
)
app.add_typer(campaign_app, name="campaign")

DIR = typer.Argument(..., help="The campaign's folder (holding campaign.yaml).")


@campaign_app.command("validate")
def validate_cmd(
    directory: Path = DIR,
    as_json: bool = typer.Option(False, "--json", help='Print {"problems": [...]} as JSON.'),
) -> None:
    """Check a campaign; every problem with its place (file:line key.path). Exit 1 on any."""
    from hrc_outreach.campaigns.validate import validate_campaign

    problems = validate_campaign(settings(), directory)
    if as_json:
        print_json({"problems": [p.as_json() for p in problems]})
    else:
        for p in problems:
            err_console.print(f"[red]{escape(p.where)}[/]: {escape(p.message)}", highlight=False)
        if not problems:
            console.print(f"{directory}: no problems", highlight=False)
    if problems:
        raise typer.Exit(1)


def _directory(directory: Path) -> Path:
    if not (directory / "campaign.yaml").is_file():
        fail(f"{directory} holds no campaign.yaml (a campaign is a folder campaigns/<name>/)")
    return directory


@campaign_app.command("preview")
def preview_cmd(
    directory: Path = DIR,
    step: list[str] = typer.Option(None, "--step", help="Only this step (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the drafts as JSON."),
) -> None:
    """Render every step (or --step) in every campaign language; store the drafts to approve and
    write a copy under out/campaigns/<name>/<step>/. Exit 2 on any lint error."""
    from hrc_outreach.approval import format_hashes
    from hrc_outreach.campaigns.steps import draft_step
    from hrc_outreach.campaigns.validate import load_campaign

    cfg = settings()
    _directory(directory)
    try:
        names = step or [s.name for s in load_campaign(cfg, directory).steps]
        drafts = [draft_step(cfg, directory, name) for name in names]
    except OutreachError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json({"steps": [d.model_dump(mode="json") for d in drafts]})
    else:
        for d in drafts:
            table = Table(title=f"{d.step} — {d.send_at:%Y-%m-%d %H:%M %Z} — {d.out_dir}")
            for col in ("language", "subject", "lint errors", "sha256"):
                table.add_column(col)
            for lang, subject in d.subjects.items():
                n = len(d.lint_errors.get(lang, []))
                table.add_row(lang, subject, str(n), d.hashes[lang][:12])
            console.print(table)
            for lang, errs in d.lint_errors.items():
                for e in errs:
                    err_console.print(f"[red]lint[/] {d.step}/{lang}: {escape(e)}", highlight=False)
            console.print(
                f"approve: hrc-outreach campaign approve {directory} --step {d.step} --by NAME"
                f"  (hashes {format_hashes(d.hashes)})",
                highlight=False,
                soft_wrap=True,
            )
    if any(d.errors for d in drafts):
        raise typer.Exit(2)


@campaign_app.command("approve")
def approve_cmd(
    directory: Path = DIR,
    step: str = typer.Option(..., "--step", help="The step to decide on."),
    by: str = typer.Option(..., "--by", help="Your name (recorded with the decision)."),
    reject: bool = typer.Option(False, "--reject", help="Reject instead of approving."),
    notes: str = typer.Option("", "--notes", help="What to change (with --reject)."),
    schedule: bool | None = typer.Option(
        None,
        "--schedule/--no-schedule",
        help="Schedule a future step as a run of the `campaign` deployment at its send time "
        "(default: when PREFECT_API_URL is set).",
    ),
) -> None:
    """Approve (or reject) the step's drafts as previewed; refused when the files changed since.
    A future step is then scheduled on Prefect at its send time (cancel that run to stop it)."""
    import os

    from hrc_outreach.approval import format_hashes
    from hrc_outreach.campaigns.steps import approve_step
    from hrc_outreach.campaigns.validate import load_campaign

    cfg = settings()
    _directory(directory)
    try:
        hashes = approve_step(cfg, directory, step, by=by, reject=reject, notes=notes)
    except OutreachError as exc:
        fail(str(exc))
        return
    verb = "rejected" if reject else "approved"
    console.print(f"{step}: {verb} by {by.strip()} ({format_hashes(hashes)})", highlight=False)
    if reject or not (
        schedule if schedule is not None else bool(os.environ.get("PREFECT_API_URL"))
    ):
        return
    from hrc_outreach.campaigns.schedule import schedule_step

    spec = load_campaign(cfg, directory)
    try:
        done = schedule_step(spec, spec.step(step), str(directory.resolve()), hashes)
    except Exception as exc:  # noqa: BLE001 - Prefect unreachable or not deployed: say so, go on
        err_console.print(
            f"[yellow]{step}: not scheduled[/] ({escape(str(exc))}); deploy the `campaign` "
            f"flow (`hrc-outreach deploy`) or launch it at its time with `campaign launch`",
            highlight=False,
        )
        return
    if "flow_run" in done:
        console.print(f"{step}: scheduled for {done['at']} (flow run {done['flow_run']})")
    else:
        console.print(f"{step}: not scheduled: {done['skipped']}", highlight=False)


@campaign_app.command("launch")
def launch_cmd(
    directory: Path = DIR,
    step: list[str] = typer.Option(
        None, "--step", help="Launch this step now (repeatable); default: every step that is due."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count who would get it; send nothing."),
    provider: str | None = typer.Option(None, "--provider", help="Default: delivery.provider."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Send approved steps now; a step already sent sends nobody again. Exit 1 if any refused."""
    from hrc_outreach.campaigns.steps import due_steps, launch_step
    from hrc_outreach.campaigns.validate import load_campaign

    cfg = settings()
    _directory(directory)
    try:
        names = step or [s.name for s in due_steps(load_campaign(cfg, directory))]
    except OutreachError as exc:
        fail(str(exc))
        return
    results: list[dict[str, object]] = []
    failed = False
    for name in names:
        try:
            out = launch_step(cfg, directory, name, provider=provider, dry_run=dry_run)
        except OutreachError as exc:
            failed = True
            results.append({"step": name, "error": str(exc)})
            err_console.print(f"[red]{name}[/]: {escape(str(exc))}", highlight=False)
            continue
        data = out.model_dump(mode="json", exclude={"report"})
        if out.report is not None:
            data["report"] = out.report.as_json()
        results.append(data)
        if as_json:
            continue
        if out.report is not None:
            t = out.report.totals
            console.print(
                f"{name}: job {out.job_id} via {out.provider}: {t.accepted} accepted, "
                f"{t.failed} failed, {t.in_doubt} in doubt"
                + (" (launched before: nobody new)" if out.already else ""),
                highlight=False,
            )
        elif out.dry_run is not None:
            console.print(
                f"{name}: dry run: {out.dry_run['recipients']} recipient(s) "
                + (
                    "(already launched: nobody new)"
                    if out.already
                    else str(out.dry_run["per_language"])
                ),
                highlight=False,
            )
    if not names and not as_json:
        console.print("no step is due; launch one now with --step NAME", highlight=False)
    if as_json:
        print_json({"steps": results})
    if failed:
        raise typer.Exit(1)


@campaign_app.command("report")
def report_cmd(
    directory: Path = DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Per step: its send time, the latest decision, and who got it (per language)."""
    from hrc_outreach.campaigns.steps import step_reports

    cfg = settings()
    _directory(directory)
    try:
        data = step_reports(cfg, directory)
    except OutreachError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json(data)
        return
    table = Table(title=f"{data['campaign']}: {data['title']}")
    for col in ("step", "send at", "decision", "accepted", "failed", "in doubt", "pending"):
        table.add_column(col)
    for s in data["steps"]:
        d = s["decision"]
        totals = s["jobs"][0]["totals"] if s["jobs"] else {}
        table.add_row(
            s["step"], s["send_at"], f"{d['decision']} by {d['by']}" if d else "—",
            *(str(totals.get(k, "—")) for k in ("accepted", "failed", "in_doubt", "pending")),
        )  # fmt: skip
    console.print(table)


@campaign_app.command("list")
def list_cmd(
    root: Path = typer.Option(Path("campaigns"), "--dir", help="Where campaign folders are."),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """The campaigns under ./campaigns: name, title, reference day, steps, problems."""
    from hrc_outreach.campaigns.steps import campaign_list

    cfg = settings()
    rows = campaign_list(cfg, cfg.resolve(root) if not root.is_absolute() else root)
    if as_json:
        print_json({"campaigns": rows})
        return
    table = Table()
    for col in ("folder", "name", "title", "date", "steps", "problems"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["folder"], r["name"], r["title"], r["date"], ", ".join(r["steps"]), str(r["problems"])
        )
    console.print(table)


languages_app = typer.Typer(
    help="Template chrome languages (gettext catalogs), e.g. for a campaign.", no_args_is_help=True
)
app.add_typer(languages_app, name="languages")


@languages_app.command("add")
def languages_add_cmd(
    lang: str = typer.Argument(..., help="A CLDR language code: fa, tr, pt_PT."),
) -> None:
    """Create templates/locales/LANG/LC_MESSAGES/messages.po from messages.pot, every string
    empty for a translator; say which strings campaigns need first."""
    from hrc_outreach.campaigns.catalogs import add_language, missing_campaign_strings

    try:
        path, todo = add_language(lang)
    except OutreachError as exc:
        fail(str(exc))
        return
    needed = missing_campaign_strings(lang)
    console.print(
        f"created {path}: {todo} string(s) need a translator (empty); campaigns need "
        f"{len(needed)} of them first: {', '.join(n.rsplit(': ', 1)[0] for n in needed)}. "
        "Translate them (Poedit, Weblate), then `make catalogs` checks the catalog",
        highlight=False,
        soft_wrap=True,
    )
