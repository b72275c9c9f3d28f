"""The staff page's erasure (issue 13): an address nothing is stored about is refused (400) and
leaves no suppression; erasing a person deletes their kept copies (outbox .eml files) too."""

from __future__ import annotations

from contextlib import closing

from sqlalchemy import func, select

from hrc_outreach.store import open_store
from hrc_outreach.store.tables import SuppressionRow
from tests.web.staff.conftest import Served, csrf_of, login


def _suppressions(served: Served) -> int:
    store = open_store(served.settings)
    try:
        with store.session() as s:
            return int(s.scalar(select(func.count()).select_from(SuppressionRow)) or 0)
    finally:
        store.dispose()


def test_erase_refuses_an_unknown_address_and_deletes_kept_copies(served: Served) -> None:
    outbox = served.settings.resolve(served.settings.delivery.outbox_dir) / "tests"
    outbox.mkdir(parents=True, exist_ok=True)
    kept = outbox / "test-en.eml"
    kept.write_text("To: <kept.person@example.org>\nSubject: test\n\nhello\n")
    with closing(login(served.url, "admin")) as c:
        token = csrf_of(c.get("/staff/subscribers").text)
        before = _suppressions(served)
        r = c.post(
            "/staff/subscribers/erase",
            data={"csrf": token, "email": "never.seen@example.org", "confirm": "yes"},
        )
        assert r.status_code == 400 and "nothing is stored" in r.text
        assert _suppressions(served) == before
        r = c.post(
            "/staff/subscribers/erase",
            data={"csrf": token, "email": "Kept.Person@example.org", "confirm": "yes"},
        )
        assert r.status_code == 200, r.text
        assert not kept.exists() and _suppressions(served) == before + 1
