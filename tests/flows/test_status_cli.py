"""`status` (issue 13) shows the monthly runs that matter — waiting, failed, rejected, sent —
before the future scheduled ones, however many a schedule queued, and reads the Prefect API the
shell is configured for (PREFECT_API_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytestmark = [pytest.mark.flow]
CLI = str(Path(sys.executable).parent / "hrc-outreach")


def _make_runs() -> None:
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled, Completed, Failed, Paused, Scheduled

    @flow(name="monthly-edition")
    def monthly_edition(edition: str | None = None) -> None:  # only its name matters
        return None

    now = datetime.now(UTC)
    runs = [
        ("2026-09", Completed(message="sent")),
        ("2026-10", Cancelled(message="edition 2026-10 rejected by Bo: wrong title; nothing sent")),
        ("2026-11", Failed(message="edition 2026-11: no decision within 7 days; nothing sent")),
        ("2026-12", Paused(pause_key="approval-2026-12-1")),
    ]
    runs += [  # a schedule's queue: more future runs than the list has room for
        (f"2027-{m:02d}", Scheduled(scheduled_time=now + timedelta(days=30 * m)))
        for m in range(1, 13)
    ]
    with get_client(sync_client=True) as client:
        for edition, state in runs:
            client.create_flow_run(
                monthly_edition, parameters={"edition": edition}, state=state, name=f"r-{edition}"
            )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HRC_CONFIG", raising=False)
    monkeypatch.setenv("HRC_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("HRC_TOKEN_SECRET", "status-test-secret-0123456789")
    return tmp_path


def test_status_puts_what_matters_before_the_schedule_queue(env: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    from hrc_outreach.cli import app

    _make_runs()
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # the harness is shared: other tests' monthly runs may be there too
    mine = {"2026-09", "2026-10", "2026-11", "2026-12", *(f"2027-{m:02d}" for m in range(1, 13))}
    monthly = [
        (m["kind"], m["edition"])
        for m in data["monthly"]
        if m["edition"] in mine and m["name"].startswith("r-")
    ]
    assert monthly[:4] == [
        ("waiting", "2026-12"), ("failed", "2026-11"), ("rejected", "2026-10"), ("sent", "2026-09"),
    ]  # fmt: skip
    assert monthly[4:] == [
        ("scheduled", "2027-01"),
        ("scheduled", "2027-02"),
        ("scheduled", "2027-03"),
    ]
    assert data["prefect_api"] == str(PREFECT_API_URL.value())

    text = CliRunner().invoke(app, ["status"]).stdout
    assert text.index("2026-12") < text.index("2026-09") < text.index("2027-01")
    assert "2027-04" not in text

    # another shell, configured by PREFECT_API_URL alone, reads the same API
    proc = subprocess.run(
        [CLI, "status", "--json"],
        env={**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())},
        cwd=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    again = json.loads(proc.stdout)["monthly"]
    assert [m["edition"] for m in again if m["name"].startswith("r-")][:1] == ["2026-12"]


def test_an_unreachable_prefect_api_is_named(env: Path) -> None:
    proc = subprocess.run(
        [CLI, "status"],
        env={**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"},
        cwd=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "could not read the Prefect API at http://127.0.0.1:9/api" in " ".join(
        proc.stderr.split()
    )
    assert "Traceback" not in proc.stderr
