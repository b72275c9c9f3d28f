"""Postmark against a local server speaking its API; request bodies checked against its spec."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import SuppressionReason
from hrc_outreach.deliver.providers.postmark import PostmarkProvider
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import Batch, SendResult
from tests.conftest import require_shared
from tests.support.provider_data import batch, recipient, run
from tests.support.provider_http import ProviderServer, postmark_api
from tests.support.provider_specs import SPECS, validate_body, validate_query

KEY = "pm-server-token"


def send(server: ProviderServer, b: Batch, settings: Settings | None = None) -> SendResult:
    async def go() -> SendResult:
        async with httpx.AsyncClient(timeout=5) as client:
            p = PostmarkProvider(
                settings or Settings(), client, base_url=server.base_url, api_key=KEY
            )
            return await p.send(b)

    return run(go())


def test_one_message_per_recipient_filled_locally() -> None:
    with ProviderServer(postmark_api(KEY)) as server:
        result = send(server, batch(2), Settings(delivery={"postmark": {"stream": "newsletter"}}))
    (req,) = server.requests
    assert req.path == "/email/batch" and req.headers["x-postmark-server-token"] == KEY
    m1, m2 = req.json
    assert m1["To"] == '"Ana 1 & <Co>" <reader1@example.org>'
    assert m1["MessageStream"] == "newsletter"
    assert m1["Metadata"] == {"subscriber_id": "1", "job": "3", "batch": "7"}
    assert "Bonjour Ana 1 &amp; &lt;Co&gt;," in m1["HtmlBody"]
    assert "Se désabonner : https://outreach.example.org/u/tok1.sig?x=1&y=2" in m1["TextBody"]
    assert "tok2.sig" in m2["TextBody"] and "tok1" not in m2["TextBody"]
    headers = {h["Name"]: h["Value"] for h in m1["Headers"]}
    assert headers["List-Unsubscribe"].startswith("<https://outreach.example.org/u/tok1.sig")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert result.accepted and set(result.message_ids) == {1, 2} and not result.failed


def test_partial_acceptance_reports_each_refused_recipient() -> None:
    b = batch(recipients=(recipient(1), recipient(2, email="inactive@example.org"), recipient(3)))
    with ProviderServer(postmark_api(KEY)) as server:
        result = send(server, b)
    assert result.accepted
    assert set(result.message_ids) == {1, 3}
    assert set(result.failed) == {2} and "406" in result.failed[2]


def test_all_refused_is_an_error() -> None:
    b = batch(recipients=(recipient(1, email="inactive@example.org"),))
    with ProviderServer(postmark_api(KEY)) as server:
        with pytest.raises(ProviderError, match="refused every message") as err:
            send(server, b)
    assert not err.value.retryable


def test_requests_validate_against_postmark_spec() -> None:
    require_shared(SPECS)
    full = batch(recipients=tuple(recipient(i) for i in range(PostmarkProvider.max_recipients)))
    with ProviderServer(postmark_api(KEY)) as server:
        send(server, batch(2, test=True))
        send(server, full)
    for req in server.requests:
        validate_body("postmark", req.json)
    assert len(server.requests[1].json) == 500


def test_spec_allows_exactly_message_stream_and_metadata_as_extras() -> None:
    require_shared(SPECS)
    ok = {"From": "a@example.org", "To": "b@example.org", "MessageStream": "broadcast",
          "Metadata": {"job": "1"}}  # fmt: skip
    validate_body("postmark", [ok])
    with pytest.raises(Exception, match="Additional properties"):
        validate_body("postmark", [{**ok, "TemplateModel": {}}])


def test_a_body_over_50_mb_is_split_in_order() -> None:
    from tests.support.provider_data import message

    big = message(html="<p>" + "x" * 150_000 + " [[name]]</p>")
    b = batch(recipients=tuple(recipient(i) for i in range(1, 401)), msg=big)
    with ProviderServer(postmark_api(KEY)) as server:
        result = send(server, b)
    assert len(server.requests) == 2
    assert [len(r.json) for r in server.requests] == [200, 200]
    assert all(len(r.body) < 50_000_000 for r in server.requests)
    assert len(result.message_ids) == 400


def test_suppressions_bounces_and_dump() -> None:
    async def go(server: ProviderServer):  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(timeout=5) as client:
            p = PostmarkProvider(Settings(), client, base_url=server.base_url, api_key=KEY)
            return await p.suppressions(datetime(2026, 9, 1, tzinfo=UTC))

    with ProviderServer(postmark_api(KEY)) as server:
        events = run(go(server))
    got = sorted((e.email, e.reason.value) for e in events)
    assert got == [
        ("angry@example.org", SuppressionReason.COMPLAINT.value),
        ("bye@example.org", SuppressionReason.UNSUBSCRIBED.value),
        ("gone@example.org", SuppressionReason.HARD_BOUNCE.value),  # once, not twice
    ]
    assert server.requests[-1].path == "/message-streams/broadcast/suppressions/dump"
    if SPECS.exists():  # the dump endpoint is newer than the published spec
        for r in server.requests[:-1]:
            validate_query("postmark", r.path, "GET", r.query)
