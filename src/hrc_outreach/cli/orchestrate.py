"""`run monthly | preview | suppressions`, `status`, `deploy`: the Prefect flows from a shell."""

from __future__ import annotations

import os
from typing import Any

import typer
from rich.table import Table

from hrc_outreach.cli.apps import app, console, err_console, fail, print_json, run_app, settings
from hrc_outreach.errors import OutreachError


def _config_arg() -> str | None:
    st = settings()
    return str(st.config_path) if st.config_path else None


def _prefect_env() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "hrc_outreach")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _flows_runner(*args: str) -> int:
    """Start ``python -m flows.run ARGS`` in the project (the library never imports ``flows/``);
    its exit status."""
    import subprocess
    import sys

    from hrc_outreach.paths import PROJECT_ROOT

    if not (PROJECT_ROOT / "flows" / "run.py").is_file():
        fail(
            f"the flows are not here ({PROJECT_ROOT / 'flows'}): run this from a checkout of "
            "the project, or start the deployments by name (`prefect deployment run ...`)"
        )
    config = _config_arg()
    cmd = [sys.executable, "-m", "flows.run", *args, *(["--config", config] if config else [])]
    try:
        return subprocess.call(cmd, cwd=PROJECT_ROOT, env={**os.environ})
    except KeyboardInterrupt:
        return 130


@run_app.command("monthly")
def run_monthly(
    edition: str | None = typer.Option(
        None, "--edition", help="Edition key (default: the next one)."
    ),
    languages: str | None = typer.Option(
        None, "--languages", help="Comma-separated (default: all)."
    ),
    no_gather: bool = typer.Option(
        False, "--no-gather", help="Skip gathering; use the store as is."
    ),
    auto_approve: bool = typer.Option(
        False,
        "--auto-approve",
        help="Demo only: approve automatically (refused unless the provider is the outbox).",
    ),
    fallback_source: bool = typer.Option(
        False,
        "--fallback-source",
        help="With --languages: subscribers of the other languages get the source-language "
        "edition (without it the run ends before approval).",
    ),
) -> None:
    """Run the monthly edition in the foreground; it waits for approval unless --auto-approve.

    With no deployment behind it, the run waits in this process (keep it running until someone
    approves); deployed runs (`hrc-outreach deploy`, workers) wait without a process.
    """
    _prefect_env()
    st = settings()
    if auto_approve and st.delivery.provider != "outbox":
        fail(
            f"--auto-approve is refused with the {st.delivery.provider!r} provider: a person approves "
            "real sends (`hrc-outreach edition approve KEY --by NAME`)"
        )
    err_console.print(
        "running the monthly edition; when it waits for approval, approve from "
        "another shell with `hrc-outreach edition approve KEY --by NAME`"
    )
    args = [
        "monthly",
        *(["--edition", edition] if edition else []),
        *(["--languages", languages] if languages else []),
        *(["--no-gather"] if no_gather else []),
        *(["--auto-approve"] if auto_approve else []),
        *(["--fallback-source"] if fallback_source else []),
    ]
    code = _flows_runner(*args)
    if code:
        raise typer.Exit(1)


@run_app.command("preview")
def run_preview(
    edition: str | None = typer.Option(
        None, "--edition", help="Edition key (default: the next one)."
    ),
) -> None:
    """Render the drafts of an edition and publish the preview artifact; sends nothing."""
    _prefect_env()
    code = _flows_runner("preview", *(["--edition", edition] if edition else []))
    if code:
        raise typer.Exit(1)


