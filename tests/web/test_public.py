"""Public pages against a real uvicorn: the RFC 8058 one-click acceptance (an outbox message's
List-Unsubscribe URL), token attacks, preferences with CSRF, subscribe/confirm, security headers."""

from __future__ import annotations

import email
import re
from email.policy import default
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from hrc_outreach.audience.consent import confirm, subscribe
from hrc_outreach.audience.links import links_for
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, SuppressionRow
from hrc_outreach.web.security import redact_path

from .conftest import Served


def _member(served: Served, addr: str = "ana@example.org", lang: str = "fr") -> int:
    with served.store.session() as s:
        sub, token = subscribe(s, served.settings, addr, "Ana", lang)
        assert sub is not None and token is not None
        confirm(s, served.settings, token)
    return sub.id


def _state(served: Served) -> tuple[list[tuple[object, ...]], int, int]:
    with served.store.session() as s:
        subs = sorted(tuple(r) for r in s.execute(select(SubscriberRow.id, SubscriberRow.state)))
        log = s.scalar(select(func.count()).select_from(ConsentEventRow)) or 0
        supp = s.scalar(select(func.count()).select_from(SuppressionRow)) or 0
    return subs, log, supp


def _outbox_unsubscribe_url(served: Served, sid: int) -> str:
    """The https URL of the List-Unsubscribe header of a message the outbox provider wrote."""
    import asyncio

    from hrc_outreach.audience.optin import send_confirmation
    from hrc_outreach.models import Subscriber

    with served.store.session() as s:
        row = s.get(SubscriberRow, sid)
        assert row is not None
        sub = Subscriber(id=row.id, email=row.email, name=row.name, language=row.language,
                         state=row.state, created_at=row.created_at)  # fmt: skip
    asyncio.run(send_confirmation(served.settings, sub, "x" * 40))
    eml = next((served.outbox / "opt-in").glob(f"*-sub{sid}.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https://[^>]+)>", str(msg["List-Unsubscribe"]))
    assert url is not None
    return url.group(1)


def _local(served: Served, url: str) -> str:
    return url.replace(served.settings.web.base_url, "")


def test_one_click_acceptance_from_an_outbox_message(served: Served) -> None:
    sid = _member(served)
    other = _member(served, "bo@example.org")
    path = _local(served, _outbox_unsubscribe_url(served, sid))
    assert path.startswith("/u/")
    with served.client() as c:
        before = _state(served)
        got = c.get(path)  # a scanner following the link
        assert got.status_code == 200 and _state(served) == before
        assert '<form method="post"' in got.text and 'lang="fr"' in got.text
        r = c.post(path, content=b"List-Unsubscribe=One-Click",
                   headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert r.status_code == 200 and not r.is_redirect
        assert "set-cookie" not in r.headers
        after = _state(served)
        assert (sid, "unsubscribed") in after[0] and (other, "confirmed") in after[0]
        assert after[2] == 1
        again = c.post(path, content=b"List-Unsubscribe=One-Click")
        assert again.status_code == 200 and _state(served) == after
        # multipart, as RFC 8058 also allows
        multi = c.post(path, files={"List-Unsubscribe": (None, "One-Click")})
        assert multi.status_code == 200 and _state(served) == after
    with served.store.session() as s:
        methods = s.scalars(
            select(ConsentEventRow.method).where(ConsentEventRow.action == "unsubscribed")
        ).all()
    assert methods == ["one-click"]


def _tamper(token: str) -> list[str]:
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return [token[:-1], token[:-5], token + "A", flipped, token[::-1], "", "%00" + token[1:]]


def test_forged_or_truncated_tokens_are_4xx_and_change_nothing(served: Served) -> None:
    sid = _member(served)
    links = links_for(served.settings)
    token = links.unsubscribe_url(sid).rsplit("/", 1)[1]
    prefs = links.preferences_url(sid).rsplit("/", 1)[1]
    before = _state(served)
    with served.client() as c:
        for bad in [*_tamper(token), prefs]:  # a preferences token is no unsubscribe token
            if not bad:
                continue
            r = c.post(f"/u/{bad}", content=b"List-Unsubscribe=One-Click")
            assert 400 <= r.status_code < 500, (bad, r.status_code)
            assert 400 <= c.get(f"/u/{bad}").status_code < 500
        for bad in _tamper(prefs)[:4]:
            assert 400 <= c.get(f"/p/{bad}").status_code < 500
            assert 400 <= c.post(f"/p/{bad}", data={"language": "ar"}).status_code < 500
    assert _state(served) == before


def test_security_headers_everywhere(served: Served) -> None:
    sid = _member(served)
    links = links_for(served.settings)
    paths = ["/healthz", "/subscribe", "/archive/", "/static/site.css", "/nope",
             _local(served, links.unsubscribe_url(sid)),
             _local(served, links.preferences_url(sid))]  # fmt: skip
    with served.client() as c:
        for path in paths:
            h = c.get(path).headers
            csp = h["content-security-policy"]
            assert "frame-ancestors 'self'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            assert h["x-content-type-options"] == "nosniff"
            assert h["x-frame-options"] == "SAMEORIGIN"
            assert h["referrer-policy"] == "no-referrer"
        assert c.get("/healthz").text == "ok"
        assert c.head("/healthz").status_code == 200  # load balancers check with HEAD too


def test_pages_follow_token_then_accept_language_then_source(served: Served) -> None:
    sid = _member(served, lang="ar")
    path = _local(served, links_for(served.settings).unsubscribe_url(sid))
    with served.client() as c:
        page = c.get(path, headers={"accept-language": "de"}).text
        assert '<html lang="ar" dir="rtl">' in page
        assert (
            '<html lang="de" dir="ltr">'
            in c.get("/subscribe", headers={"accept-language": "de-AT,fr;q=0.5"}).text
        )
        assert (
            '<html lang="pt-PT" dir="ltr">'
            in c.get("/subscribe", headers={"accept-language": "pt"}).text
        )
        assert (
            '<html lang="en" dir="ltr">'
            in c.get("/subscribe", headers={"accept-language": "sw, *;q=0.1"}).text
        )
        assert (
            '<html lang="en" dir="ltr">'
            in c.get("/subscribe", headers={"accept-language": ";;q=,,"}).text
        )


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m is not None
    return m.group(1)


def test_preferences_need_csrf_and_save(served: Served) -> None:
    sid = _member(served)
    path = _local(served, links_for(served.settings).preferences_url(sid))
    with served.client() as c:
        page = c.get(path)
        token = _csrf(page.text)
        before = _state(served)
        form = {
            "language": "uk",
            "topics": ["event"],
            "segments": ["researchers"],
            "paused_until": "",
        }
        assert c.post(path, data=form).status_code == 403  # no field
        assert c.post(path, data={**form, "csrf": "forged.value"}).status_code == 403
        with served.client() as stranger:  # a field without its cookie
            assert stranger.post(path, data={**form, "csrf": token}).status_code == 403
        assert _state(served) == before
        ok = c.post(path, data={**form, "csrf": token})
        assert ok.status_code == 200 and '<html lang="uk"' in ok.text
        bad = c.post(path, data={**form, "csrf": token, "paused_until": "1999-01-01"})
        assert bad.status_code == 400
    with served.store.session() as s:
        row = s.get(SubscriberRow, sid)
        assert row is not None
        assert (row.language, row.topics, row.segments, row.paused_until) == (
            "uk",
            ["event"],
            ["researcher"],
            None,
        )


def test_subscribe_confirm_and_same_answer(served: Served) -> None:
    _member(served, "known@example.org")
    with served.client() as c:
        page = c.get("/subscribe")
        token = _csrf(page.text)
        answers = []
        for addr in ("known@example.org", "new@example.org"):
            r = c.post(
                "/subscribe",
                data={
                    "csrf": token,
                    "email": addr,
                    "name": "N",
                    "language": "ar",
                    "consent": "yes",
                },
            )
            answers.append((r.status_code, re.sub(r'value="[^"]*"', "", r.text)))
        assert answers[0] == answers[1] and answers[0][0] == 200
        no_consent = c.post(
            "/subscribe", data={"csrf": token, "email": "x@example.org", "language": "en"}
        )
        assert no_consent.status_code == 400
        files = list((served.outbox / "opt-in").glob("*.eml"))
        assert len(files) == 1  # only the new address gets a confirmation email
        msg = email.message_from_bytes(files[0].read_bytes(), policy=default)
        assert msg["Content-Language"] == "ar"
        link = re.search(
            r"https://news\.example\.org(/confirm/[A-Za-z0-9_-]+)",
            msg.get_body(("plain",)).get_content(),
        )  # type: ignore[union-attr]
        assert link is not None
        before = _state(served)
        assert c.get(link.group(1)).status_code == 200 and _state(served) == before  # GET: nothing
        done = c.post(link.group(1))
        assert done.status_code == 200 and 'dir="rtl"' in done.text
        assert c.post(link.group(1)).status_code == 200  # idempotent
    with served.store.session() as s:
        row = s.scalars(select(SubscriberRow).where(SubscriberRow.email == "new@example.org")).one()
        assert row.state == "confirmed"
        event = s.scalars(select(ConsentEventRow).where(ConsentEventRow.action == "confirmed")
                          .order_by(ConsentEventRow.id.desc())).first()  # fmt: skip
        assert (
            event is not None and event.method == "double-opt-in" and event.source == "web:confirm"
        )
        assert event.at is not None


def test_subscribe_is_throttled_per_client_address(served: Served) -> None:
    with served.client() as c:
        token = _csrf(c.get("/subscribe").text)
        codes = [
            c.post(
                "/subscribe", data={"csrf": token, "email": f"p{i}@example.org", "consent": "yes"}
            ).status_code
            for i in range(8)
        ]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    with served.client() as c:
        assert c.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/u/AQEAAAAAAAAAAAcAAAAA1dHSuqr5", "/p/abc", "/confirm/xyz/"])
def test_token_paths_are_redacted_in_logs(path: str) -> None:
    assert "AQE" not in redact_path(path) and "abc" not in redact_path(path)


def test_no_token_in_the_access_log(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    sid = _member(served)
    path = _local(served, links_for(served.settings).unsubscribe_url(sid))
    token = path.rsplit("/", 1)[1]
    import logging
    import time

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "hrc_outreach.web.access"]

    with caplog.at_level(logging.INFO, logger="hrc_outreach.web.access"), served.client() as c:
        c.post(path, content=b"List-Unsubscribe=One-Click")
        # the server logs once the answer is sent, in its own thread: wait for the line
        deadline = time.monotonic() + 10
        while not any(line.startswith("POST /u/") for line in lines()):
            assert time.monotonic() < deadline, lines()
            time.sleep(0.02)
    assert any(line.startswith("POST /u/… 200") for line in lines()), lines()
    assert all(token not in r.getMessage() and "ana@" not in r.getMessage() for r in caplog.records)


def test_archive_serves_the_published_folder(served: Served, tmp_path: Path) -> None:
    root = served.settings.resolve(served.settings.out_dir) / "archive"
    (root / "fr").mkdir(parents=True)
    (root / "index.html").write_text("<html><body>langs</body></html>", encoding="utf-8")
    (root / "fr" / "index.html").write_text(
        "<html><body>fr editions</body></html>", encoding="utf-8"
    )
    (root / "fr" / "feed.atom").write_text(
        "<feed xmlns='http://www.w3.org/2005/Atom'/>", encoding="utf-8"
    )
    with served.client() as c:
        assert c.get("/archive/").text.startswith("<html><body>langs")
        assert "fr editions" in c.get("/archive/fr/").text
        feed = c.get("/archive/fr/feed.atom")
        assert feed.status_code == 200 and feed.headers["content-type"].startswith(
            "application/atom+xml"
        )
        assert "script-src 'self'" in feed.headers["content-security-policy"]
        assert c.get("/archive/../store.db").status_code == 404
        assert isinstance(c, httpx.Client)
