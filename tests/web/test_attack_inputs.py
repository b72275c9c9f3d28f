"""Attacks on the app's input handling, against a real uvicorn: CSRF tokens that are not ASCII
(hmac.compare_digest raises on such str), bodies past the limit sent chunked (no Content-Length
to check up front), and the security headers on a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import confirm, subscribe
from hrc_outreach.audience.links import links_for
from hrc_outreach.staff import add_staff
from hrc_outreach.store.tables import SubscriberRow
from hrc_outreach.web.app import create_app
from hrc_outreach.web.limits import DEFAULT_LIMIT

from .conftest import Served, start_server

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _csrf(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def _member(served: Served, addr: str = "ana@example.org") -> int:
    with served.store.session() as s:
        sub, token = subscribe(s, served.settings, addr, "Ana", "en")
        assert sub is not None and token is not None
        confirm(s, served.settings, token)
    return sub.id


def _state(served: Served, sid: int) -> str:
    with served.store.session() as s:
        return str(s.scalar(select(SubscriberRow.state).where(SubscriberRow.id == sid)))


def _signed_in(served: Served) -> httpx.Client:
    add_staff(served.store, "ed@example.org", name="Eda", role="editor", password=PASSWORD)
    client = served.client()
    page = client.get("/staff/login")
    r = client.post(
        "/staff/login",
        data={"email": "ed@example.org", "password": PASSWORD, "csrf": _csrf(page.text)},
    )
    assert r.status_code == 303, r.text
    return client


NOT_ASCII = ["é", "токен", "\u202e", "a" * 31 + "\u00e9"]


@pytest.mark.parametrize("token", NOT_ASCII)
def test_a_non_ascii_csrf_token_is_refused_not_a_crash(served: Served, token: str) -> None:
    with served.client() as c:
        c.get("/staff/login")
        r = c.post("/staff/login", data={"email": "x@example.org", "password": "p", "csrf": token})
        assert r.status_code == 403, r.text
        c.get("/subscribe")
        r = c.post("/subscribe", data={"email": "a@example.org", "consent": "yes", "csrf": token})
        assert r.status_code == 403, r.text
    staff = _signed_in(served)
    try:
        r = staff.post("/staff/logout", data={"csrf": token})
        assert r.status_code == 403, r.text
        assert staff.get("/staff/").status_code == 200  # still signed in: nothing happened
    finally:
        staff.close()


def _chunks(total: int, field: bytes = b"") -> Iterator[bytes]:
    yield field
    sent = len(field)
    while sent < total:
        piece = b"&pad=" + b"x" * 8192
        sent += len(piece)
        yield piece


FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_a_chunked_body_past_the_limit_is_413_and_changes_nothing(served: Served) -> None:
    sid = _member(served)
    path = links_for(served.settings).unsubscribe_url(sid).replace(served.settings.web.base_url, "")
    big = DEFAULT_LIMIT * 4
    with served.client() as c:
        r = c.post(path, content=_chunks(big, b"List-Unsubscribe=One-Click"), headers=FORM)
        assert r.status_code == 413
        assert _state(served, sid) == "confirmed"
        for target in ("/subscribe", "/staff/login", f"/p/{path[3:]}"):
            r = c.post(target, content=_chunks(big), headers=FORM)
            assert r.status_code == 413, target
            assert "content-security-policy" in r.headers
        # under the limit, chunked, the one-click POST works as before
        r = c.post(path, content=_chunks(100, b"List-Unsubscribe=One-Click"), headers=FORM)
        assert r.status_code == 200
        assert _state(served, sid) != "confirmed"


def test_a_declared_length_past_the_limit_is_413_before_the_body(served: Served) -> None:
    with served.client() as c:
        r = c.post("/staff/login", content=b"x" * (DEFAULT_LIMIT + 1), headers=FORM)
        assert r.status_code == 413


def test_a_server_error_carries_the_security_headers(served: Served) -> None:
    app = create_app(served.settings, store=served.store)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    url, server, thread = start_server(app)
    try:
        with httpx.Client(base_url=url) as c:
            r = c.get("/boom")
        assert r.status_code == 500
        assert "default-src 'self'" in r.headers.get("content-security-policy", "")
        assert r.headers.get("x-content-type-options") == "nosniff"
        assert "a bug" not in r.text
    finally:
        server.should_exit = True
        thread.join(10)
