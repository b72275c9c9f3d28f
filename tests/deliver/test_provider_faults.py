"""How each HTTP provider reports 429, 5xx, 4xx, timeouts and unreachable servers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from hrc_outreach.config import Settings
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import SendResult
from tests.support.provider_data import batch, run
from tests.support.provider_http import (
    Handler,
    ProviderServer,
    Reply,
    brevo_api,
    postmark_api,
    sendgrid_api,
)

KEY = "k-test"
APIS: dict[str, Callable[[str], Handler]] = {
    "brevo": brevo_api,
    "sendgrid": sendgrid_api,
    "postmark": postmark_api,
}
BAD_REQUEST = {
    "brevo": {"code": "invalid_parameter", "message": "sender email is not valid"},
    "sendgrid": {"errors": [{"field": "from.email", "message": "sender email is not valid"}]},
    "postmark": {"ErrorCode": 300, "Message": "sender email is not valid"},
}


def send(name: str, base_url: str, *, timeout: float = 5.0) -> SendResult:
    async def go() -> SendResult:
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=2.0)) as client:
            env = {f"HRC_{name.upper()}_API_KEY": KEY, f"HRC_{name.upper()}_BASE_URL": base_url}
            return await provider_for(Settings(), client, name=name, env=env).send(batch(2))

    return run(go())


@pytest.fixture(params=list(APIS))
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_429_with_retry_after_is_retryable(name: str) -> None:
    with ProviderServer(APIS[name](KEY)) as server:
        server.script(Reply(429, {"message": "Too many requests"}, {"Retry-After": "7"}))
        with pytest.raises(ProviderError) as err:
            send(name, server.base_url)
        assert send(name, server.base_url).accepted  # the next request goes through
    e = err.value
    assert (e.retryable, e.retry_after, e.in_doubt, e.status) == (True, 7.0, False, 429)
    assert e.provider == name


def test_brevo_rate_limit_reset_header() -> None:
    with ProviderServer(brevo_api(KEY)) as server:
        server.script(Reply(429, {"message": "rate"}, {"x-sib-ratelimit-reset": "3"}))
        with pytest.raises(ProviderError) as err:
            send("brevo", server.base_url)
    assert err.value.retryable and err.value.retry_after == 3.0


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_gateway_error_is_in_doubt_not_safe_to_retry_blindly(name: str, status: int) -> None:
    # A 5xx can come back after the provider accepted the batch (FACTS.md): only an idempotency
    # key makes sending it again harmless, so it is "in doubt", never "nothing was sent".
    with ProviderServer(APIS[name](KEY)) as server:
        server.script(Reply(status, {"message": "internal"}))
        with pytest.raises(ProviderError) as err:
            send(name, server.base_url)
    assert err.value.in_doubt and err.value.status == status
    assert "may have accepted" in str(err.value)


def test_503_with_retry_after_is_safe_to_retry(name: str) -> None:
    with ProviderServer(APIS[name](KEY)) as server:
        server.script(Reply(503, {"message": "maintenance"}, {"Retry-After": "2"}))
        with pytest.raises(ProviderError) as err:
            send(name, server.base_url)
    assert err.value.retryable and not err.value.in_doubt and err.value.retry_after == 2.0


def test_503_without_retry_after_is_in_doubt(name: str) -> None:
    with ProviderServer(APIS[name](KEY)) as server:
        server.script(Reply(503, {"message": "unavailable"}))
        with pytest.raises(ProviderError) as err:
            send(name, server.base_url)
    assert err.value.in_doubt


def test_400_is_final_with_the_providers_message(name: str) -> None:
    status = 422 if name == "postmark" else 400
    with ProviderServer(APIS[name](KEY)) as server:
        server.script(Reply(status, BAD_REQUEST[name]))
        with pytest.raises(ProviderError, match="sender email is not valid") as err:
            send(name, server.base_url)
    assert not err.value.retryable and err.value.status == status


def test_wrong_key_says_to_check_it(name: str) -> None:
    with ProviderServer(APIS[name]("another-key")) as server:
        with pytest.raises(ProviderError, match="check the API key") as err:
            send(name, server.base_url)
    assert not err.value.retryable and err.value.status == 401


def test_read_timeout_after_sending_is_in_doubt(name: str) -> None:
    with ProviderServer(APIS[name](KEY)) as server:
        server.script(Reply(200, {}, delay=1.5))
        with pytest.raises(ProviderError) as err:
            send(name, server.base_url, timeout=0.3)
        assert len(server.requests) == 1  # it did arrive
    assert err.value.in_doubt and err.value.retryable


def test_unreachable_server_is_retryable_and_not_in_doubt(name: str) -> None:
    with ProviderServer(APIS[name](KEY)) as server:
        url = server.base_url  # closed once the block ends: nothing listens on it any more
    with pytest.raises(ProviderError, match="cannot reach") as err:
        send(name, url)
    assert err.value.retryable and not err.value.in_doubt
