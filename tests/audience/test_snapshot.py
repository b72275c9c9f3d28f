from __future__ import annotations

from hrc_outreach.audience.snapshot import (
    AudienceMember,
    audience_snapshot,
    email_hash,
    is_suppressed,
)
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow, SuppressionRow


def test_only_confirmed_unsuppressed_in_id_order_with_configured_languages(store: Store) -> None:
    with store.session() as s:
        s.add_all(
            [
                SubscriberRow(email="c1@example.org", state="confirmed", language="ar", name="C1"),
                SubscriberRow(email="p@example.org", state="pending", language="fr"),
                SubscriberRow(email="u@example.org", state="unsubscribed", language="fr"),
                SubscriberRow(email="b@example.org", state="bounced", language="fr"),
                SubscriberRow(email="s@example.org", state="confirmed", language="fr"),
                SubscriberRow(
                    email="c2@example.org", state="confirmed", language="sw", segments=["city"]
                ),
                SubscriberRow(email="c3@example.org", state="confirmed", language="pt-PT"),
            ]
        )
        s.add(SuppressionRow(email_hash=email_hash("S@example.org"), reason="complained"))
    with store.session() as s:
        members = audience_snapshot(s, languages=["en", "fr", "ar", "pt_PT"])
        assert members == [
            AudienceMember(subscriber_id=1, email="c1@example.org", name="C1", language="ar"),
            AudienceMember(subscriber_id=6, email="c2@example.org", name="", language="en"),
            AudienceMember(subscriber_id=7, email="c3@example.org", name="", language="pt_PT"),
        ]
        assert [m.subscriber_id for m in audience_snapshot(s, segments=["city"])] == [6]
        assert audience_snapshot(s)[1].language == "sw"  # no languages given: as stored
        assert is_suppressed(s, " s@EXAMPLE.org") and not is_suppressed(s, "c1@example.org")


def test_email_hash_normal_form() -> None:
    assert email_hash("Ana@Example.org ") == email_hash("ana@example.org")
    assert len(email_hash("x@example.org")) == 64
    assert email_hash("josé@exämple.org") == email_hash("JOSÉ@EXÄMPLE.ORG")
