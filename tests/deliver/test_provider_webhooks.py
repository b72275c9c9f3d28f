"""Webhook payloads from Brevo, SendGrid and Postmark -> suppression events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from hrc_outreach.deliver.base import SuppressionEvent
from hrc_outreach.deliver.base import SuppressionReason as R
from hrc_outreach.deliver.webhooks import parse_webhook
from hrc_outreach.errors import ProviderError

BREVO: list[dict[str, Any]] = [
    {"event": "hard_bounce", "email": "gone@example.org", "id": 1, "date": "2026-10-02 10:00:00",
     "ts": 1791021600, "message-id": "<1@relay>", "reason": "550 no such user"},
    {"event": "soft_bounce", "email": "full@example.org", "ts": 1791021600},
    {"event": "spam", "email": "angry@example.org", "ts_event": 1791021601},
    {"event": "unsubscribed", "email": "bye@example.org", "date": "2026-10-02 10:00:02"},
    {"event": "delivered", "email": "happy@example.org", "ts": 1791021600},
]  # fmt: skip
SENDGRID: list[dict[str, Any]] = [
    {"email": "gone@example.org", "timestamp": 1791021600, "event": "bounce", "type": "bounce",
     "reason": "550 5.1.1 unknown user", "status": "5.1.1", "sg_message_id": "x.1",
     "subscriber_id": "4"},
    {"email": "blocked@example.org", "timestamp": 1791021600, "event": "bounce", "type": "blocked",
     "reason": "421 try later"},
    {"email": "angry@example.org", "timestamp": 1791021601, "event": "spamreport"},
    {"email": "bye@example.org", "timestamp": 1791021602, "event": "unsubscribe"},
    {"email": "bye2@example.org", "timestamp": 1791021603, "event": "group_unsubscribe",
     "asm_group_id": 1},
    {"email": "late@example.org", "timestamp": 1791021604, "event": "deferred"},
    {"email": "drop@example.org", "timestamp": 1791021604, "event": "dropped",
     "reason": "Bounced Address"},
]  # fmt: skip
POSTMARK: list[dict[str, Any]] = [
    {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "Email": "gone@example.org",
     "BouncedAt": "2026-10-02T10:00:00Z", "Description": "The server was unable to deliver",
     "MessageStream": "broadcast", "Metadata": {"subscriber_id": "4"}},
    {"RecordType": "Bounce", "Type": "SoftBounce", "TypeCode": 4096, "Email": "full@example.org",
     "BouncedAt": "2026-10-02T10:00:00Z"},
    {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": "angry@example.org",
     "BouncedAt": "2026-10-02T10:00:01.1234567-04:00"},
    {"RecordType": "SubscriptionChange", "Recipient": "bye@example.org", "SuppressSending": True,
     "SuppressionReason": "ManualSuppression", "ChangedAt": "2026-10-02T10:00:02Z"},
    {"RecordType": "SubscriptionChange", "Recipient": "back@example.org",
     "SuppressSending": False, "ChangedAt": "2026-10-02T10:00:03Z"},
    {"RecordType": "Delivery", "Recipient": "happy@example.org"},
]  # fmt: skip
EXPECTED = {
    "brevo": {("gone@example.org", R.HARD_BOUNCE), ("angry@example.org", R.COMPLAINT),
              ("bye@example.org", R.UNSUBSCRIBED)},
    "sendgrid": {("gone@example.org", R.HARD_BOUNCE), ("angry@example.org", R.COMPLAINT),
                 ("bye@example.org", R.UNSUBSCRIBED), ("bye2@example.org", R.UNSUBSCRIBED)},
    "postmark": {("gone@example.org", R.HARD_BOUNCE), ("angry@example.org", R.COMPLAINT),
                 ("bye@example.org", R.UNSUBSCRIBED)},
}  # fmt: skip
PAYLOADS: dict[str, list[dict[str, Any]]] = {
    "brevo": BREVO,
    "sendgrid": SENDGRID,
    "postmark": POSTMARK,
}


@pytest.mark.parametrize("provider", list(PAYLOADS))
def test_hard_bounces_complaints_and_unsubscribes_only(provider: str) -> None:
    events: list[SuppressionEvent] = []
    for e in PAYLOADS[provider]:  # one delivery per event, as bytes (Brevo, Postmark) ...
        events += parse_webhook(provider, json.dumps(e).encode())
    assert {(e.email, e.reason) for e in events} == EXPECTED[provider]
    assert all(e.provider == provider and e.at.tzinfo is not None for e in events)
    # ... or all at once, as a list (SendGrid batches its events)
    assert len(parse_webhook(provider, PAYLOADS[provider])) == len(events)


def test_times_are_read_in_utc() -> None:
    (e,) = parse_webhook("postmark", POSTMARK[2])
    assert e.at == datetime(2026, 10, 2, 14, 0, 1, 123456, tzinfo=UTC)
    (s,) = parse_webhook("sendgrid", SENDGRID[0])
    assert s.at == datetime.fromtimestamp(1791021600, UTC)
    assert s.detail == "550 5.1.1 unknown user"


def test_bad_payloads_are_clear_errors() -> None:
    with pytest.raises(ProviderError, match="not JSON"):
        parse_webhook("brevo", b"<html>")
    with pytest.raises(ProviderError, match="no webhook parser for provider 'smtp'"):
        parse_webhook("smtp", {})
    assert parse_webhook("sendgrid", [{"event": "bounce"}]) == []  # no address: nothing to do


def test_a_malformed_event_in_a_batch_loses_nothing_else() -> None:
    batch = [SENDGRID[0], {"event": "spamreport", "email": "x@example.org", "timestamp": "soon"}]
    assert [e.email for e in parse_webhook("sendgrid", batch)] == ["gone@example.org"]
    with pytest.raises(ProviderError, match="unexpected event format"):
        parse_webhook("sendgrid", batch[1])
