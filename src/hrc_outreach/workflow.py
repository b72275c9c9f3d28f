"""The staff workflow's link to Prefect: the approval form, and resuming a waiting flow run.

This is the one library module (with ``secret_store.py``) that talks to Prefect: the CLI's
``edition approve`` and the web previews call :func:`resume_waiting_run` with the id of the run the
store records as waiting (``EditionRow.waiting_flow_run``), the same function the flow tests use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from prefect.input import RunInput
from pydantic import Field

from hrc_outreach.config import Settings

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


class Handover(StrEnum):
    """What became of a decision given to the run recorded as waiting."""

    RESUMED = "resumed"  # a run waiting in its process took it and goes on
    SCHEDULED = "scheduled"  # a suspended run was rescheduled: a worker goes on with it
    ANSWERED = "answered"  # the run already had an answer and is going on: not taken
    LOST = "lost"  # the run can never take it (gone, ended, its process killed)


@dataclass(frozen=True)
class HandoverResult:
    outcome: Handover
    run: str  # the flow run's name (its id when Prefect does not know it)
    detail: str = ""
    run_id: str = ""

    @property
    def name(self) -> str:
        return self.run

    @property
    def handed(self) -> bool:
        """The run goes on with the decision (now, or when a worker picks it up)."""
        return self.outcome in (Handover.RESUMED, Handover.SCHEDULED)


def answer_waiting_run(
    flow_run_id: str,
    *,
    approve: bool,
    reviewer: str,
    notes: str = "",
    drop_items: list[str] | None = None,
    hashes: dict[str, str] | None = None,
    acknowledged: Callable[[], bool] | None = None,
    ack_timeout: float = 30.0,
) -> HandoverResult:
    """Answer the approval form of the flow run ``flow_run_id`` (the one the store records as
    waiting), and say whether it can go on with the answer.

    A suspended run (a deployment's) is rescheduled with the answer kept by the Prefect server:
    any worker goes on with it, whatever became of the one that started it. A run waiting in its
    own process (no deployment) must take the answer within ``ack_timeout`` seconds, which
    ``acknowledged`` tells; if it does not, its process is gone: the run is marked Crashed and
    reported LOST, so the caller records the decision itself.

    ``hashes``: those of the drafts the reviewer was shown; an approval without them is refused
    by the flow.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    run_id = UUID(str(flow_run_id))

    def _result(outcome: Handover, run: str, detail: str = "") -> HandoverResult:
        return HandoverResult(outcome, run, detail, str(flow_run_id))

    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(run_id)
        except ObjectNotFound:
            return _result(
                Handover.LOST, str(flow_run_id), "the Prefect server knows no such flow run"
            )
    state = run.state
    not_waiting = _not_waiting(state)
    if not_waiting is not None:
        return _result(not_waiting[0], run.name, not_waiting[1])
    assert state is not None  # a run that waits has a state
    suspended = bool(state.state_details.pause_reschedule)
    form: dict[str, Any] = ApprovalForm(
        approve=approve,
        reviewer=reviewer,
        notes=notes,
        drop_items=list(drop_items or []),
        hashes=dict(hashes or {}),
    ).model_dump()
    handed = _hand_over(run_id, form, suspended)
    if handed is None:
        handed = _taken_in_process(run_id, acknowledged, ack_timeout)
    return _result(handed[0], run.name, handed[1])


def _not_waiting(state: Any) -> tuple[Handover, str] | None:
    """Why a run in ``state`` takes no answer: it ended (lost) or already has one; None if it waits."""
    if state is None or state.is_final():
        why = f"it ended {state.name if state else 'without a state'}"
        if state is not None and state.message:
            why += f" ({state.message})"
        return Handover.LOST, why
    if not state.is_paused():
        return Handover.ANSWERED, f"it is {state.name}: it already has an answer"
    return None


def _hand_over(run_id: UUID, form: dict[str, Any], suspended: bool) -> tuple[Handover, str] | None:
    """The answer given to the paused run: lost, answered or scheduled (a suspended run), or None
    when a run waiting in its own process has yet to take it."""
    from prefect.exceptions import FlowPauseTimeout, NotPausedError
    from prefect.flow_runs import resume_flow_run

    try:
        resume_flow_run(run_id, run_input=form)
    except FlowPauseTimeout:
        return Handover.LOST, "its wait for approval timed out"
    except NotPausedError:
        return Handover.ANSWERED, "it no longer waits"
    if suspended:
        return Handover.SCHEDULED, "suspended; a worker of its pool goes on with the answer"
    return None


def _taken_in_process(
    run_id: UUID, acknowledged: Callable[[], bool] | None, ack_timeout: float
) -> tuple[Handover, str]:
    """Whether a run waiting in its own process took the answer in time; if not, it is gone and
    is marked Crashed."""
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    deadline = time.monotonic() + ack_timeout
    while acknowledged is not None and time.monotonic() < deadline:
        if acknowledged():
            return Handover.RESUMED, ""
        time.sleep(0.5)
    if acknowledged is None:
        return Handover.RESUMED, ""
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(
            run_id,
            Crashed(
                message="its process did not take the approval answer: it was stopped or "
                "killed while it waited; the decision was recorded without it"
            ),
            force=True,
        )
    return (
        Handover.LOST,
        f"it waited in its own process, which did not take the answer within {ack_timeout:.0f} s "
        "(stopped or killed); it is marked Crashed",
    )


def resume_waiting_run(
    edition_key: str,
    *,
    approve: bool,
    reviewer: str,
    notes: str = "",
    drop_items: list[str] | None = None,
    hashes: dict[str, str] | None = None,
    settings: Settings | None = None,
) -> HandoverResult | None:
    """Answer the run the store records as waiting on ``edition_key`` (:func:`answer_waiting_run`).

    None when no run waits, or when the recorded run is lost (its wait is then forgotten): the
    caller records the decision itself, so no decision is ever dropped.
    """
    from hrc_outreach.config import load_settings
    from hrc_outreach.pipeline import release_waiting, waiting_flow_run

    st = settings or load_settings()
    run_id = waiting_flow_run(st, edition_key)
    if run_id is None:
        return None

    def taken() -> bool:  # a run waiting in its process forgets its wait once it has the answer
        return waiting_flow_run(st, edition_key) != run_id

    result = answer_waiting_run(
        run_id,
        approve=approve,
        reviewer=reviewer,
        notes=notes,
        drop_items=drop_items,
        hashes=hashes,
        acknowledged=taken,
        ack_timeout=2.0 * st.approval.poll_seconds + 15,
    )
    if result.outcome is Handover.LOST:
        release_waiting(st, edition_key, run_id)
        return None
    return result


def run_is_alive(flow_run_id: str) -> tuple[bool, str]:
    """Whether a flow run can still go on (waiting, scheduled, running), and its state's name."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(str(flow_run_id)))
    except (ObjectNotFound, ValueError):
        return False, "unknown to the Prefect server"
    state = run.state
    if state is None or state.is_final():
        return False, (state.name or "ended") if state is not None else "no state"
    return True, state.name or state.type.value


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
            flow=flows.get(r.flow_id, "?"),
            name=r.name,
            state=(r.state.name or "?") if r.state else "?",
            started=r.start_time,
            edition=(r.parameters or {}).get("edition") or _tag_edition(r.tags or []),
        )
        for r in runs
    ]


@dataclass(frozen=True)
class MonthlyRun:
    """A monthly-edition run as ``status`` shows it."""

    name: str
    edition: str | None
    kind: str  # waiting | running | failed | rejected | cancelled | sent | scheduled
    state: str
    when: datetime | None  # started, or (scheduled) expected to start
    message: str = ""


# The order `status` shows them in: what needs a person first, what happened next, then the future.
MONTHLY_KINDS = ("waiting", "running", "failed", "rejected", "cancelled", "sent", "scheduled")


def prefect_api() -> str:
    """The Prefect API this process talks to: ``PREFECT_API_URL`` (environment or profile), or a
    description of the temporary local server Prefect starts without one."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    return str(url) if url else "no PREFECT_API_URL: a temporary local server (~/.prefect)"


def _kind(state_type: str, message: str) -> str:
    kinds = {"PAUSED": "waiting", "RUNNING": "running", "PENDING": "running",
             "FAILED": "failed", "CRASHED": "failed", "COMPLETED": "sent",
             "SCHEDULED": "scheduled", "CANCELLING": "cancelled"}  # fmt: skip
    if state_type == "CANCELLED":
        return "rejected" if " rejected by " in message else "cancelled"
    return kinds.get(state_type, "cancelled")


def monthly_runs(*, past: int = 20, scheduled: int = 3) -> list[MonthlyRun]:
    """The monthly runs that matter, in :data:`MONTHLY_KINDS` order (newest first within a kind),
    then the next ``scheduled`` ones (soonest first): however many runs a schedule has queued,
    a waiting or failed run is never pushed off the list."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    monthly = FlowFilter(name=FlowFilterName(any_=[MONTHLY_FLOW_NAME]))
    future = [StateType.SCHEDULED]
    with get_client(sync_client=True) as client:
        done = client.read_flow_runs(
            flow_filter=monthly,
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(not_any_=future))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=past,
        )
        queued = client.read_flow_runs(
            flow_filter=monthly,
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=future))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=scheduled,
        )
    out = []
    for r in [*done, *queued]:
        kind_of = r.state.type.value if r.state else "?"
        message = (r.state.message or "") if r.state else ""
        out.append(
            MonthlyRun(
                name=r.name,
                edition=(r.parameters or {}).get("edition") or _tag_edition(r.tags or []),
                kind=_kind(kind_of, message),
                state=(r.state.name or kind_of) if r.state else "?",
                when=r.start_time or r.expected_start_time,
                message=message,
            )
        )
    order = {k: i for i, k in enumerate(MONTHLY_KINDS)}
    return sorted(out, key=lambda m: order[m.kind])  # stable: each kind keeps its query order
