"""``hrc-outreach campaign validate|preview|approve|launch|report|list``: parse, call, print."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from hrc_outreach.cli.apps import app, console, err_console, print_json, settings

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
