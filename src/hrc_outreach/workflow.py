"""The staff workflow's link to Prefect: the approval form, and resuming a waiting flow run.

This is the one library module (with ``secret_store.py``) that talks to Prefect: the CLI's
``edition approve`` and the web previews call :func:`resume_waiting_run`, the same function the
flow tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from prefect.input import RunInput
from pydantic import Field

APPROVAL_KEY = "edition-approval"
MONTHLY_FLOW_NAME = "monthly-edition"


class ApprovalForm(RunInput):
    """What a reviewer answers. The defaults mean "not approved": resuming with no input sends nothing.

    ``hashes`` are the content hashes of the drafts the reviewer was shown (language -> sha256, or
    its first 12 characters); the flow approves only when they are those of the drafts it sends.
    """

    approve: bool = False
    reviewer: str = Field(default="", description="Your name (required to approve).")
    notes: str = ""
    drop_items: list[str] = []
    hashes: dict[str, str] = Field(
        default_factory=dict,
        description="The content hashes of the drafts you reviewed (language -> hash); leave "
        "them as shown.",
    )


def approval_form(hashes: dict[str, str], description: str) -> type[ApprovalForm]:
    """The form of one pause, filled in with the hashes of the drafts that pause shows."""
    return ApprovalForm.with_initial_data(description=description, hashes=dict(hashes))


@dataclass(frozen=True)
class WaitingRun:
    id: UUID
    name: str
    edition: str | None
    since: datetime | None


def waiting_runs(edition_key: str | None = None) -> list[WaitingRun]:
    """Flow runs paused for approval, optionally only those of one edition."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    flt = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    )
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=flt)
    out = []
    for run in runs:
        edition = (run.parameters or {}).get("edition") or (run.tags and _tag_edition(run.tags))
        if edition_key is not None and edition != edition_key:
            continue
        since = run.state.timestamp if run.state else None
        out.append(WaitingRun(id=run.id, name=run.name, edition=edition or None, since=since))
    return out


def _tag_edition(tags: list[str]) -> str | None:
    for t in tags:
        if t.startswith("edition:"):
            return t.split(":", 1)[1]
    return None


def resume_waiting_run(
    edition_key: str, *, approve: bool, reviewer: str, notes: str = "",
    drop_items: list[str] | None = None, hashes: dict[str, str] | None = None,
) -> WaitingRun | None:
    """Answer the approval form of the run waiting on ``edition_key``; None when no run waits.

    ``hashes``: those of the drafts the reviewer was shown; an approval without them is refused
    by the flow.
    """
    from prefect.flow_runs import resume_flow_run

    runs = waiting_runs(edition_key)
    if not runs:
        return None
    form: dict[str, Any] = ApprovalForm(
        approve=approve, reviewer=reviewer, notes=notes, drop_items=list(drop_items or []),
        hashes=dict(hashes or {}),
    ).model_dump()
    resume_flow_run(runs[0].id, run_input=form)
    return runs[0]


def void_waiting_run(flow_run_id: str, edition_key: str, changed: list[str]) -> bool:
    """Tell the run waiting on ``edition_key`` that its drafts were replaced: it is resumed without
    approval, sees the change and ends sending nothing. False when it no longer waits."""
    from prefect.exceptions import FlowPauseTimeout, NotPausedError, ObjectNotFound
    from prefect.flow_runs import resume_flow_run

    form = ApprovalForm(
        notes=f"voided: edition {edition_key} was drafted again while this run waited "
        f"(changed: {', '.join(changed)})"
    ).model_dump()
    try:
        resume_flow_run(UUID(str(flow_run_id)), run_input=form)
    except (NotPausedError, FlowPauseTimeout, ObjectNotFound):
        return False
    return True


def tag_current_run(flow_run_id: str | None, edition_key: str) -> None:
    """Tag the running flow run with its edition, so `edition approve KEY` finds it."""
    if not flow_run_id:
        return
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(str(flow_run_id)))
        tags = sorted({*(run.tags or []), f"edition:{edition_key}"})
        client.update_flow_run(UUID(str(flow_run_id)), tags=tags)


@dataclass(frozen=True)
class RunInfo:
    flow: str
    name: str
    state: str
    started: datetime | None
    edition: str | None


def recent_runs(limit: int = 10) -> list[RunInfo]:
    """The newest flow runs of every flow, newest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=limit)
        flows = {f.id: f.name for f in client.read_flows()}
    return [
        RunInfo(
            flow=flows.get(r.flow_id, "?"), name=r.name,
            state=(r.state.name or "?") if r.state else "?", started=r.start_time,
            edition=(r.parameters or {}).get("edition") or _tag_edition(r.tags or []),
        )
        for r in runs
    ]
