"""The one small protocol every machine translator implements, and what they share.

A translator sends one request per batch (:meth:`Translator.translate_batch`); splitting into
batches within the engine's limits is :func:`batches`, so the policy can record every batch in the
translation memory as soon as it arrives (a failure later loses nothing already translated).
"""

from __future__ import annotations

import html as htmllib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import httpx

from hrc_outreach import retrying
from hrc_outreach.errors import TranslationError


@runtime_checkable
class Translator(Protocol):
    """A machine translator over HTTP. ``name`` is the engine recorded in the memory."""

    name: str
    max_texts: int
    max_bytes: int

    def supports(self, target: str) -> bool:
        """Whether the engine translates into ``target`` (a configured code such as ``pt_PT``)."""
        ...

    def translate_batch(
        self, texts: Sequence[str], *, source: str, target: str, html: bool
    ) -> list[str]:
        """One request: ``texts`` (within the limits) translated, in order."""
        ...


def text_bytes(text: str) -> int:
    # JSON-escaped size is what counts against a request limit; quotes and a comma per text.
    return len(text.encode("utf-8")) + 4


def batches(texts: Sequence[str], max_texts: int, max_bytes: int) -> Iterator[list[int]]:
    """Indexes of ``texts`` grouped into batches of at most ``max_texts`` and ``max_bytes``.

    >>> list(batches(["a", "b", "c"], 2, 1000))
    [[0, 1], [2]]
    """
    batch: list[int] = []
    size = 0
    for i, text in enumerate(texts):
        n = text_bytes(text)
        if batch and (len(batch) >= max_texts or size + n > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(i)
        size += n
    if batch:
        yield batch


def plain_to_html(text: str) -> str:
    """A plain-text title as HTML, so every field is translated the same way (tags kept)."""
    return htmllib.escape(text, quote=False)


def html_to_plain(text: str) -> str:
    """The inverse of :func:`plain_to_html` for a translated plain field: entities read back, a
    tag the text had before it was escaped kept as written. Not an HTML → text conversion (that
    is ``hrc_outreach.htmltext.html_to_text``): the field was never HTML."""
    return htmllib.unescape(text)


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), else ``default``."""
    wait = retrying.retry_after(response.headers)
    return default if wait is None else wait


class HttpTranslator:
    """Shared HTTP plumbing: retries on 429/5xx/network faults with backoff, honouring
    ``Retry-After`` (capped), and error messages that name the engine, the URL and what to do."""

    name = "http"
    max_texts = 50
    max_bytes = 128 * 1024
    fatal_statuses: frozenset[int] = frozenset({401, 403})

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        api_key: str | None,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep

    def _post(self, path: str, **kwargs: object) -> httpx.Response:
        return self._request("POST", path, **kwargs)

    def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        url = self.base_url + path
        last = ""
        policy = retrying.RetryPolicy(
            attempts=self.retries + 1, base=self.backoff, cap=self.max_wait
        )
        for attempt in range(self.retries + 1):
            wait: float | None = None
            try:
                response = self.client.request(method, url, **kwargs)  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                # translating twice costs quota, never harm: a 5xx is safe to try again
                verdict = retrying.classify(status, response.headers, idempotent_reads=True)
                if verdict is retrying.Verdict.OK:
                    return response
                if verdict is not retrying.Verdict.RETRY:
                    self._refuse(url, response)
                last = f"HTTP {status}"
                wait = retrying.retry_after(response.headers)
            if not policy.gives_up(attempt):
                self.sleep(policy.delay(attempt, retry_after=wait))
        raise TranslationError(
            f"{self.name}: {url} still failing after {self.retries + 1} attempts ({last}); "
            "the strings fall back per the translation policy — try again later",
            retryable=True,
        )

    def _refuse(self, url: str, response: httpx.Response) -> None:
        """A 4xx that retrying will not fix."""
        status = response.status_code
        detail = response.text[:300].strip()
        fatal = status in self.fatal_statuses
        if status in (401, 403):
            hint = f"check the API key (HRC_{self.name.upper()}_API_KEY)"
        else:
            hint = "the request was refused; the strings fall back per the translation policy"
        raise TranslationError(
            f"{self.name}: {url} answered HTTP {status} {detail!r}: {hint}",
            fatal=fatal,
        )
