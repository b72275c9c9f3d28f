"""The staff area (``/staff/...``): a placeholder router until the staff pages land."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hrc_outreach.web.templating import render

router = APIRouter(prefix="/staff")


@router.get("/login", response_class=HTMLResponse)
def login(request: Request) -> HTMLResponse:
    """The staff sign-in page (a stub)."""
    return render(request, "web/public/message.html.j2", "en", title="Staff sign-in", message="")
