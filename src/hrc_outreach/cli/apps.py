"""The Typer apps every command module registers on, and the shared --config handling."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.errors import OutreachError

app = typer.Typer(
    name="hrc-outreach",
    help="Newsletter and outreach automation for the Human Rights Cities Network.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
edition_app = typer.Typer(help="Draft, approve, send and report on newsletter editions.", no_args_is_help=True)
subscribers_app = typer.Typer(help="Import, export and erase subscribers.", no_args_is_help=True)
translations_app = typer.Typer(help="Export and import translations for human review (PO files).", no_args_is_help=True)
run_app = typer.Typer(help="Run flows in the foreground.", no_args_is_help=True)

app.add_typer(edition_app, name="edition")
app.add_typer(subscribers_app, name="subscribers")
app.add_typer(translations_app, name="translations")
app.add_typer(run_app, name="run")

console = Console()
err_console = Console(stderr=True)

_state: dict[str, Any] = {"config": None}


@app.callback()
def main(
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="HRC_CONFIG", help="Configuration file (default ./outreach.toml)."
    ),
) -> None:
    """Newsletter and outreach automation for the Human Rights Cities Network."""
    _state["config"] = config
    _state.pop("settings", None)


def settings() -> Settings:
    """The settings for this invocation (read once)."""
    if "settings" not in _state:
        # the tables the higher layers own (a provider's settings, a source kind's options) are
        # checked here, at once, as flows and the web app check them when they start
        from hrc_outreach.pipeline import check_config

        try:
            loaded = check_config(load_settings(_state.get("config")))
            _state["settings"] = loaded
        except OutreachError as exc:
            fail(str(exc))
        if _state["settings"].config_path is None:
            note = _defaults_note(_state["settings"])
            err_console.print(note, highlight=False, markup=False, soft_wrap=True)
    return _state["settings"]  # type: ignore[no-any-return]


def _defaults_note(st: Settings) -> str:
    """What a command without a configuration file uses (it would otherwise make an empty store
    in whatever folder it was run from, without a word)."""
    from hrc_outreach.config import DEFAULT_CONFIG_NAME

    sources = ", ".join(s.name for s in st.sources) or "none"
    return (
        f"note: no {DEFAULT_CONFIG_NAME} in {Path.cwd()} (and no --config or HRC_CONFIG): using "
        f"the built-in defaults and HRC_* variables: store {st.database_url}, out folder "
        f"{st.resolve(st.out_dir)}, provider {st.delivery.provider}, languages "
        f"{', '.join(st.i18n.languages)}, sources: {sources}. Run it from the folder with "
        f"{DEFAULT_CONFIG_NAME} or pass --config FILE."
    )


def fail(message: str, code: int = 1) -> None:
    """Print an error for a person and exit with ``code``."""
    # escaped: messages name TOML tables such as [delivery.smtp], which Rich would take as markup
    # soft_wrap: never broken at the terminal's width (a path or a command cut in two cannot be copied)
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """One JSON document on stdout (no Rich markup)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
