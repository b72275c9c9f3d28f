"""Admins: subscribers (search by address, consent log, JSON export, erasure, CSV import with the
CLI's report) and staff accounts. Addresses travel in form posts, never in URLs (logs keep URLs)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from hrc_outreach.errors import OutreachError
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow
from hrc_outreach.web.staff.common import Viewer, admin, page, settings_of, staff_router, store_of

router = staff_router  # every staff module adds its routes to the one /staff router
SEARCH_LIMIT = 50
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _subscribers_page(request: Request, viewer: Viewer, **shown: Any) -> Response:
    """The subscribers page: search results, an import's report or an erasure's, if any."""
    parts: dict[str, Any] = {"query": "", "found": None, "log": {}, "result": None, "erased": None}
    return page(request, "subscribers.html.j2", viewer=viewer, **{**parts, **shown})


@router.get("/subscribers")
def subscribers(request: Request, viewer: Viewer = Depends(admin)) -> Response:
    return _subscribers_page(request, viewer)


@router.post("/subscribers/search")
def search(request: Request, q: str = Form(""), viewer: Viewer = Depends(admin)) -> Response:
    """Subscribers whose address contains ``q``, each with their consent log."""
    query = q.strip().lower()
    found: list[SubscriberRow] = []
    log: dict[int, list[ConsentEventRow]] = {}
    if query:
        with store_of(request).session() as s:
            found = list(
                s.scalars(
                    select(SubscriberRow)
                    .where(SubscriberRow.email.like(f"%{_escape_like(query)}%", escape="\\"))
                    .order_by(SubscriberRow.email)
                    .limit(SEARCH_LIMIT)
                )
            )
            for row in found:
                log[row.id] = list(
                    s.scalars(
                        select(ConsentEventRow)
                        .where(ConsentEventRow.subscriber_id == row.id)
                        .order_by(ConsentEventRow.at)
                    )
                )
    return _subscribers_page(request, viewer, query=query, found=found, log=log)


@router.post("/subscribers/export")
def export(request: Request, email: str = Form(...), viewer: Viewer = Depends(admin)) -> Response:
    """Everything stored about one person, as a JSON download (GDPR access request)."""
    from hrc_outreach.audience.gdpr import export_person

    try:
        with store_of(request).session() as s:
            data = export_person(s, email)
    except OutreachError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="subscriber-export.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/subscribers/erase")
def erase(
    request: Request,
    email: str = Form(...),
    confirm: str = Form(""),
    viewer: Viewer = Depends(admin),
) -> Response:
    """Delete a person's data, keeping a hashed suppression (asks for confirmation first)."""
    from hrc_outreach.audience.gdpr import erase_person

    if confirm != "yes":
        return page(request, "erase_confirm.html.j2", viewer=viewer, email=email)
    try:
        with store_of(request).session() as s:
            report = erase_person(s, email, by="web", settings=settings_of(request))
    except OutreachError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return _subscribers_page(request, viewer, erased=report)


@router.post("/subscribers/import")
async def import_csv_form(request: Request, viewer: Viewer = Depends(admin)) -> Response:
    """A CSV upload, imported as `hrc-outreach subscribers import` does, with the same report."""
    from starlette.concurrency import run_in_threadpool
    from starlette.datastructures import UploadFile

    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(status_code=400, detail="choose a CSV file to import")
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise HTTPException(status_code=413, detail="the CSV file is larger than 20 MB")
    name = Path(upload.filename or "upload.csv").name
    return await run_in_threadpool(_import, request, viewer, name, data)


def _import(request: Request, viewer: Viewer, name: str, data: bytes) -> Response:
    from hrc_outreach.audience.importer import import_csv

    settings = settings_of(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            with store_of(request).session() as s:
                result = import_csv(s, settings, path, source=f"import:{name} (web, {viewer.name})")
        except OutreachError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
    return _subscribers_page(request, viewer, result=result, file=name)


@router.get("/accounts")
def accounts(request: Request, viewer: Viewer = Depends(admin)) -> Response:
    from hrc_outreach.staff import list_staff

    return page(
        request,
        "accounts.html.j2",
        viewer=viewer,
        members=list_staff(store_of(request)),
        error="",
        done=request.query_params.get("done", ""),
    )


@router.post("/accounts/add")
def account_add(
    request: Request,
    email: str = Form(...),
    name: str = Form(...),
    role: str = Form(...),
    password: str = Form(...),
    viewer: Viewer = Depends(admin),
) -> Response:
    from hrc_outreach.staff import add_staff, list_staff

    store = store_of(request)
    try:
        add_staff(store, email, name=name, role=role, password=password)
    except OutreachError as exc:
        return page(
            request,
            "accounts.html.j2",
            viewer=viewer,
            members=list_staff(store),
            error=str(exc),
            done="",
            status=422,
        )
    return RedirectResponse("/staff/accounts?done=added", status_code=303)


@router.post("/accounts/remove")
def account_remove(
    request: Request, email: str = Form(...), viewer: Viewer = Depends(admin)
) -> Response:
    from hrc_outreach.staff import remove_staff

    remove_staff(store_of(request), email)
    return RedirectResponse("/staff/accounts?done=removed", status_code=303)
