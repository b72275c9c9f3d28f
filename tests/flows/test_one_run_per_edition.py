"""One monthly run per edition, and no decision dropped: a second run for an edition a run waits
on ends at once; a decision given to a run that can no longer take it is recorded and the run
reported lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.pipeline import waiting_flow_run
from tests.flows.test_monthly import (
    EDITION,
    _approvals,
    _cli,
    _flat,
    _outbox,
    _paused,
    _run_in_thread,
    _shown,
    _wait_until,
)

pytestmark = [pytest.mark.flow, pytest.mark.slow]


def test_a_second_run_of_an_edition_a_run_waits_on_ends_at_once(demo: Settings) -> None:
    from prefect.client.orchestration import get_client

    from flows.run import run_monthly
    from hrc_outreach.workflow import answer_waiting_run, waiting_runs

    config = str(demo.config_path)
    thread, box = _run_in_thread(
        edition=EDITION, config=config, languages=["en"], fallback_source=True
    )
    _wait_until(lambda: _paused(EDITION), "the approval pause", box)
    first = waiting_flow_run(demo, EDITION)
    state, message, result = run_monthly(
        edition=EDITION, config=config, languages=["en"], gather=False, fallback_source=True
    )
    assert (state, result["status"], result["sent"]) == ("Cancelled", "refused", False)
    assert f"already has a monthly run waiting for approval (flow run {first}" in message
    assert [str(r.id) for r in waiting_runs(EDITION)] == [first], "no second approval asked"
    assert waiting_flow_run(demo, EDITION) == first, "the first run still waits"
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(limit=200)
    refused = [
        r
        for r in runs
        if str(r.id) != first
        and r.state is not None
        and r.state.name == "Cancelled"
        and "already has a monthly run waiting" in (r.state.message or "")
    ]
    assert refused, "the second run ends Cancelled, saying why"
    assert first is not None
    answer_waiting_run(first, approve=False, reviewer="Bo", notes="not this month")
    thread.join(timeout=300)
    assert box["result"]["status"] == "rejected" and _outbox(demo) == {}


def _paused_run_without_a_process() -> str:
    """A flow run paused in-process whose process is gone (as after a SIGKILL): Prefect still
    says Paused, nobody polls it."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Paused

    @flow(name="monthly-edition")
    def placeholder() -> None:  # pragma: no cover - never run
        return None

    with get_client(sync_client=True) as client:
        run = client.create_flow_run(placeholder, tags=[f"edition:{EDITION}"])
        client.set_flow_run_state(run.id, Paused(timeout_seconds=3600, pause_key="x"), force=True)
    return str(run.id)


def _record_waiting(settings: Settings, run_id: str) -> None:
    from hrc_outreach.pipeline import claim_waiting

    assert claim_waiting(settings, EDITION, run_id) is None


@pytest.mark.parametrize("how", ["killed", "unknown"])
def test_a_decision_given_to_a_lost_run_is_recorded_and_the_run_reported_lost(
    demo: Settings,
    how: str,
) -> None:
    from prefect.client.orchestration import get_client

    from hrc_outreach.sources.gather import gather_sync
    from hrc_outreach.store import open_store

    config = str(demo.config_path)
    store = open_store(demo)
    gather_sync(demo, store)
    store.dispose()
    r = _cli(config, "edition", "draft", "--edition", EDITION, "--languages", "en")
    assert r.exit_code == 0, r.output
    run_id = _paused_run_without_a_process() if how == "killed" else str(uuid.uuid4())
    _record_waiting(demo, run_id)
    r = _cli(config, "edition", "approve", EDITION, "--by", "Ana", "--hashes", _shown(config))
    assert r.exit_code == 0, r.output
    said = _flat(r.stderr)
    assert "is lost" in said and "The decision is recorded here" in said, said
    assert f"hrc-outreach edition send {EDITION}" in said
    assert "handed to" not in r.stdout
    rows: list[Any] = _approvals(demo)
    assert [(x.decision, x.by, x.method) for x in rows] == [("approved", "Ana", "cli")]
    assert waiting_flow_run(demo, EDITION) is None, "the lost run no longer counts as waiting"
    if how == "killed":
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(uuid.UUID(run_id)).state
        assert state is not None and state.name == "Crashed", state
    # and the recorded approval sends (English to every subscriber: only en was drafted)
    r = _cli(config, "edition", "send", EDITION, "--fallback-source")
    assert r.exit_code == 0, r.output
    assert len(_outbox(demo)) > 5
