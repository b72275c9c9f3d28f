"""SendGrid against a local server speaking its API; request bodies checked against its spec."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import SuppressionReason
from hrc_outreach.deliver.providers.sendgrid import SendGridProvider
from hrc_outreach.models import Batch, SendResult
from tests.conftest import require_shared
from tests.support.provider_data import batch, recipient, run
from tests.support.provider_http import ProviderServer, sendgrid_api
from tests.support.provider_specs import SPECS, validate_body, validate_query

KEY = "SG.test"


def send(server: ProviderServer, b: Batch) -> SendResult:
    async def go() -> SendResult:
        async with httpx.AsyncClient(timeout=5) as client:
            p = SendGridProvider(Settings(), client, base_url=server.base_url, api_key=KEY)
            return await p.send(b)

    return run(go())


def test_personalizations_substitutions_headers_and_custom_args() -> None:
    b = batch(2)
    with ProviderServer(sendgrid_api(KEY)) as server:
        result = send(server, b)
    (req,) = server.requests
    assert req.path == "/v3/mail/send" and req.headers["authorization"] == f"Bearer {KEY}"
    assert result.accepted and len(result.message_ids) == 2
    assert result.message_ids[1].startswith("sg")
    body = req.json
    assert SendGridProvider.idempotent is False
    text = next(c["value"] for c in body["content"] if c["type"] == "text/plain")
    html = next(c["value"] for c in body["content"] if c["type"] == "text/html")
    assert "[[unsubscribe_url]]" in text and "[[unsubscribe_url_html]]" in html
    p1 = body["personalizations"][0]
    assert p1["to"] == [{"email": "reader1@example.org", "name": "Ana 1 & <Co>"}]
    assert p1["substitutions"]["[[unsubscribe_url]]"] == (
        "https://outreach.example.org/u/tok1.sig?x=1&y=2"
    )
    assert p1["substitutions"]["[[name_html]]"] == "Ana 1 &amp; &lt;Co&gt;"
    assert p1["headers"]["List-Unsubscribe"].startswith(
        "<https://outreach.example.org/u/tok1.sig?x=1&y=2>, <mailto:"
    )
    assert p1["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert p1["custom_args"] == {"subscriber_id": "1", "job_id": "3", "batch_id": "7"}
    assert body["personalizations"][1]["custom_args"]["subscriber_id"] == "2"


def test_requests_validate_against_sendgrid_spec() -> None:
    require_shared(SPECS)
    full = batch(recipients=tuple(recipient(i) for i in range(SendGridProvider.max_recipients)))
    with ProviderServer(sendgrid_api(KEY)) as server:
        send(server, batch(2, test=True))
        send(server, full)
    for req in server.requests:
        validate_body("sendgrid", req.json)
    assert len(server.requests[1].json["personalizations"]) == 1000


def test_suppressions_from_the_three_lists() -> None:
    async def go(server: ProviderServer):  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(timeout=5) as client:
            p = SendGridProvider(Settings(), client, base_url=server.base_url, api_key=KEY)
            return await p.suppressions(datetime(2026, 9, 1, tzinfo=UTC))

    with ProviderServer(sendgrid_api(KEY)) as server:
        events = run(go(server))
    got = {(e.email, e.reason) for e in events}
    assert got == {
        ("gone@example.org", SuppressionReason.HARD_BOUNCE),
        ("angry@example.org", SuppressionReason.COMPLAINT),
        ("bye@example.org", SuppressionReason.UNSUBSCRIBED),
    }  # the 4.2.2 "mailbox full" bounce is temporary: not a suppression
    assert {r.path for r in server.requests} == {
        "/v3/suppression/bounces", "/v3/suppression/spam_reports", "/v3/suppression/unsubscribes",
    }  # fmt: skip
    assert server.requests[0].query["start_time"] == [str(int(datetime(2026, 9, 1, tzinfo=UTC)
                                                               .timestamp()))]  # fmt: skip
    if SPECS.exists():
        for r in server.requests:
            validate_query("sendgrid", r.path, "GET", r.query)
