"""The dashboard: editions and their state, Prefect flow runs when reachable, source health."""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from hrc_outreach.config import Settings
from hrc_outreach.errors import OutreachError
from hrc_outreach.models import ApprovalDecision, EditionStatus, JobState
from hrc_outreach.store import Store
from hrc_outreach.store.tables import (
    ApprovalRow,
    EditionRow,
    ItemRow,
    SendJobRow,
    SourceStateRow,
)
from hrc_outreach.web.staff.common import Viewer, editor, page, settings_of, staff_router, store_of

router = staff_router  # every staff module adds its routes to the one /staff router
PREFECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class EditionState:
    key: str
    title: str
    state: str  # draft | waiting | approved | sending | sent
    languages: int
    items: int
    planned: int = 0
    accepted: int = 0
    needs_person: int = 0
    decided_by: str = ""


def edition_state(store: Store, row: EditionRow) -> EditionState:
    """Where an edition stands: sent, sending, approved (and the approval holds), waiting for a
    person's decision, or a draft; with the send figures once a job exists."""
    from hrc_outreach.deliver.report import report_for_job

    with store.session() as s:
        jobs = s.scalars(
            select(SendJobRow).where(SendJobRow.edition_key == row.key).order_by(SendJobRow.id)
        ).all()
        latest = s.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.edition_key == row.key)
            .order_by(ApprovalRow.at.desc(), ApprovalRow.id.desc())
            .limit(1)
        ).first()
        report = report_for_job(s, jobs[-1]) if jobs else None
    hashes = row.content_hashes or {}
    base = dict(
        key=row.key,
        title=row.title,
        languages=len(hashes),
        items=len(row.item_ids or []),
        decided_by=latest.by if latest is not None else "",
    )
    if report is not None:
        figures = dict(
            planned=report.totals.planned,
            accepted=report.totals.accepted,
            needs_person=report.waiting_for_a_person,
        )
        done = report.state == JobState.DONE or row.status == EditionStatus.SENT
        state = "sent" if done else "sending"
        return EditionState(state=state, **base, **figures)  # type: ignore[arg-type]
    if row.status == EditionStatus.SENT:
        return EditionState(state="sent", **base)  # type: ignore[arg-type]
    approved = (
        latest is not None
        and latest.decision == ApprovalDecision.APPROVED
        and dict(latest.hashes or {}) == dict(hashes)
    )
    if approved:
        return EditionState(state="approved", **base)  # type: ignore[arg-type]
    return EditionState(state="waiting" if row.waiting_flow_run else "draft", **base)  # type: ignore[arg-type]


def editions(store: Store) -> list[EditionState]:
    with store.session() as s:
        rows = s.scalars(select(EditionRow).order_by(EditionRow.key.desc()).limit(24)).all()
    return [edition_state(store, r) for r in rows]


@dataclass(frozen=True)
class SourceHealth:
    name: str
    kind: str
    fetched_at: datetime | None
    status: str
    error: str
    items: int


def source_health(settings: Settings, store: Store) -> list[SourceHealth]:
    """Per configured source: the last gather, its status and error, and the items it holds."""
    names = [s.name for s in settings.sources]
    with store.session() as s:
        states = {
            r.name: r
            for r in s.scalars(select(SourceStateRow).where(SourceStateRow.name.in_(names)))
        }
        counts: dict[str, int] = dict(
            s.execute(  # type: ignore[arg-type]
                select(ItemRow.source, func.count())
                .where(ItemRow.withdrawn_at.is_(None))
                .group_by(ItemRow.source)
            ).all()
        )
    out = []
    for src in settings.sources:
        st = states.get(src.name)
        out.append(
            SourceHealth(
                name=src.name,
                kind=str(src.kind),
                fetched_at=st.fetched_at if st else None,
                status=(st.status or "") if st else "never",
                error=(st.error or "") if st else "",
                items=int(counts.get(src.name, 0)),
            )
        )
    return out


def prefect_runs() -> tuple[list[Any], str]:
    """The newest flow runs, or ([], why) when no Prefect API is configured or it does not answer
    in time (the page never waits for Prefect to start one)."""
    try:
        from prefect.settings import get_current_settings

        url = get_current_settings().api.url
    except Exception as exc:  # noqa: BLE001 - Prefect missing or misconfigured: say so, go on
        return [], f"Prefect settings unreadable ({exc.__class__.__name__})"
    if not url:
        return [], "no Prefect API configured (PREFECT_API_URL)"
    from hrc_outreach.workflow import recent_runs

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(recent_runs, 10).result(timeout=PREFECT_TIMEOUT), ""
    except concurrent.futures.TimeoutError:
        return [], f"Prefect API at {url} did not answer within {PREFECT_TIMEOUT:.0f} s"
    except Exception as exc:  # noqa: BLE001 - unreachable Prefect is not an error of this page
        return [], f"Prefect API at {url} unreachable ({exc.__class__.__name__})"
    finally:
        pool.shutdown(wait=False)


@router.get("/")
def dashboard(request: Request, viewer: Viewer = Depends(editor)) -> Response:
    settings, store = settings_of(request), store_of(request)
    runs, runs_error = prefect_runs()
    try:
        health = source_health(settings, store)
    except OutreachError:
        health = []
    return page(
        request,
        "dashboard.html.j2",
        viewer=viewer,
        editions=editions(store),
        runs=runs,
        runs_error=runs_error,
        sources=health,
    )
