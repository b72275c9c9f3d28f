"""SendGrid batches as SendGrid posts them: 1,000 events applied in one request, the same
delivery again (a retry) changes nothing, and deliveries arriving at once over the same people
are all applied, each address suppressed once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, SuppressionRow

from .conftest import Served
from .test_webhooks import sign

KINDS = ["bounce", "spamreport", "delivered", "unsubscribe", "open", "dropped"]


def _seed(served: Served, n: int) -> None:
    with served.store.session() as s:
        s.add_all(
            SubscriberRow(email=f"p{i}@example.org", state="confirmed", language="en")
            for i in range(n)
        )


def _batch(start: int, n: int, people: int) -> bytes:
    return json.dumps(
        [
            {
                "email": f"P{(start + i) % people}@Example.org",
                "timestamp": 1791021600 + i,
                "event": KINDS[i % len(KINDS)],
                "type": "bounce",
                "sg_event_id": f"e{start}-{i}",
            }
            for i in range(n)
        ]
    ).encode()


def _counts(served: Served) -> tuple[dict[str, int], int, int]:
    with served.store.session() as s:
        states = dict(
            s.execute(select(SubscriberRow.state, func.count()).group_by(SubscriberRow.state))
            .tuples()
            .all()
        )
        log = s.scalar(select(func.count()).select_from(ConsentEventRow)) or 0
        supp = s.scalar(select(func.count()).select_from(SuppressionRow)) or 0
    return states, log, supp


def test_a_batch_of_1000_then_its_retry(served: Served) -> None:
    _seed(served, 1200)
    raw = _batch(0, 1000, 1200)
    with served.client() as c:
        r = c.post("/webhooks/sendgrid", content=raw, headers=sign(served.sendgrid_key, raw))
        assert r.status_code == 200
        # bounce, spamreport, unsubscribe suppress; delivered, open, dropped do not
        applied = sum(
            1 for i in range(1000) if KINDS[i % 6] in ("bounce", "spamreport", "unsubscribe")
        )
        assert r.json() == {"events": applied, "changed": applied}
        after = _counts(served)
        assert after[0] == {
            "confirmed": 1200 - applied,
            "bounced": 167,
            "complained": 167,
            "unsubscribed": 167,  # i % 6 == 0, 1, 3 for i < 1000
        }
        assert after[1:] == (applied, applied)
        again = c.post("/webhooks/sendgrid", content=raw, headers=sign(served.sendgrid_key, raw))
        assert again.status_code == 200 and again.json() == {"events": applied, "changed": 0}
    assert _counts(served) == after


def test_deliveries_at_once_over_the_same_people(served: Served) -> None:
    people = 300
    _seed(served, people)
    bodies = [_batch(start, 600, people) for start in (0, 50, 100, 150, 200, 250)]
    with served.client() as c:

        def post(raw: bytes) -> int:
            r = c.post("/webhooks/sendgrid", content=raw, headers=sign(served.sendgrid_key, raw))
            return r.status_code

        with ThreadPoolExecutor(len(bodies)) as pool:
            codes = list(pool.map(post, bodies))
    assert codes == [200] * len(bodies), codes
    states, log, supp = _counts(served)
    # every address got a suppressing event in some delivery: each suppressed once, logged once
    assert states.get("confirmed", 0) == 0 and supp == people
    assert log == people
