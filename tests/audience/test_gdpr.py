from __future__ import annotations

import json

from sqlalchemy import select

from hrc_outreach.audience.consent import confirm, subscribe
from hrc_outreach.audience.gdpr import erase_person, export_person
from hrc_outreach.audience.importer import import_csv
from hrc_outreach.audience.snapshot import audience_snapshot, email_hash, is_suppressed
from hrc_outreach.config import Settings
from hrc_outreach.store import Store
from hrc_outreach.store.tables import (
    ConsentEventRow,
    SendRecipientRow,
    SubscriberRow,
)
from tests.support.ledger_data import add_accepted


def _person_with_history(store: Store, settings: Settings) -> int:
    with store.session() as s:
        sub, token = subscribe(s, settings, "Hanna@example.org", "Hanna Kowalska", "pl", "form")
        assert sub is not None and token is not None
        confirm(s, settings, token)
        add_accepted(
            s,
            "2026-12",
            "pl",
            subscriber_id=sub.id,
            email="hanna@example.org",
            name="Hanna Kowalska",
            message_id="<m1@example>",
        )
        return sub.id


def test_export_holds_everything(store: Store, settings: Settings) -> None:
    sid = _person_with_history(store, settings)
    with store.session() as s:
        data = export_person(s, "HANNA@example.org")
    assert data["subscriber"]["id"] == sid and data["subscriber"]["name"] == "Hanna Kowalska"
    assert [c["action"] for c in data["consent_log"]] == ["subscribed", "confirmed"]
    assert data["sends"] == [
        {
            "edition": "2026-12",
            "provider": "outbox",
            "language": "pl",
            "state": "accepted",
            "message_id": "<m1@example>",
        }
    ]
    assert data["suppression"] is None
    json.dumps(data)  # JSON-ready


def test_erase_leaves_no_personal_data_and_suppresses(
    store: Store, settings: Settings, tmp_path
) -> None:
    sid = _person_with_history(store, settings)
    with store.session() as s:
        report = erase_person(s, "hanna@example.org")
    assert report.subscriber_deleted and report.send_records_pseudonymised == 1
    hashed = email_hash("hanna@example.org")
    with store.session() as s:
        assert s.get(SubscriberRow, sid) is None
        sent = s.scalars(select(SendRecipientRow)).one()
        assert sent.email == hashed  # the ledger still counts, without knowing who
        assert sent.name == ""
        log = s.scalars(select(ConsentEventRow).order_by(ConsentEventRow.id)).all()
        assert [e.action for e in log] == ["subscribed", "confirmed", "erased"]
        assert all(e.subscriber_id is None and e.email_hash == hashed for e in log)
        assert all(e.detail == {} for e in log)
        assert is_suppressed(s, "hanna@example.org")
        dump = json.dumps(export_person(s, "hanna@example.org")["consent_log"])
        assert "hanna" not in dump.lower() and "Kowalska" not in dump
        assert audience_snapshot(s) == []
        # never again: neither a form nor an import brings the address back
        assert subscribe(s, settings, "hanna@example.org", "H", "pl", "form") == (None, None)
    path = tmp_path / "again.csv"
    path.write_text("email,consent date\nhanna@example.org,2026-01-01\n")
    with store.session() as s:
        result = import_csv(s, settings, path).as_json()
    assert result["imported"] == 0 and "was erased" in result["rejected"][0]["reason"]
    with store.session() as s:  # a second erasure is harmless
        assert not erase_person(s, "hanna@example.org").subscriber_deleted
