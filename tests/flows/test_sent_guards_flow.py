"""Guards of the monthly flow (issue 13): an edition sent already (here by staff from a shell) ends
a scheduled or foreground run at once, with a clear message and no approval asked; a run drafted
for part of the configured languages never sends the source language to the others unless
``fallback_source`` says so."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.config import Settings
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import ApprovalRow

pytestmark = [pytest.mark.flow, pytest.mark.slow]

EDITION = "2026-12"


def _cli(config: str, *args: str) -> Any:
    return CliRunner().invoke(app, ["--config", config, *args])


def _run(timeout: float = 300, **kwargs: Any) -> tuple[str, str, dict[str, Any]]:
    """The monthly flow in the foreground; a run that waits for approval fails the test."""
    from flows.run import run_monthly

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["out"] = run_monthly(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the run waited (for approval?) instead of ending"
    assert "error" not in box, box.get("error")
    out: tuple[str, str, dict[str, Any]] = box["out"]
    return out


def _outbox(settings: Settings) -> dict[Path, int]:
    root = settings.resolve(settings.delivery.outbox_dir)
    return {p: p.stat().st_mtime_ns for p in root.rglob("*.eml")} if root.is_dir() else {}


def _approvals(settings: Settings) -> list[ApprovalRow]:
    store = open_store(settings)
    with store.session() as s:
        rows = list(s.scalars(select(ApprovalRow).where(ApprovalRow.edition_key == EDITION)))
    store.dispose()
    return rows


def test_a_run_of_an_edition_sent_from_the_shell_ends_at_once(demo: Settings) -> None:
    config = str(demo.config_path)
    assert _cli(config, "gather").exit_code in (0, 2)
    r = _cli(config, "edition", "draft", "-e", EDITION)
    assert r.exit_code == 0, r.output
    show = _cli(config, "edition", "approve", EDITION, "--show", "--json")
    hashes = json.loads(show.stdout)["hashes_arg"]
    r = _cli(config, "edition", "approve", EDITION, "--by", "Ana", "--hashes", hashes)
    assert r.exit_code == 0, r.output
    r = _cli(config, "edition", "send", EDITION)
    assert r.exit_code == 0, r.output
    sent = _outbox(demo)
    approvals = len(_approvals(demo))

    state, message, result = _run(edition=EDITION, config=config, gather=False)
    assert (state, result["status"], result["sent"]) == ("Cancelled", "refused", False)
    assert f"edition {EDITION} was sent" in message and "edition report" in message
    assert "Traceback" not in message
    assert _outbox(demo) == sent, "nothing written or rewritten"
    assert len(_approvals(demo)) == approvals, "no approval asked or recorded"


def test_a_run_for_part_of_the_languages_sends_no_source_language_to_the_others(
    demo: Settings,
) -> None:
    config = str(demo.config_path)
    state, message, result = _run(
        edition=EDITION, config=config, languages=["en", "fr"], auto_approve=True
    )
    assert (state, result["status"], result["sent"]) == ("Failed", "undrafted", False)
    assert "not drafted in" in message and "ar (" in message and "fallback_source" in message
    assert _outbox(demo) == {}
    assert _approvals(demo) == [], "refused before anyone is asked to approve"
    # status shows what the drafts give each language's readers (the run's Prefect API)
    r = _cli(config, "status", "--json")
    assert r.exit_code == 0, r.output
    coverage = json.loads(r.stdout)["coverage"][EDITION]
    assert set(coverage) == {"en", "fr"} and coverage["en"]["share"] == 1.0
    assert sum(coverage["fr"]["strings"].values()) > 0 and coverage["fr"]["held_back"] == ""

    state, message, result = _run(
        edition=EDITION,
        config=config,
        languages=["en", "fr"],
        auto_approve=True,
        gather=False,
        fallback_source=True,
    )
    assert (state, result["status"], result["sent"]) == ("Completed", "sent", True), message
    assert len(_outbox(demo)) == result["totals"]["accepted"] > 2
