"""What the HTTP providers share: one request, and the mapping of its failures to ProviderError.

Which failures are safe to send again is the provider's to say (:meth:`HttpProvider.retry_safe`);
the default, for providers without idempotency keys (FACTS.md, "Faults seen from outside"):

- connect errors and pool timeouts: the request never left, so retryable and not in doubt;
- 429, and 503 with Retry-After: the provider refused it, retryable and not in doubt;
- any other 5xx, read/write timeouts and dropped connections after sending: IN DOUBT, since a
  gateway error can come back after the provider accepted the batch. Only a provider with
  idempotency keys (Brevo) may resend it, with the same key, within its key window;
- other 4xx: not retryable, with the provider's own message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import httpx

from hrc_outreach import retrying
from hrc_outreach.config import Table
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import Batch, Recipient

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


retry_after = retrying.retry_after  # one parser for every client (seconds, HTTP date, reset epoch)


def error_message(response: httpx.Response) -> str:
    """The provider's own words about a failed request (its JSON ``message``, else the text)."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:500].strip()
    if isinstance(body, dict):
        for key in ("message", "Message", "error", "errors"):
            if key in body:
                value = body[key]
                if isinstance(value, list):
                    return "; ".join(
                        str(v.get("message", v)) if isinstance(v, dict) else str(v) for v in value
                    )
                return str(value)
    return json.dumps(body)[:500]


RetrySafe = Callable[[int, Mapping[str, str]], bool]


def refused_before_accepting(status: int, headers: Mapping[str, str]) -> bool:
    """The default answer to "was nothing accepted?" (:func:`hrc_outreach.retrying.classify`):
    408, 429, or 503 with a Retry-After.

    >>> refused_before_accepting(502, {})
    False
    """
    return retrying.classify(status, headers) is retrying.Verdict.RETRY


def raise_for(
    provider: str,
    response: httpx.Response,
    *,
    reset_headers: Iterable[str] = (),
    retry_safe: RetrySafe = refused_before_accepting,
) -> None:
    """Raise the right :class:`ProviderError` for a non-2xx answer."""
    status = response.status_code
    if 200 <= status < 300:
        return
    what = f"{provider}: {response.request.method} {response.request.url.path} answered {status}"
    msg = error_message(response)
    wait = retry_after(response.headers, reset_headers)
    after = f" after {wait:.0f} s" if wait is not None else ""
    if retry_safe(status, response.headers):
        raise ProviderError(
            f"{what}: {msg}; nothing was accepted, will retry{after}",
            provider=provider,
            status=status,
            retryable=True,
            retry_after=wait,
        )
    if status >= 500:
        # A gateway error can follow acceptance: only an idempotency key makes a resend safe.
        raise ProviderError(
            f"{what}: {msg}; the provider may have accepted the request before failing",
            provider=provider,
            status=status,
            retryable=True,
            retry_after=wait,
            in_doubt=True,
        )
    hint = "check the API key" if status in (401, 403) else "fix the request or the account"
    raise ProviderError(f"{what}: {msg} ({hint})", provider=provider, status=status)


async def request(
    client: httpx.AsyncClient,
    provider: str,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    json_body: Any = None,
    params: Mapping[str, Any] | None = None,
    reset_headers: Iterable[str] = (),
    retry_safe: RetrySafe = refused_before_accepting,
) -> httpx.Response:
    """Send one request; any failure becomes a :class:`ProviderError` that says what to do."""
    try:
        response = await client.request(
            method, url, headers=dict(headers), json=json_body, params=params
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise ProviderError(
            f"{provider}: cannot reach {url} ({type(exc).__name__}: {exc}); will retry",
            provider=provider,
            retryable=True,
        ) from exc
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        # The request was (at least partly) sent: the provider may have accepted it.
        raise ProviderError(
            f"{provider}: no answer from {url} after sending ({type(exc).__name__}); the batch "
            "may or may not have been accepted",
            provider=provider,
            retryable=True,
            in_doubt=True,
        ) from exc
    raise_for(provider, response, reset_headers=reset_headers, retry_safe=retry_safe)
    return response


def webhook_objects(payload: Any) -> list[dict[str, Any]]:
    """The event objects of a provider's webhook body (one object or a list; others skipped)."""
    events = payload if isinstance(payload, list) else [payload]
    return [e for e in events if isinstance(e, dict)]


Outcome = dict[str, dict[int, str]]  # "failed" | "in_doubt" | "not_sent" -> subscriber id -> why


def no_outcome() -> Outcome:
    """The per-recipient outcomes of a batch before any of its requests answered."""
    return {"failed": {}, "in_doubt": {}, "not_sent": {}}


def part_failed(
    outcome: Outcome,
    exc: ProviderError,
    part: Iterable[Recipient],
    rest: Iterable[Recipient],
    earlier: str,
) -> None:
    """One request of a split batch failed after ``earlier`` ones were accepted: its recipients
    are in doubt, not sent or failed as the error says, the later ones (``rest``) not sent."""
    where = "in_doubt" if exc.in_doubt else "not_sent" if exc.retryable else "failed"
    outcome[where].update({r.subscriber_id: str(exc) for r in part})
    outcome["not_sent"].update(
        {r.subscriber_id: f"not sent: an earlier {earlier} failed ({exc})" for r in rest}
    )


class HttpProvider:
    """Base of the HTTP providers: a base URL, a key, and a client owned by the caller (or us)."""

    name: ClassVar[str] = "http"
    default_base_url: ClassVar[str] = ""
    # headers that give the provider's rate-limit reset time, besides Retry-After
    reset_headers: ClassVar[tuple[str, ...]] = ()
    # the provider's own [delivery.<name>] table, read into ``self.options``
    settings_model: ClassVar[type[Table]] = Table
    idempotent: ClassVar[bool] = False
    # how long the provider remembers an idempotency key (0: it has none)
    idempotency_window_seconds: ClassVar[float] = 0.0

    @staticmethod
    def retry_safe(status: int, headers: Mapping[str, str]) -> bool:
        """True when an answer with ``status`` certainly means the provider accepted nothing."""
        return refused_before_accepting(status, headers)

    async def lookup(self, batch: Batch) -> dict[int, str] | None:
        """What the provider accepted of a batch, by subscriber id (its message ids), from its own
        logs; None when it offers no such look-up. Used to settle in-doubt recipients."""
        return None

    def __init__(
        self,
        settings: Any,
        client: httpx.AsyncClient | None = None,
        *,
        base_url: str | None = None,
        api_key: str,
    ) -> None:
        self.settings = settings
        self.options = settings.delivery.provider_settings(self.name, self.settings_model)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self._api_key = api_key
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)

    @property
    def _auth(self) -> dict[str, str]:
        """The headers of every request: the provider's own way of giving the key."""
        raise NotImplementedError

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One call of the provider's API at ``base_url + path``, its failures read by
        :func:`request` with this provider's reset headers and :meth:`retry_safe`."""
        return await request(
            self.client,
            self.name,
            method,
            f"{self.base_url}{path}",
            headers=self._auth,
            json_body=json_body,
            params=params,
            reset_headers=self.reset_headers,
            retry_safe=self.retry_safe,
        )

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()
