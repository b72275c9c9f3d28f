"""Brevo against a local server speaking its API; request bodies checked against Brevo's spec."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import SuppressionReason
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.providers.brevo import BrevoProvider
from hrc_outreach.models import SendResult
from tests.conftest import require_shared
from tests.support.provider_data import batch, recipient, run
from tests.support.provider_http import ProviderServer, Recorded, brevo_api
from tests.support.provider_specs import SPECS, validate_body, validate_query

KEY = "xkeysib-test"


def send(server: ProviderServer, b, settings: Settings | None = None) -> SendResult:  # type: ignore[no-untyped-def]
    async def go() -> SendResult:
        async with httpx.AsyncClient(timeout=5) as client:
            env = {"HRC_BREVO_API_KEY": KEY, "HRC_BREVO_BASE_URL": server.base_url}
            provider = provider_for(settings or Settings(), client, name="brevo", env=env)
            return await provider.send(b)

    return run(go())


def posted(server: ProviderServer) -> list[Recorded]:
    return [r for r in server.requests if r.method == "POST"]


def test_one_version_per_recipient_with_params_and_idempotency_key() -> None:
    with ProviderServer(brevo_api(KEY)) as server:
        b = batch(3)
        result = send(server, b)
    (req,) = posted(server)
    assert req.path == "/v3/smtp/email" and req.headers["api-key"] == KEY
    body = req.json
    assert result.accepted and len(set(result.message_ids.values())) == 3
    assert body["headers"]["idempotencyKey"] == b.idempotency_key
    assert body["headers"]["List-Unsubscribe"] == (
        "<{{ params.unsubscribe_url }}>, <{{ params.unsubscribe_mailto }}>"
    )
    # these test recipients have no tokenised mailto (audience.links builds it): the bare address
    assert body["messageVersions"][0]["params"]["unsubscribe_mailto"] == (
        "mailto:unsubscribe@humanrightscities.net?subject=unsubscribe"
    )
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert body["sender"] == {"name": "Human Rights Cities Network",
                              "email": "newsletter@humanrightscities.net"}  # fmt: skip
    assert "{{ params.unsubscribe_url_html }}" in body["htmlContent"]
    assert "{{ params.unsubscribe_url }}" in body["textContent"]
    assert "[[" not in body["htmlContent"] + body["textContent"]
    versions = body["messageVersions"]
    assert [v["to"] for v in versions] == [[{"email": r.email, "name": r.name}]
                                           for r in b.recipients]  # fmt: skip
    p = versions[0]["params"]
    assert p["unsubscribe_url"] == "https://outreach.example.org/u/tok1.sig?x=1&y=2"
    assert p["unsubscribe_url_html"] == "https://outreach.example.org/u/tok1.sig?x=1&amp;y=2"
    assert p["name_html"] == "Ana 1 &amp; &lt;Co&gt;"


def test_mailto_mode_sends_no_templated_header() -> None:
    settings = Settings(delivery={"brevo": {"list_unsubscribe": "mailto"}})
    with ProviderServer(brevo_api(KEY)) as server:
        send(server, batch(1, test=True), settings)
    body = posted(server)[0].json
    assert body["headers"]["List-Unsubscribe"] == (
        "<mailto:unsubscribe@humanrightscities.net?subject=unsubscribe>"
    )
    assert "List-Unsubscribe-Post" not in body["headers"]
    assert body["subject"].startswith("[TEST] ")


def test_requests_validate_against_brevo_spec() -> None:
    require_shared(SPECS)
    full = batch(recipients=tuple(recipient(i) for i in range(BrevoProvider.max_recipients)))
    with ProviderServer(brevo_api(KEY)) as server:
        send(server, batch(2))
        send(server, full)
        send(server, batch(1, test=True), Settings(delivery={"brevo": {"list_unsubscribe": "mailto"}}))
    assert len(posted(server)) == 3
    for req in posted(server):
        validate_body("brevo", req.json)
    assert len(posted(server)[1].json["messageVersions"]) == 2000


def test_spec_validation_catches_a_bad_body() -> None:
    require_shared(SPECS)
    with pytest.raises(Exception, match="messageVersions"):
        validate_body("brevo", {"subject": "x", "messageVersions": [{"params": {}}]})


def test_suppressions_pull_all_pages() -> None:
    async def go(server: ProviderServer):  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(timeout=5) as client:
            p = BrevoProvider(Settings(), client, base_url=server.base_url, api_key=KEY)
            return await p.suppressions(datetime(2026, 9, 1, tzinfo=UTC))

    with ProviderServer(brevo_api(KEY)) as server:
        events = run(go(server))
    gets = [r for r in server.requests if r.method == "GET"]
    assert [r.query["offset"] for r in gets] == [["0"], ["100"]]
    assert len(events) == 150
    by_email = {e.email: e.reason for e in events}
    assert by_email["gone@example.org"] is SuppressionReason.HARD_BOUNCE
    assert by_email["angry@example.org"] is SuppressionReason.COMPLAINT
    assert by_email["bye@example.org"] is SuppressionReason.UNSUBSCRIBED
    if SPECS.exists():
        for r in gets:
            validate_query("brevo", r.path, "GET", r.query)


def test_params_hold_only_what_the_message_uses() -> None:
    from tests.support.provider_data import message

    plain = tuple(
        r.model_copy(update={"name": "Ana", "params": {**r.params, "name": "Ana",
                     "unsubscribe_url": f"https://o.example.org/u/t{r.subscriber_id}"}})
        for r in batch(2).recipients
    )  # fmt: skip
    msg = message(html="<p>[[name]] <a href='[[unsubscribe_url]]'>x</a></p>", text="[[name]]")
    with ProviderServer(brevo_api(KEY)) as server:
        send(server, batch(recipients=plain, msg=msg))
    body = posted(server)[0].json
    assert body["messageVersions"][0]["params"] == {
        "name": "Ana", "unsubscribe_url": "https://o.example.org/u/t1",
        "unsubscribe_mailto": "mailto:unsubscribe@humanrightscities.net?subject=unsubscribe",
    }  # fmt: skip
    assert "_html" not in body["htmlContent"]


def test_a_batch_over_the_params_limit_is_split_with_stable_part_keys() -> None:
    long = tuple(
        r.model_copy(update={"params": {**r.params, "preferences_url": "https://p/" + "x" * 600}})
        for r in (recipient(i) for i in range(2000))
    )
    b = batch(recipients=long)
    with ProviderServer(brevo_api(KEY)) as server:
        result = send(server, b)
        send(server, b)  # a resend: the same parts with the same keys
    n = len(posted(server)) // 2
    first, second = posted(server)[:n], posted(server)[n:]
    assert len(first) >= 2
    assert sum(len(r.json["messageVersions"]) for r in first) == 2000
    for r in first:  # Brevo: at most 1,000 KB of params across one request's versions
        assert sum(len(json.dumps(v["params"])) for v in r.json["messageVersions"]) < 1_000_000
    keys = [r.json["headers"]["idempotencyKey"] for r in first]
    assert len(set(keys)) == len(keys) and b.idempotency_key not in keys
    assert keys == [r.json["headers"]["idempotencyKey"] for r in second]
    assert len(result.message_ids) == 2000
