"""The staff pages over real HTTP: sign-in (cookie flags, throttling in the store), previews,
translation review, approval bound to the shown hashes, test sends, subscribers."""

from __future__ import annotations

import re
from contextlib import closing
from email import message_from_bytes, policy

import httpx
from sqlalchemy import delete, select

from hrc_outreach.store import Store
from hrc_outreach.store.tables import ApprovalRow, ItemTranslationRow, StaffLoginFailureRow

from .conftest import ACCOUNTS, EDITION, MACHINE_FR, PASSWORD, Served, csrf_of, login


def _store(served: Served) -> Store:
    return Store(served.settings.database_url)


def test_sign_in_sets_a_strict_session_cookie_and_wrong_passwords_are_throttled(
    served: Served,
) -> None:
    with httpx.Client(base_url=served.url) as c:
        token = csrf_of(c.get("/staff/login").text)
        r = c.post(
            "/staff/login",
            data={
                "email": ACCOUNTS["editor"],
                "password": PASSWORD,
                "csrf": token,
                "next": "https://evil.example/",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/staff/"  # no open redirect
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("hrc_staff="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/staff" in cookie
        assert "Secure" not in cookie  # loopback: plain http is allowed
    with httpx.Client(base_url=served.url) as c:
        token = csrf_of(c.get("/staff/login").text)
        codes = [
            c.post(
                "/staff/login",
                data={"email": ACCOUNTS["admin"].upper(), "password": f"wrong-{i}", "csrf": token},
            ).status_code
            for i in range(6)
        ]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        # even the right password waits now: the counter is in the store, not in this process
        r = c.post(
            "/staff/login", data={"email": ACCOUNTS["admin"], "password": PASSWORD, "csrf": token}
        )
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    store = _store(served)  # the window would last 15 minutes: let the other tests sign in
    with store.session() as s:
        s.execute(delete(StaffLoginFailureRow))
    store.dispose()


def test_pages_render_in_english_and_arabic_for_every_role(served: Served) -> None:
    pages = [
        "/staff/",
        f"/staff/editions/{EDITION}",
        f"/staff/editions/{EDITION}/preview/fr",
        f"/staff/editions/{EDITION}/preview/ar",
        f"/staff/editions/{EDITION}/translations/fr",
        f"/staff/editions/{EDITION}/delivery",
    ]
    with closing(login(served.url, "approver")) as c:
        for ui in ("en", "ar"):
            for p in pages:
                r = c.get(p, params={"ui": ui})
                assert r.status_code == 200, (p, r.text[:300])
                assert f'<html lang="{ui}" dir="{"rtl" if ui == "ar" else "ltr"}">' in r.text
                assert "<script" not in r.text
        assert "تسجيل الخروج" in c.get("/staff/", params={"ui": "ar"}).text  # Sign out, translated
        preview = c.get(f"/staff/editions/{EDITION}/preview/fr", params={"ui": "en"}).text
        assert preview.count('sandbox=""') == 2 and 'width="375"' in preview
        assert "origin-machine" in preview, "the machine translation is highlighted"
        assert MACHINE_FR in preview
        cards = re.findall(r'<img src="(/staff/editions/[^"]+/cards/fr/[^"]+)"', preview)
        assert cards, "the social posts show their image cards"
        card = c.get(cards[0])
        assert card.status_code == 200 and card.headers["content-type"].startswith("image/")
        assert c.get(cards[0].rsplit("/", 1)[0] + "/..%2Fmessage.json").status_code == 404
        frame = c.get(f"/staff/editions/{EDITION}/frame/fr")
        csp = frame.headers["content-security-policy"]
        assert "sandbox" in csp and "default-src 'none'" in csp and "script-src" not in csp
        assert frame.text.startswith("<!doctype html") or "<html" in frame.text[:200].lower()


def test_a_reviewed_translation_is_recorded_as_a_po_import_would_and_redrafts(
    served: Served,
) -> None:
    with closing(login(served.url, "editor")) as c:
        form = c.get(f"/staff/editions/{EDITION}/translations/fr").text
        name = f"t:{served.item}:title"
        assert f'name="{name}"' in form and MACHINE_FR in form
        before = c.get(f"/staff/editions/{EDITION}").text
        # a broken entry (an HTML tag the source lacks) refuses the whole form: nothing recorded
        r = c.post(
            f"/staff/editions/{EDITION}/translations/fr",
            data={"csrf": csrf_of(form), name: "Un <b>titre</b>"},
        )
        assert r.status_code == 422 and "HTML tags differ" in r.text
        r = c.post(
            f"/staff/editions/{EDITION}/translations/fr",
            data={"csrf": csrf_of(form), name: "Titre relu par une personne"},
        )
        assert r.status_code == 303 and r.headers["location"].endswith(
            "/preview/fr?done=translated"
        )
        preview = c.get(r.headers["location"]).text
        assert "Titre relu par une personne" in preview
        cards = re.findall(r'<img src="(/staff/editions/[^"]+/cards/fr/[^"]+)"', preview)
        assert cards, "the social posts show their image cards"
        card = c.get(cards[0])
        assert card.status_code == 200 and card.headers["content-type"].startswith("image/")
        assert c.get(cards[0].rsplit("/", 1)[0] + "/..%2Fmessage.json").status_code == 404
        frame = c.get(f"/staff/editions/{EDITION}/frame/fr").text
        assert "Titre relu par une personne" in frame, "the French draft was rendered again"
        after = c.get(f"/staff/editions/{EDITION}").text
    assert hashes(before)["fr"] != hashes(after)["fr"]
    assert hashes(before)["en"] == hashes(after)["en"], "only French was drafted again"
    store = _store(served)
    with store.session() as s:
        row = s.scalars(
            select(ItemTranslationRow).where(
                ItemTranslationRow.item_id == served.item, ItemTranslationRow.lang == "fr"
            )
        ).one()
        assert (row.text, row.review, row.provenance) == (
            "Titre relu par une personne",
            "reviewed",
            "human",
        )
    store.dispose()


def hashes(html: str) -> dict[str, str]:
    """language -> the shortened content hash an edition page shows."""
    pattern = r"<td>(\w+)</td>\s*<td lang[^>]*>.*?</td>.*?<code>(\w+)</code>"
    return dict(re.findall(pattern, html, re.S))


def test_approval_binds_to_the_hashes_shown_and_records_the_name(served: Served) -> None:
    with closing(login(served.url, "approver")) as c:
        page = c.get(f"/staff/editions/{EDITION}").text
        shown = re.search(r'name="hashes" value="([^"]+)"', page)
        assert shown
        stale = re.sub(r"fr=\w", "fr=0", shown.group(1))
        r = c.post(
            f"/staff/editions/{EDITION}/decision",
            data={"csrf": csrf_of(page), "decision": "approve", "hashes": stale},
        )
        assert r.status_code == 409 and "changed since the reviewer was shown it" in r.text
        r = c.post(
            f"/staff/editions/{EDITION}/decision",
            data={
                "csrf": csrf_of(page),
                "decision": "approve",
                "hashes": shown.group(1),
                "notes": "fine",
            },
        )
        assert r.status_code == 303, r.text[:300]
        assert "It holds for these drafts." in c.get(r.headers["location"]).text
        dash = c.get("/staff/").text
        assert "state-approved" in dash
    store = _store(served)
    with store.session() as s:
        rows = s.scalars(select(ApprovalRow).where(ApprovalRow.edition_key == EDITION)).all()
    store.dispose()
    assert [(r.decision, r.by, r.method, r.notes) for r in rows] == [
        ("approved", "Ana Approver", "web", "fine")
    ]


def test_a_test_send_goes_to_the_signed_in_person_only(served: Served) -> None:
    outbox = served.settings.resolve(served.settings.delivery.outbox_dir)
    before = set(outbox.rglob("*.eml")) if outbox.is_dir() else set()
    with closing(login(served.url, "editor")) as c:
        page = c.get(f"/staff/editions/{EDITION}").text
        r = c.post(f"/staff/editions/{EDITION}/test", data={"csrf": csrf_of(page), "lang": "ar"})
        assert r.status_code == 303 and "done=test-sent" in r.headers["location"]
    new = set(outbox.rglob("*.eml")) - before
    assert len(new) == 1
    msg = message_from_bytes(new.pop().read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == ACCOUNTS["editor"]
    assert "[TEST]" in msg["Subject"] and msg["Content-Language"] == "ar"


def test_admins_import_search_export_and_erase_subscribers(served: Served) -> None:
    from hrc_outreach.paths import SUBSCRIBERS_DIR

    csv = (SUBSCRIBERS_DIR / "example.csv").read_bytes()
    with closing(login(served.url, "admin")) as c:
        page = c.get("/staff/subscribers").text
        token = csrf_of(page)
        r = c.post(
            "/staff/subscribers/import",
            data={"csrf": token},
            files={"file": ("example.csv", csv, "text/csv")},
        )
        assert r.status_code == 200
        m = re.search(r"example\.csv: (\d+) imported, (\d+) updated", r.text)
        assert m and int(m.group(1)) > 5
        found = c.post("/staff/subscribers/search", data={"csrf": token, "q": "@"}).text
        email = re.search(r'name="email" value="([^"]+)"', found)
        assert email
        address = email.group(1)
        exported = c.post("/staff/subscribers/export", data={"csrf": token, "email": address})
        assert (
            exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        )
        assert address in exported.text
        ask = c.post("/staff/subscribers/erase", data={"csrf": token, "email": address})
        assert ask.status_code == 200 and 'name="confirm" value="yes"' in ask.text
        assert (
            address in c.post("/staff/subscribers/search", data={"csrf": token, "q": address}).text
        )
        done = c.post(
            "/staff/subscribers/erase", data={"csrf": token, "email": address, "confirm": "yes"}
        )
        assert done.status_code == 200
        again = c.post("/staff/subscribers/search", data={"csrf": token, "q": address}).text
        assert "<h3 id=" not in again.split("Import a CSV file")[0] or address not in again


def test_dropping_an_item_redrafts_without_it_and_asks_again(served: Served) -> None:
    """(Last in this module: it changes the edition.)"""
    with closing(login(served.url, "editor")) as c:
        page = c.get(f"/staff/editions/{EDITION}/preview/en").text
        assert f'name="item" value="{served.item}"' in page
        r = c.post(
            f"/staff/editions/{EDITION}/drop",
            data={"csrf": csrf_of(page), "item": served.item, "lang": "en"},
        )
        assert r.status_code == 303 and "done=dropped" in r.headers["location"]
        after = c.get(r.headers["location"]).text
        assert f'name="item" value="{served.item}"' not in after
        assert "Utrecht" not in c.get(f"/staff/editions/{EDITION}/frame/en").text
        edition = c.get(f"/staff/editions/{EDITION}").text
        assert "It holds for these drafts." not in edition  # an earlier approval is void now


def test_signing_out_ends_the_session_in_the_store(served: Served) -> None:
    c = login(served.url, "editor")
    with closing(c):
        token = csrf_of(c.get("/staff/").text)
        old = c.cookies.get("hrc_staff")
        assert c.post("/staff/logout", data={"csrf": token}).status_code == 303
    with httpx.Client(base_url=served.url, cookies={"hrc_staff": old or ""}) as replay:
        r = replay.get("/staff/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
