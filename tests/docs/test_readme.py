"""The README documents every CLI command and every setting (as datasette does): adding one without
documenting it fails here."""

from __future__ import annotations

from typing import Any

import typer.main
from pydantic import BaseModel

from hrc_outreach.cli import app
from hrc_outreach.config import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(cmd: Any, prefix: str) -> list[str]:
    if getattr(cmd, "commands", None):  # a group (Typer vendors its own click)
        out = []
        for name, sub in cmd.commands.items():
            out += _commands(sub, f"{prefix} {name}")
        return out
    return [prefix]


def _settings(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        if name in {"config_path", "sources", "providers"}:  # the last two: tests below
            continue
        ann: Any = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _settings(ann, f"{prefix}{name}.")
        else:
            out.append(f"{prefix}{name}")
    return out


def test_every_cli_command_is_in_the_readme() -> None:
    commands = _commands(typer.main.get_command(app), "hrc-outreach")
    assert len(commands) > 15 and "hrc-outreach edition send" in commands
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"README.md does not document: {missing}"


def test_every_setting_is_in_the_readme() -> None:
    names = _settings(Settings)
    assert "store.url" in names
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"README.md does not document these settings: {missing}"


def test_every_source_kind_is_in_the_readme() -> None:
    from hrc_outreach.config import SourceKind

    missing = [k.value for k in SourceKind if f"`{k.value}`" not in README]
    assert not missing, f"README.md does not document source kinds: {missing}"


def test_every_provider_setting_is_in_the_readme() -> None:
    """Each provider's own ``[delivery.<name>]`` keys, declared by its module."""
    from hrc_outreach.deliver.providers import PROVIDERS, provider_class

    names = [
        f"delivery.{p}.{key}"
        for p in PROVIDERS
        for key in provider_class(p).settings_model.model_fields
    ]
    assert "delivery.smtp.host" in names
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"README.md does not document these provider settings: {missing}"
    rows = {p for p in PROVIDERS if f"| `{p}`" in README}
    assert rows == set(PROVIDERS), f"no row in the Delivery table for {set(PROVIDERS) - rows}"


def test_every_source_option_is_in_the_readme() -> None:
    """Each kind's own keys, declared by its module, in the kind's row of the Sources table."""
    from hrc_outreach.config import SourceKind
    from hrc_outreach.sources.registry import source_for

    missing = []
    for kind in SourceKind:
        row = next(line for line in README.splitlines() if line.startswith(f"| `{kind.value}` |"))
        for key in source_for(kind).options_model.model_fields:
            if key != "base_url" and f"`{key}`" not in row:
                missing.append(f"{kind.value}.{key}")
    assert not missing, f"README.md does not document these source options: {missing}"
