"""Help texts show their defaults (issue 13): every option with a value by default says it in
`--help` (typer's `[default: …]`), and one whose default is computed says what it is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import typer.main
from typer.testing import CliRunner

from hrc_outreach.cli import app


def _commands(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])
    else:
        yield path, command


def test_every_option_with_a_default_shows_it() -> None:
    hidden = [
        f"{' '.join(path)} {p.opts[0]}"
        for path, command in _commands(typer.main.get_command(app), [])
        for p in command.params
        if type(p).__name__.endswith("Option")
        and not p.is_flag
        and p.default not in (None, "", [], ())
        and p.show_default is False
    ]
    assert hidden == []


def _help(*args: str) -> str:
    """The --help text, box drawing taken out and lines joined (Rich wraps to the terminal)."""
    text = CliRunner().invoke(app, [*args, "--help"], terminal_width=200).output
    return " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


def test_help_prints_them() -> None:
    assert "[default: 100]" in _help("subscribers", "list")
    out = _help("serve")
    assert "[default: 8000]" in out and "[default: 127.0.0.1]" in out
    out = _help("subscribers", "add")
    assert "default: the source language" in out and "default: $USER" in out
