"""The ``campaign`` flow (issue 14): the sample campaign launched step by step to the example
subscribers through the outbox, after approval; an unsubscriber between the steps gets only the
first; a relaunch sends nothing; a step scheduled on Prefect's scheduler and cancelled before its
time sends nothing, while one left scheduled is sent by a runner at its time."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import unsubscribe
from hrc_outreach.audience.importer import import_csv
from hrc_outreach.audience.tokens import make_token
from hrc_outreach.campaigns.steps import approve_step, draft_step
from hrc_outreach.config import Settings, load_settings
from hrc_outreach.paths import PROJECT_ROOT, SUBSCRIBERS_DIR
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import SubscriberRow

VOTERS = {
    "amira.haddad@example.org": "ar",
    "olena.kovalenko@example.net": "uk",
    "mehmet.yilmaz@example.org": "de",
    "fatima.zahra.benali@example.net": "fr",
    "ahmad.karimi@example.net": "fr",
}


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> Iterator[tuple[Settings, Path]]:
    directory = tmp_path / "campaigns" / "eu-elections"
    shutil.copytree(PROJECT_ROOT / "campaigns" / "eu-elections", directory)
    monkeypatch.setenv("HRC_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("HRC_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("HRC_DELIVERY__OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("HRC_DELIVERY__PROVIDER", "outbox")
    monkeypatch.setenv("HRC_TOKEN_SECRET", "campaign-flow-secret-0123456789abcdef")
    monkeypatch.setenv("HRC_CONFIG", str(PROJECT_ROOT / "outreach.toml"))
    settings = load_settings(PROJECT_ROOT / "outreach.toml")
    store = open_store(settings)
    with store.session() as s:
        import_csv(s, settings, SUBSCRIBERS_DIR / "example.csv", source="test")
    store.dispose()
    yield settings, directory


def _outbox(settings: Settings, step: str) -> dict[str, str]:
    from email import message_from_bytes

    root = settings.resolve(settings.delivery.outbox_dir) / f"campaign:eu-elections:{step}"
    out = {}
    for f in sorted(root.glob("*.eml")) if root.is_dir() else []:
        to = str(message_from_bytes(f.read_bytes())["To"])
        out[to.split("<")[-1].rstrip(">")] = f.name.split("-")[1].split("@")[0]  # de@DE: de
    return out


def _unsubscribe(settings: Settings, email: str) -> None:
    from hrc_outreach.audience.links import links_for

    store = open_store(settings)
    with store.session() as s:
        sid = s.scalar(select(SubscriberRow.id).where(SubscriberRow.email == email))
        assert sid is not None
        unsubscribe(s, settings, make_token(links_for(settings).secret, "unsubscribe", sid))
    store.dispose()


def test_steps_launched_by_the_flow(env: tuple[Settings, Path]) -> None:
    from flows.campaign import campaign

    settings, directory = env
    draft_step(settings, directory, "announcement")
    refused = campaign(campaign=str(directory), step="announcement")
    assert (
        "never approved" in refused["launched"][0]["error"]
        and _outbox(settings, "announcement") == {}
    )

    approve_step(settings, directory, "announcement", by="Ana")
    first = campaign(campaign=str(directory), step="announcement")
    assert first["launched"][0]["accepted"] == len(VOTERS)
    assert _outbox(settings, "announcement") == VOTERS

    _unsubscribe(settings, "mehmet.yilmaz@example.org")
    draft_step(settings, directory, "registration-reminder")
    approve_step(settings, directory, "registration-reminder", by="Ana")
    second = campaign(campaign=str(directory), step="registration-reminder")
    without = {k: v for k, v in VOTERS.items() if not k.startswith("mehmet")}
    assert _outbox(settings, "registration-reminder") == without
    assert second["launched"][0]["accepted"] == len(without)

    files = sorted((settings.resolve(settings.delivery.outbox_dir)).rglob("*.eml"))
    again = campaign(campaign=str(directory), step="announcement")
    assert again["launched"][0]["already"] is True
    assert sorted((settings.resolve(settings.delivery.outbox_dir)).rglob("*.eml")) == files
    assert [f.stat().st_mtime_ns for f in files] == [
        f.stat().st_mtime_ns
        for f in sorted(settings.resolve(settings.delivery.outbox_dir).rglob("*.eml"))
    ]
    # `all`: no step is due (they are in 2029); the approved future one cannot be scheduled
    # without the deployment here, which the run says, and it goes on
    everything = campaign(campaign=str(directory), step="all")
    assert everything["launched"] == []
    assert [(s["step"], "skipped" in s) for s in everything["scheduled"]] == [
        ("announcement", True),
        ("registration-reminder", True),
    ]


def _state(flow_run_id: str) -> str:
    from uuid import UUID

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
        return str(run.state.type.value) if run.state else "none"


def test_a_cancelled_scheduled_step_sends_nothing(env: tuple[Settings, Path]) -> None:
    from prefect.runner import Runner

    from flows.campaign import campaign
    from hrc_outreach.campaigns.schedule import cancel_run, schedule_step
    from hrc_outreach.campaigns.validate import load_campaign

    settings, directory = env
    spec = load_campaign(settings, directory)
    hashes = {}
    for step in ("registration-reminder", "election-day"):
        draft_step(settings, directory, step)
        hashes[step] = approve_step(settings, directory, step, by="Ana")
    runner = Runner(name="campaign-test", query_seconds=1, limit=2)
    runner.add_flow(campaign, name="campaign")
    soon = datetime.now(UTC) + timedelta(seconds=4)
    kept = schedule_step(spec, spec.step("registration-reminder"), str(directory),
                         hashes["registration-reminder"], at=soon)  # fmt: skip
    cancelled = schedule_step(spec, spec.step("election-day"), str(directory),
                              hashes["election-day"], at=soon)  # fmt: skip
    assert _state(kept["flow_run"]) == _state(cancelled["flow_run"]) == "SCHEDULED"
    # approving the same drafts again schedules nothing new (idempotency key)
    again = schedule_step(spec, spec.step("election-day"), str(directory),
                          hashes["election-day"], at=soon)  # fmt: skip
    assert again["flow_run"] == cancelled["flow_run"]
    assert cancel_run(cancelled["flow_run"]) == "CANCELLED"

    thread = threading.Thread(target=lambda: asyncio.run(runner.start()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and _state(kept["flow_run"]) not in (
            "COMPLETED",
            "FAILED",
            "CRASHED",
        ):
            time.sleep(1)
    finally:
        runner.stop()
        thread.join(timeout=20)
    assert _state(kept["flow_run"]) == "COMPLETED"
    assert len(_outbox(settings, "registration-reminder")) == len(VOTERS)
    assert _state(cancelled["flow_run"]) == "CANCELLED"
    assert _outbox(settings, "election-day") == {}
