"""Signing in and out. The sign-in form carries a CSRF token bound to a cookie (double submit);
failures are counted in the store, per account and per client address (:mod:`hrc_outreach.staff`)."""

from __future__ import annotations

import secrets

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hrc_outreach.staff import (
    SESSION_HOURS,
    StaffError,
    ThrottledError,
    authenticate,
    close_session,
    open_session,
    same_token,
)
from hrc_outreach.web.staff.common import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Viewer,
    editor,
    page,
    secure_cookies,
    staff_router,
    store_of,
)

router = staff_router  # every staff module adds its routes to the one /staff router


def _safe_next(target: str) -> str:
    """Only a path inside the staff area (no open redirect)."""
    if target.startswith("/staff") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff/"


def _login_page(request: Request, *, error: str = "", status: int = 200, nxt: str = "") -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    resp = page(
        request,
        "login.html.j2",
        viewer=None,
        status=status,
        error=error,
        login_csrf=token,
        next=_safe_next(nxt or request.query_params.get("next", "")),
    )
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/staff",
    )
    return resp


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf: str = Form(""),
    next: str = Form("/staff/"),  # noqa: A002 - the form field's name
) -> Response:
    if not same_token(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf):
        return _login_page(request, error="csrf", status=403, nxt=next)
    client = request.client.host if request.client else "unknown"
    store = store_of(request)
    try:
        staff = authenticate(store, email, password, client=client)
    except ThrottledError as exc:
        resp = _login_page(request, error="throttled", status=429, nxt=next)
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    except StaffError:
        return _login_page(request, error="wrong", status=401, nxt=next)
    token, _csrf = open_session(store, staff)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/staff",
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    return resp


@router.post("/logout")
def logout(request: Request, viewer: Viewer = Depends(editor)) -> Response:
    close_session(store_of(request), request.cookies.get(SESSION_COOKIE, ""))
    resp = RedirectResponse("/staff/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/staff")
    return resp
