"""Webhooks against a real uvicorn: each provider's documented payloads (the same ones
tests/deliver replays through the parsers), authenticated as that provider allows; hard bounces
and complaints suppress; duplicates harmless; forged signatures, wrong credentials and malformed
bodies change nothing."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from hrc_outreach.audience.addresses import email_hash
from hrc_outreach.audience.consent import confirm, subscribe
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, SuppressionRow
from tests.deliver.test_provider_webhooks import BREVO, POSTMARK, SENDGRID

from .conftest import BREVO_AUTH, BREVO_TOKEN, POSTMARK_AUTH, Served

ADDRESSES = ["gone@example.org", "angry@example.org", "bye@example.org", "full@example.org",
             "happy@example.org", "blocked@example.org"]  # fmt: skip


def _people(served: Served) -> None:
    with served.store.session() as s:
        for addr in ADDRESSES:
            sub, token = subscribe(s, served.settings, addr, "", "en")
            assert token is not None
            confirm(s, served.settings, token)


def _state(served: Served) -> tuple[dict[str, str], int, int]:
    with served.store.session() as s:
        states = dict(s.execute(select(SubscriberRow.email, SubscriberRow.state)).tuples().all())
        log = s.scalar(select(func.count()).select_from(ConsentEventRow)) or 0
        supp = s.scalar(select(func.count()).select_from(SuppressionRow)) or 0
    return states, log, supp


def sign(key: ec.EllipticCurvePrivateKey, body: bytes, ts: str | None = None) -> dict[str, str]:
    """SendGrid's signed event webhook headers for ``body``."""
    ts = ts or str(int(time.time()))
    sig = key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": ts,
        "content-type": "application/json",
    }


def _basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _post(served: Served, provider: str, body: bytes, headers: dict[str, str]) -> Any:
    with served.client() as c:
        return c.post(f"/webhooks/{provider}", content=body, headers=headers)


def _deliveries(served: Served) -> list[tuple[str, bytes, dict[str, str]]]:
    sg = json.dumps(SENDGRID).encode()
    out = [("sendgrid", sg, sign(served.sendgrid_key, sg))]
    out += [("postmark", json.dumps(e).encode(), _basic(*POSTMARK_AUTH)) for e in POSTMARK]
    for i, e in enumerate(BREVO):  # Brevo: bearer token or basic auth, both configured
        auth = {"authorization": f"Bearer {BREVO_TOKEN}"} if i % 2 else _basic(*BREVO_AUTH)
        out.append(("brevo", json.dumps(e).encode(), auth))
    return out


@pytest.mark.parametrize("provider", ["sendgrid", "postmark", "brevo"])
def test_documented_payloads_suppress_and_duplicates_are_harmless(
    served: Served, provider: str
) -> None:
    _people(served)
    deliveries = [d for d in _deliveries(served) if d[0] == provider]
    for _p, body, headers in deliveries:
        r = _post(served, provider, body, headers)
        assert r.status_code == 200, r.text
    states, log, supp = _state(served)
    assert states["gone@example.org"] == "bounced"
    assert states["angry@example.org"] == "complained"
    assert states["bye@example.org"] == "unsubscribed"
    assert states["full@example.org"] == "confirmed"  # a soft bounce suppresses nobody
    assert states["happy@example.org"] == "confirmed"
    assert states["blocked@example.org"] == "confirmed"  # SendGrid "blocked" is temporary
    with served.store.session() as s:
        assert s.get(SuppressionRow, email_hash("gone@example.org")) is not None
    for _p, body, headers in deliveries:  # the same deliveries again (provider retries)
        if provider == "sendgrid":
            headers = sign(served.sendgrid_key, body)
        assert _post(served, provider, body, headers).status_code == 200
    assert _state(served) == (states, log, supp)


def test_forged_signature_or_credentials_change_nothing(served: Served) -> None:
    _people(served)
    before = _state(served)
    sg = json.dumps(SENDGRID).encode()
    other_key = ec.generate_private_key(ec.SECP256R1())
    good = sign(served.sendgrid_key, sg)
    forged = [
        sign(other_key, sg),  # another key
        {**good, "X-Twilio-Email-Event-Webhook-Timestamp": str(int(time.time()) + 1)},  # moved ts
        {**good, "X-Twilio-Email-Event-Webhook-Signature": "bm90IGEgc2lnbmF0dXJl"},
        {**good, "X-Twilio-Email-Event-Webhook-Signature": "%%%"},
        {"content-type": "application/json"},  # unsigned
    ]
    for headers in forged:
        assert _post(served, "sendgrid", sg, headers).status_code == 401
    # the signed body, altered (one more event)
    altered = json.dumps([*SENDGRID, {"email": "happy@example.org", "event": "spamreport",
                                      "timestamp": 1}]).encode()  # fmt: skip
    assert _post(served, "sendgrid", altered, good).status_code == 401
    pm = json.dumps(POSTMARK[0]).encode()
    for headers in [_basic("postmark-hook", "wrong"), _basic("x", POSTMARK_AUTH[1]), {},
                    {"authorization": "Basic !!!"}, {"authorization": f"Bearer {BREVO_TOKEN}"}]:  # fmt: skip
        assert _post(served, "postmark", pm, headers).status_code == 401
    br = json.dumps(BREVO[0]).encode()
    for headers in [{"authorization": "Bearer nope"}, _basic(*POSTMARK_AUTH), {},
                    {"authorization": BREVO_TOKEN}]:  # fmt: skip
        assert _post(served, "brevo", br, headers).status_code == 401
    assert _post(served, "mailchimp", br, {}).status_code == 404
    assert _state(served) == before


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"{", b'"a string"', b"42", b"\xff\xfe", b"null"],
)
def test_malformed_bodies_are_400_and_change_nothing(served: Served, body: bytes) -> None:
    _people(served)
    before = _state(served)
    assert _post(served, "sendgrid", body, sign(served.sendgrid_key, body)).status_code == 400
    assert _post(served, "postmark", body, _basic(*POSTMARK_AUTH)).status_code == 400
    assert (
        _post(served, "brevo", body, {"authorization": f"Bearer {BREVO_TOKEN}"}).status_code == 400
    )
    # the wrong shape for the provider: SendGrid posts an array, Postmark an object
    obj = json.dumps(SENDGRID[0]).encode()
    assert _post(served, "sendgrid", obj, sign(served.sendgrid_key, obj)).status_code == 400
    arr = json.dumps(POSTMARK).encode()
    assert _post(served, "postmark", arr, _basic(*POSTMARK_AUTH)).status_code == 400
    assert _state(served) == before


def test_unconfigured_provider_is_refused(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    import hrc_outreach.web.webhooks as hooks
    from hrc_outreach.web.webhooks import WebhookCredentials

    assert hooks.authenticate("postmark", WebhookCredentials(), {}, b"{}") == 503
    assert hooks.authenticate("sendgrid", WebhookCredentials(), {}, b"[]") == 503
    assert hooks.authenticate("brevo", WebhookCredentials(), {}, b"{}") == 503
