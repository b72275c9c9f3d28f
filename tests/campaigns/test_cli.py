"""`hrc-outreach campaign ...` and `languages add` through the real Typer app (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from hrc_outreach.cli import app
from hrc_outreach.config import Settings
from hrc_outreach.paths import PROJECT_ROOT

CONFIG = str(PROJECT_ROOT / "outreach.toml")


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["--config", CONFIG, *args])


def test_preview_approve_launch_report(settings: Settings, campaign_dir: Path) -> None:
    d = str(campaign_dir)
    refused = _run("campaign", "approve", d, "--step", "announcement", "--by", "Ana")
    assert refused.exit_code == 1 and "never previewed" in refused.output
    assert _run("campaign", "preview", d, "--step", "announcement").exit_code == 0
    dry = _run("campaign", "launch", d, "--step", "announcement", "--dry-run", "--json")
    assert dry.exit_code == 0  # a dry run needs no approval
    assert json.loads(dry.stdout)["steps"][0]["dry_run"]["recipients"] == 5
    ok = _run("campaign", "approve", d, "--step", "announcement", "--by", "Ana", "--no-schedule")
    assert ok.exit_code == 0 and "approved by Ana" in ok.output
    sent = _run("campaign", "launch", d, "--step", "announcement", "--json")
    assert sent.exit_code == 0, sent.output
    data = json.loads(
        sent.stdout.split("\n", 1)[1] if not sent.stdout.startswith("{") else sent.stdout
    )
    assert data["steps"][0]["report"]["totals"]["accepted"] == 5
    report = _run("campaign", "report", d, "--json")
    steps = {s["step"]: s for s in json.loads(report.stdout)["steps"]}
    assert steps["announcement"]["decision"]["by"] == "Ana"
    assert steps["announcement"]["jobs"][0]["totals"]["accepted"] == 5
    nothing_due = _run("campaign", "launch", d)  # every step is in 2029: none is due
    assert nothing_due.exit_code == 0 and "no step is due" in nothing_due.output


def test_list(settings: Settings, campaign_dir: Path) -> None:
    out = _run("campaign", "list", "--dir", str(campaign_dir.parent), "--json")
    (row,) = json.loads(out.stdout)["campaigns"]
    assert row["name"] == "eu-elections" and row["problems"] == 0
    assert row["steps"] == ["announcement", "registration-reminder", "election-day"]


def test_languages_add_refuses_an_existing_catalog(settings: Settings) -> None:
    out = _run("languages", "add", "fa")
    assert out.exit_code == 1 and "exists already" in out.output
