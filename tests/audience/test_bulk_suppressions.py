"""apply_suppressions (a webhook batch in a few bulk statements) against apply_suppression applied
to each event in turn: the same subscribers' states, suppressions and consent log, whatever the
mix of people, states, repeats and batch splits."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import apply_suppression, apply_suppressions
from hrc_outreach.models import SuppressionEvent, SuppressionReason, email_hash
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, SuppressionRow

STATES = ["pending", "confirmed", "confirmed", "unsubscribed", "bounced", "complained"]
REASONS = list(SuppressionReason)
DETAILS = ["", "550 5.1.1 user unknown", "first line\nquotes ana@example.org", "\n", "x" * 500]


def _people(store: Store, rng: random.Random, n: int) -> list[str]:
    """``n`` subscribers in mixed states, some already suppressed; the addresses events name
    (theirs in odd case, strangers', an internationalised domain)."""
    with store.session() as s:
        for i in range(n):
            state = STATES[i % len(STATES)]
            s.add(SubscriberRow(email=f"p{i}@example.org", state=state, language="en"))
            if state != "confirmed" and i % 4 == 0:
                at = datetime(2026, 1, 1, tzinfo=UTC)
                s.add(
                    SuppressionRow(email_hash=email_hash(f"p{i}@example.org"), reason=state, at=at)
                )
    named = [f"p{i}@example.org" for i in range(n)] + [f"P{i}@Example.ORG " for i in range(0, n, 3)]
    return named + ["stranger@example.net", "ana@bücher.example", "Ana@BÜCHER.example"]


def _events(rng: random.Random, addresses: list[str], count: int) -> list[SuppressionEvent]:
    base = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    out = []
    for _ in range(count):
        at = base + timedelta(seconds=rng.randrange(10_000))
        out.append(
            SuppressionEvent(
                email=rng.choice(addresses),
                reason=rng.choice(REASONS),
                at=at if rng.random() < 0.8 else at.replace(tzinfo=None),  # naive: taken as UTC
                provider=rng.choice(["sendgrid", "brevo", "postmark", "p" * 250]),
                detail=rng.choice(DETAILS),
            )
        )
    return out


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _contents(store: Store) -> tuple[Any, ...]:
    with store.session() as s:
        subs = sorted(s.execute(select(SubscriberRow.id, SubscriberRow.state)).tuples())
        supp = sorted(
            (h, reason, source, _utc(at))
            for h, reason, source, at in s.execute(
                select(
                    SuppressionRow.email_hash,
                    SuppressionRow.reason,
                    SuppressionRow.source,
                    SuppressionRow.at,
                )
            ).tuples()
        )
        log = [
            (r.subscriber_id, r.email_hash, r.action, r.method, r.source, r.detail, _utc(r.at))
            for r in s.scalars(select(ConsentEventRow).order_by(ConsentEventRow.id))
        ]
    return subs, supp, log


@pytest.mark.parametrize("seed", range(6))
def test_bulk_equals_one_at_a_time(tmp_path: Path, store: Store, seed: int) -> None:
    """The reference: apply_suppression event by event on SQLite; bulk on each engine."""
    rng = random.Random(seed)
    one, bulk = Store(f"sqlite:///{tmp_path / 'one.db'}"), store
    try:
        addresses = _people(one, random.Random(seed), 40)
        _people(bulk, random.Random(seed), 40)
        assert _contents(one) == _contents(bulk)
        events = _events(rng, addresses, 400)
        # the same deliveries again (a provider's retry): nothing changes the second time
        deliveries = [events[:150], events[150:151], events[151:], events[:150], []]
        changed_one = changed_bulk = 0
        for delivery in deliveries:
            with one.session() as s:
                changed_one += sum(apply_suppression(s, e) for e in delivery)
            with bulk.session() as s:
                changed_bulk += apply_suppressions(s, delivery)
        assert changed_bulk == changed_one > 0
        got, want = _contents(bulk), _contents(one)
        assert got[0] == want[0], "subscribers' states differ"
        assert got[1] == want[1], "suppressions differ"
        assert got[2] == want[2], "consent logs differ"
    finally:
        one.dispose()


def test_bulk_rows_held_by_the_session_are_fresh(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with store.session() as s:
            s.add(SubscriberRow(email="ana@example.org", state="confirmed", language="en"))
        with store.session() as s:
            row = s.scalars(select(SubscriberRow)).one()
            assert row.state == "confirmed"
            event = SuppressionEvent(
                email="ana@example.org",
                reason=SuppressionReason.COMPLAINT,
                at=datetime(2026, 11, 1, tzinfo=UTC),
                provider="sendgrid",
            )
            assert apply_suppressions(s, [event, event]) == 1
            assert row.state == "complained"  # not the stale value loaded before
    finally:
        store.dispose()


def test_bulk_more_addresses_than_one_lookup_holds(tmp_path: Path) -> None:
    """More distinct addresses than one IN (...) look-up takes (chunked): all applied."""
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with store.session() as s:
            s.add_all(
                SubscriberRow(email=f"p{i}@example.org", state="confirmed", language="en")
                for i in range(1_200)
            )
        at = datetime(2026, 11, 1, tzinfo=UTC)
        events = [
            SuppressionEvent(
                email=f"p{i}@example.org",
                reason=SuppressionReason.HARD_BOUNCE,
                at=at,
                provider="sendgrid",
            )
            for i in range(1_300)
        ]
        with store.session() as s:
            assert apply_suppressions(s, events) == 1_300
        with store.session() as s:
            states = set(s.scalars(select(SubscriberRow.state)))
            assert states == {"bounced"}
            assert len(s.scalars(select(SuppressionRow.email_hash)).all()) == 1_300
    finally:
        store.dispose()