@run_app.command("suppressions")
def run_suppressions() -> None:
    """Pull bounces, complaints and unsubscribes from the provider now."""
    from hrc_outreach.pipeline import sync_suppressions

    try:
        result = sync_suppressions(settings())
    except OutreachError as exc:
        fail(str(exc))
    console.print(
        f"{result['events']} events from {result['provider']}; "
        f"{result['suppressed']} newly suppressed",
        highlight=False,
    )


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The monthly runs that matter (waiting, running, failed, rejected, sent) before the next
    scheduled ones, the edition waiting for approval and where its previews are, then the other
    flows' last runs; read from the Prefect API this shell is configured for (PREFECT_API_URL)."""
    _prefect_env()
    st = settings()
    api, monthly, runs, waiting = _from_prefect()
    out_dir = st.resolve(st.out_dir) / "editions"
    data: dict[str, Any] = {
        "prefect_api": api,
        "monthly": [m.__dict__ for m in monthly],
        "runs": [r.__dict__ for r in runs],
        "waiting": [
            {**w.__dict__, "previews": str(out_dir / w.edition) if w.edition else None}
            for w in waiting
        ],
    }
    from hrc_outreach.pipeline import drafts_coverage

    covered = drafts_coverage(st, [w.edition for w in waiting if w.edition])
    data["coverage"] = {
        key: {lang: c.model_dump() for lang, c in langs.items()} for key, langs in covered.items()
    }
    if as_json:
        print_json(data)
        return
    console.print(f"Prefect API: {api}", highlight=False, markup=False)
    _print_monthly(monthly)
    _print_runs(runs)
    if not waiting:
        console.print("no edition is waiting for approval")
    for w in waiting:
        console.print(
            f"edition {w.edition} waits for approval (run {w.name}); previews in "
            f"{out_dir / (w.edition or '')}; approve with "
            f"`hrc-outreach edition approve {w.edition} --by NAME`",
            highlight=False,
        )
    for key, langs in covered.items():  # what readers of each language get in their language
        console.print(f"edition {key}, translation coverage:", highlight=False)
        for c in langs.values():
            console.print(f"  {c.line()}", highlight=False, markup=False)


def _from_prefect() -> tuple[str, list[Any], list[Any], list[Any]]:
    """The Prefect API read, the monthly runs, the other flows' last runs (not the scheduled
    ones) and the runs waiting for approval; an unreachable API ends the command, naming it."""
    from hrc_outreach.workflow import (
        MONTHLY_FLOW_NAME,
        monthly_runs,
        prefect_api,
        recent_runs,
        waiting_runs,
    )

    api = prefect_api()
    try:
        monthly = monthly_runs()
        others = [r for r in recent_runs(limit=30) if r.flow != MONTHLY_FLOW_NAME]
        waiting = waiting_runs()
    except Exception as exc:  # noqa: BLE001 - Prefect unreachable is a message, not a trace
        fail(
            f"could not read the Prefect API at {api} ({type(exc).__name__}: {exc}); is the "
            "server running there? Set PREFECT_API_URL to the API the deployments use"
        )
    return api, monthly, [r for r in others if r.state != "Scheduled"][:10], waiting


def _print_runs(runs: list[Any]) -> None:
    t = Table(title="last runs of the other flows")
    for col in ("flow", "run", "state", "started", "edition"):
        t.add_column(col)
    for r in runs:
        t.add_row(
            r.flow,
            r.name,
            r.state,
            f"{r.started:%Y-%m-%d %H:%M}" if r.started else "",
            r.edition or "",
        )
    console.print(t)


def _print_monthly(monthly: list[Any]) -> None:
    """The monthly runs, what needs a person first (see ``workflow.MONTHLY_KINDS``)."""
    if not monthly:
        console.print("no monthly-edition runs in this Prefect API", highlight=False)
        return
    t = Table(title="monthly edition runs")
    for col in ("", "edition", "run", "state", "when", "note"):
        t.add_column(col)
    for m in monthly:
        t.add_row(
            m.kind,
            m.edition or "",
            m.name,
            m.state,
            f"{m.when:%Y-%m-%d %H:%M}" if m.when else "",
            m.message[:80],
        )
    console.print(t)


@app.command("deploy")
def deploy() -> None:
    """Serve every deployment with its schedule (Europe/Brussels) until interrupted."""
    _prefect_env()
    raise typer.Exit(_flows_runner("deploy"))
