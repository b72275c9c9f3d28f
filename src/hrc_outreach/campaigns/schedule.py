"""Talking to Prefect for campaigns: each approved future step becomes a flow run of the
``campaign/campaign`` deployment, scheduled at the step's send time (Prefect's scheduler holds it;
no process sleeps). Cancelling that run before its time (Prefect UI, `prefect flow-run cancel`)
sends nothing. The only module of ``campaigns`` that imports Prefect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hrc_outreach.campaigns.model import Campaign, Step

DEPLOYMENT = "campaign/campaign"  # flow name / deployment name (flows/deploy.py, prefect.yaml)


class Scheduled(dict[str, Any]):
    """What scheduling one step did: ``{"step", "flow_run", "at"}`` or ``{"step", "skipped"}``."""


def schedule_step(
    campaign: Campaign,
    step: Step,
    directory: str,
    hashes: dict[str, str],
    *,
    at: datetime | None = None,
    now: datetime | None = None,
    config: str | None = None,
) -> Scheduled:
    """Create the step's scheduled flow run (once per approved content: the idempotency key is
    the step and its hashes, so approving the same drafts again adds no second run). ``at``
    overrides the send time (tests). A step whose time has passed is not scheduled (launch it)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled as ScheduledState

    when = at or step.send_time(campaign.date, campaign.zone)
    if when <= (now or datetime.now(UTC)):
        return Scheduled(step=step.name, skipped="its send time has passed: launch it by hand")
    key = (
        campaign.key(step.name) + ":" + ",".join(f"{k}={v[:12]}" for k, v in sorted(hashes.items()))
    )
    params: dict[str, Any] = {"campaign": directory, "step": step.name, "dry_run": False}
    if config:
        params["config"] = config
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
        run = client.create_flow_run_from_deployment(
            deployment.id,
            parameters=params,
            state=ScheduledState(scheduled_time=when),
            idempotency_key=key,
            tags=["hrc-outreach", "campaign", campaign.name],
        )
    return Scheduled(step=step.name, flow_run=str(run.id), at=when.isoformat())


def cancel_run(flow_run_id: str) -> str:
    """Cancel a scheduled step's flow run (what the Prefect UI's Cancel does): its new state."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.states import Cancelled

    with get_client(sync_client=True) as client:
        result: Any = client.set_flow_run_state(UUID(flow_run_id), Cancelled(), force=True)
        return str(result.state.type.value if result.state else "unknown")
