"""What every staff page shares: settings and store, the page language, sign-in, roles, CSRF, and
rendering a template.

Without a session a page (GET) redirects to the sign-in page and a form (POST) answers 401; a role
too low for the route answers 403, and a form without the session's CSRF token answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from hrc_outreach.config import Settings
from hrc_outreach.i18n.catalog import html_lang, text_direction
from hrc_outreach.render.environment import environment
from hrc_outreach.staff import Role, SignedIn, same_token, session_staff
from hrc_outreach.store import Store

staff_router = APIRouter(prefix="/staff")
SESSION_COOKIE = "hrc_staff"
LOGIN_CSRF_COOKIE = "hrc_staff_login"
UI_COOKIE = "hrc_staff_ui"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
# Staff pages are in English and Arabic (the catalogs hold every configured language).
UI_LANGUAGES = ("en", "ar")


def settings_of(request: Request) -> Settings:
    """The app's settings (``create_app(settings)`` keeps them on ``app.state``)."""
    st = getattr(request.app.state, "settings", None)
    if st is None:
        raise RuntimeError("the staff router needs app.state.settings (see web.app.create_app)")
    return st  # type: ignore[no-any-return]


def store_of(request: Request) -> Store:
    """The app's store (``create_app`` opens one per process, on ``app.state``)."""
    return request.app.state.store  # type: ignore[no-any-return]


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure except on loopback (a developer's http://127.0.0.1)."""
    return (request.url.hostname or "") not in LOOPBACK


def ui_language(request: Request) -> str:
    """The page language: ``?ui=``, else the cookie, else Accept-Language, else English."""
    for cand in (request.query_params.get("ui"), request.cookies.get(UI_COOKIE)):
        if cand in UI_LANGUAGES:
            return cand
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in UI_LANGUAGES:
            return code
    return "en"


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member looking at a page, and the page's language."""

    signed: SignedIn
    ui: str

    @property
    def name(self) -> str:
        return self.signed.staff.name

    @property
    def csrf(self) -> str:
        return self.signed.csrf

    def can(self, role: str) -> bool:
        return self.signed.staff.can(Role(role))


def page(
    request: Request, template: str, *, viewer: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``staff/<template>`` in the page language; remembers ``?ui=`` in a cookie."""
    lang = ui_language(request)
    html = (
        environment(lang)
        .get_template(f"web/staff/{template}")
        .render(
            ui=lang,
            ui_lang=html_lang(lang),
            ui_dir=text_direction(lang),
            viewer=viewer,
            path=request.url.path,
            newsletter=settings_of(request).newsletter,
            ui_languages=UI_LANGUAGES,
            **context,
        )
    )
    resp = HTMLResponse(html, status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    if request.query_params.get("ui") in UI_LANGUAGES:
        resp.set_cookie(
            UI_COOKIE,
            lang,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
            path="/staff",
        )
    return resp


def _signed_in(request: Request) -> SignedIn | None:
    return session_staff(store_of(request), request.cookies.get(SESSION_COOKIE, ""))


def need(role: Role) -> Any:
    """A dependency: the signed-in viewer with at least ``role``; for a form, also its CSRF token."""

    async def dependency(request: Request) -> Viewer:
        signed = _signed_in(request)
        if signed is None:
            if request.method in ("GET", "HEAD"):
                target = quote(request.url.path, safe="/")
                raise HTTPException(
                    status_code=303,
                    detail="sign in first",
                    headers={"Location": f"/staff/login?next={target}"},
                )
            raise HTTPException(status_code=401, detail="sign in first")
        if not signed.staff.can(role):
            raise HTTPException(status_code=403, detail=f"this needs the {role.value} role")
        if request.method not in ("GET", "HEAD"):
            form = await request.form()
            given = form.get("csrf")
            if not isinstance(given, str) or not same_token(signed.csrf, given):
                raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
        return Viewer(signed=signed, ui=ui_language(request))

    return dependency


editor = need(Role.EDITOR)
approver = need(Role.APPROVER)
admin = need(Role.ADMIN)
