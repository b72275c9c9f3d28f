"""Every staff route walked over real HTTP: without a session (redirect to the sign-in or 401),
with an editor's session on approver and admin routes (403), every form without a valid CSRF
token (403) — and nothing changes when a request is refused."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pytest
from sqlalchemy import func, select

from hrc_outreach.store import Store
from hrc_outreach.store.tables import ApprovalRow, ItemTranslationRow, StaffRow
from hrc_outreach.web.staff import router

from .conftest import EDITION, Served, login

# Every route of the staff router with the role it needs; a route missing here fails the walk.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/staff/"): "editor",
    ("POST", "/staff/logout"): "editor",
    ("GET", "/staff/editions/{key}"): "editor",
    ("GET", "/staff/editions/{key}/preview/{lang}"): "editor",
    ("GET", "/staff/editions/{key}/frame/{lang}"): "editor",
    ("GET", "/staff/editions/{key}/cards/{lang}/{name}"): "editor",
    ("POST", "/staff/editions/{key}/test"): "editor",
    ("POST", "/staff/editions/{key}/drop"): "editor",
    ("POST", "/staff/editions/{key}/items/{item}/text"): "editor",
    ("POST", "/staff/editions/{key}/decision"): "approver",
    ("GET", "/staff/editions/{key}/translations/{lang}"): "editor",
    ("POST", "/staff/editions/{key}/translations/{lang}"): "editor",
    ("GET", "/staff/editions/{key}/delivery"): "editor",
    ("GET", "/staff/editions/{key}/delivery/confirm/{action}"): "approver",
    ("POST", "/staff/editions/{key}/delivery/{action}"): "approver",
    ("GET", "/staff/subscribers"): "admin",
    ("POST", "/staff/subscribers/search"): "admin",
    ("POST", "/staff/subscribers/export"): "admin",
    ("POST", "/staff/subscribers/erase"): "admin",
    ("POST", "/staff/subscribers/import"): "admin",
    ("GET", "/staff/campaigns"): "editor",
    ("GET", "/staff/campaigns/{name}"): "editor",
    ("GET", "/staff/campaigns/{name}/{step}/preview/{lang}"): "editor",
    ("GET", "/staff/campaigns/{name}/{step}/frame/{lang}"): "editor",
    ("POST", "/staff/campaigns/{name}/{step}/draft"): "editor",
    ("POST", "/staff/campaigns/{name}/{step}/decision"): "approver",
    ("POST", "/staff/campaigns/{name}/{step}/launch"): "approver",
    ("GET", "/staff/campaigns/{name}/{step}/translations/{lang}"): "editor",
    ("POST", "/staff/campaigns/{name}/{step}/translations/{lang}"): "editor",
    ("GET", "/staff/accounts"): "admin",
    ("POST", "/staff/accounts/add"): "admin",
    ("POST", "/staff/accounts/remove"): "admin",
}
PUBLIC = {("GET", "/staff/login"), ("POST", "/staff/login")}
# A form that would do something if it got through (so a refusal is visible as "nothing changed").
FORMS = {
    "/staff/editions/{key}/decision": {"decision": "approve", "hashes": "", "notes": "x"},
    "/staff/editions/{key}/drop": {"item": "nope"},
    "/staff/editions/{key}/items/{item}/text": {"headline": "x", "summary": "y"},
    "/staff/editions/{key}/translations/{lang}": {},
    "/staff/accounts/add": {
        "email": "new@example.org",
        "name": "New",
        "role": "admin",
        "password": "0123456789abc",
    },
    "/staff/accounts/remove": {"email": "ap@example.org"},
    "/staff/subscribers/search": {"q": "example"},
    "/staff/subscribers/export": {"email": "a@example.org"},
    "/staff/subscribers/erase": {"email": "a@example.org", "confirm": "yes"},
    "/staff/editions/{key}/delivery/{action}": {"confirm": "yes"},
    "/staff/editions/{key}/test": {"lang": "en"},
    "/staff/campaigns/{name}/{step}/decision": {"decision": "approve", "hashes": "", "notes": "x"},
    "/staff/campaigns/{name}/{step}/translations/{lang}": {"t:campaign:x:subject": "x"},
}


def _url(path: str) -> str:
    return (
        path.replace("{key}", EDITION)
        .replace("{lang}", "fr")
        .replace("{name}", "card.png")
        .replace("{action}", "retry-failed")
        .replace("{step}", "announcement")
    )


def _counts(served: Served) -> tuple[int, int, int]:
    store = Store(served.settings.database_url)
    try:
        with store.session() as s:
            return (
                s.scalar(select(func.count()).select_from(ApprovalRow)) or 0,
                s.scalar(select(func.count()).select_from(StaffRow)) or 0,
                s.scalar(select(func.count()).select_from(ItemTranslationRow)) or 0,
            )
    finally:
        store.dispose()


def test_the_walk_covers_every_staff_route() -> None:
    found = set()
    for route in router.routes:
        for method in getattr(route, "methods", ()):
            if method != "HEAD":
                found.add((method, route.path))  # type: ignore[attr-defined]
    assert found == set(ROUTES) | PUBLIC


def test_without_a_session_every_route_redirects_or_answers_401(served: Served) -> None:
    before = _counts(served)
    with httpx.Client(base_url=served.url, follow_redirects=False) as anon:
        for (method, path), _role in ROUTES.items():
            r = anon.request(method, _url(path), data=FORMS.get(path, {}))
            if method == "GET":
                assert r.status_code == 303, (path, r.status_code)
                assert r.headers["location"].startswith("/staff/login?next=/staff/")
            else:
                assert r.status_code == 401, (path, r.status_code)
    assert _counts(served) == before


def test_an_editor_is_refused_approver_and_admin_routes(served: Served) -> None:
    before = _counts(served)
    with closing(login(served.url, "editor")) as ed:
        csrf = re.search(r'name="csrf" value="([^"]+)"', ed.get("/staff/").text)
        assert csrf
        walked = 0
        for (method, path), role in ROUTES.items():
            if role == "editor":
                continue
            data = {**FORMS.get(path, {}), "csrf": csrf.group(1)}
            r = ed.request(method, _url(path), data=data if method == "POST" else None)
            assert r.status_code == 403, (path, r.status_code, r.text[:200])
            walked += 1
        assert walked >= 10
    assert _counts(served) == before


@pytest.mark.parametrize("token", [None, "", "forged-token-value"])
def test_every_form_without_a_valid_csrf_token_is_refused(
    served: Served, token: str | None
) -> None:
    before = _counts(served)
    with closing(login(served.url, "admin")) as adm:
        for (method, path), _role in ROUTES.items():
            if method != "POST":
                continue
            data = dict(FORMS.get(path, {}))
            if token is not None:
                data["csrf"] = token
            r = adm.post(_url(path), data=data)
            assert r.status_code == 403, (path, r.status_code, r.text[:200])
        # the session still works: the refused logout did not sign anyone out
        assert adm.get("/staff/").status_code == 200
    with httpx.Client(base_url=served.url) as anon:  # the sign-in form too
        data = {"email": "ad@example.org", "password": "correct horse battery staple"}
        if token is not None:
            data["csrf"] = token
        assert anon.post("/staff/login", data=data).status_code == 403
    assert _counts(served) == before
