"""The delivery report of an edition, and a person's decisions on who waits for one (approvers,
after a confirmation step): retry failed, give up failed, resend in doubt, mark in doubt sent."""

from __future__ import annotations

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from hrc_outreach.errors import OutreachError
from hrc_outreach.web.staff.common import Viewer, approver, editor, page, staff_router, store_of
from hrc_outreach.web.staff.editions import checked_key

router = staff_router  # every staff module adds its routes to the one /staff router
ACTIONS = ("retry-failed", "give-up-failed", "resend-in-doubt", "mark-in-doubt-sent")
MISSED_SHOWN = 100


def _report(request: Request, key: str) -> object | None:
    from hrc_outreach.deliver.report import job_report

    try:
        return job_report(store_of(request), checked_key(key), missed_limit=MISSED_SHOWN)
    except OutreachError:
        return None


@router.get("/editions/{key}/delivery")
def report(request: Request, key: str, viewer: Viewer = Depends(editor)) -> Response:
    return page(
        request,
        "delivery.html.j2",
        viewer=viewer,
        key=key,
        report=_report(request, key),
        done=request.query_params.get("done", ""),
        n=request.query_params.get("n", ""),
    )


@router.get("/editions/{key}/delivery/confirm/{action}")
def confirm(
    request: Request, key: str, action: str, viewer: Viewer = Depends(approver)
) -> Response:
    if action not in ACTIONS:
        raise HTTPException(status_code=404, detail="no such action")
    rep = _report(request, key)
    if rep is None:
        raise HTTPException(status_code=404, detail=f"edition {key} has no send job")
    return page(
        request, "delivery_confirm.html.j2", viewer=viewer, key=key, action=action, report=rep
    )


@router.post("/editions/{key}/delivery/{action}")
def resolve(
    request: Request,
    key: str,
    action: str,
    confirm: str = Form(""),
    viewer: Viewer = Depends(approver),
) -> Response:
    from hrc_outreach.deliver import ledger

    if action not in ACTIONS:
        raise HTTPException(status_code=404, detail="no such action")
    if confirm != "yes":
        return RedirectResponse(f"/staff/editions/{key}/delivery/confirm/{action}", status_code=303)
    rep = _report(request, key)
    if rep is None:
        raise HTTPException(status_code=404, detail=f"edition {key} has no send job")
    store, job, by = store_of(request), rep.job_id, viewer.name  # type: ignore[attr-defined]
    if action == "retry-failed":
        n = ledger.retry_failed(store, job, by=by)
    elif action == "give-up-failed":
        n = ledger.give_up_failed(store, job, by=by)
    else:
        decision = (
            ledger.InDoubtDecision.RESEND
            if action == "resend-in-doubt"
            else ledger.InDoubtDecision.MARK_SENT
        )
        n = ledger.resolve_in_doubt(store, job, decision, by=by)
    return RedirectResponse(f"/staff/editions/{key}/delivery?done={action}&n={n}", status_code=303)
