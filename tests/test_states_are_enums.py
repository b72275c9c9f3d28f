"""States travel as enums (issue 11): the values stored are the same strings as before."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hrc_outreach.approval import approve, latest_decision, reject
from hrc_outreach.curate.featured import record_draft, record_sent
from hrc_outreach.errors import ApprovalError
from hrc_outreach.models import ApprovalDecision, ConsentState, Edition, EditionStatus
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ApprovalRow, EditionRow, SubscriberRow
from tests.support.ledger_data import messages


def test_stored_values_are_the_strings_of_before() -> None:
    assert [s.value for s in EditionStatus] == ["draft", "sent"]
    assert [d.value for d in ApprovalDecision] == ["approved", "rejected"]
    assert SubscriberRow.__table__.c.state.default.arg == "pending" == ConsentState.PENDING
    assert EditionRow.__table__.c.status.default.arg == "draft"


def test_decisions_are_stored_and_read_as_before(sqlite_store: Store) -> None:
    msgs = messages("2026-12")
    approve(sqlite_store, "2026-12", msgs, by="Ana")
    reject(sqlite_store, "2026-12", msgs, by="Bo", notes="typo")
    with sqlite_store.session() as s:
        assert list(s.scalars(select(ApprovalRow.decision).order_by(ApprovalRow.id))) == [
            "approved",
            "rejected",
        ]
    row = latest_decision(sqlite_store, "2026-12")
    assert row is not None and row.decision == ApprovalDecision.REJECTED


def test_a_decision_on_nothing_names_the_verb(sqlite_store: Store) -> None:
    """It said "no rendered language to rejecte" (the decision cut by one letter)."""
    with pytest.raises(ApprovalError, match="no rendered language to reject$"):
        reject(sqlite_store, "2026-12", {}, by="Bo")
    with pytest.raises(ApprovalError, match="no rendered language to approve$"):
        approve(sqlite_store, "2026-12", {}, by="Bo")


def test_edition_status_draft_then_sent(sqlite_store: Store) -> None:
    edition = Edition(key="2026-12", title="T", issue_number=1, date=date(2026, 12, 1))
    with sqlite_store.session() as s:
        record_draft(s, edition)
    with sqlite_store.session() as s:
        assert s.get(EditionRow, "2026-12").status == EditionStatus.DRAFT == "draft"  # type: ignore[union-attr]
        record_sent(s, "2026-12", ["en"])
    with sqlite_store.session() as s:
        assert s.scalar(select(EditionRow.status)) == "sent"
