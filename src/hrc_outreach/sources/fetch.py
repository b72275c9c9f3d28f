"""The production :class:`~hrc_outreach.sources.base.Reader`: files, and HTTP over a shared httpx client.

Conditional GET (the validators come from the ``source_state`` table via :mod:`.gather`), retries
with exponential backoff on network faults, 5xx and 429 (honouring ``Retry-After``, capped), a
timeout per request and a size limit per response (streamed: a huge answer is never held whole).

>>> reader = HttpReader(httpx.AsyncClient(), Settings())  # doctest: +SKIP
>>> doc = await reader.read(source_config)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.sources.base import Document

MAX_RETRY_AFTER_SECONDS = 60.0
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Validators:
    """What a server said about a response, to ask next time "only if it changed"."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class _Response:
    status: int
    content: bytes
    headers: dict[str, str]  # lower-case names
    url: str


@dataclass
class FetchStats:
    """Counters for a run (the bench prints them)."""

    requests: int = 0
    not_modified: int = 0
    bytes: int = 0
    retries: int = 0


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), or None when absent or bad.

    >>> retry_after_seconds("3")
    3.0
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpReader:
    """Reads sources' URLs and files for gathering; one per run (or per source), sharing a client.

    ``validators`` holds the stored ETag/Last-Modified by source name; after a 200, the new ones are
    in :attr:`fetched` (gathering stores them only once the items are safely stored).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        validators: Mapping[str, Validators] | None = None,
        source: str = "",
        stats: FetchStats | None = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.validators = dict(validators or {})
        self.fetched: dict[str, Validators] = {}
        self.source = source
        self.stats = stats if stats is not None else FetchStats()

    # ------------------------------------------------------------------------------ Reader API

    async def read(self, config: SourceConfig) -> Document | None:
        """The source's ``url`` or ``path`` (a file); None when the server answered 304."""
        if config.url:
            return await self._read_url(config)
        if config.path is not None:
            return await asyncio.to_thread(self._read_file, config)
        raise SourceError(
            "has neither url nor path; set one in its [[sources]] table", source=config.name
        )

    async def get_json(
        self, url: str, params: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, str]]:
        """GET ``url`` as JSON (for paginated APIs): (data, response headers, lower-case names)."""
        resp = await self._get(url, params=params, extra_headers={"Accept": "application/json"})
        try:
            data = json.loads(resp.content)
        except ValueError as exc:
            raise SourceError(f"{url} did not answer JSON ({exc})", source=self.source) from exc
        return data, resp.headers

    # ------------------------------------------------------------------------------- internals

    def _read_file(self, config: SourceConfig) -> Document:
        assert config.path is not None
        path = self.settings.resolve(config.path)
        limit = self.settings.fetch.max_response_bytes
        try:
            if path.is_dir():
                raise SourceError(f"{path} is a folder, not a file", source=config.name)
            size = path.stat().st_size
            if size > limit:
                raise SourceError(
                    f"{path} is {size} bytes, over the limit of {limit} "
                    "(raise [fetch] max_response_bytes)",
                    source=config.name,
                )
            content = path.read_bytes()
        except FileNotFoundError as exc:
            raise SourceError(
                f"file {path} does not exist; check its path (relative to the configuration file)",
                source=config.name,
            ) from exc
        except OSError as exc:
            raise SourceError(
                f"cannot read {path}: {exc.strerror or exc}", source=config.name
            ) from exc
        base = str(config.options.get("base_url") or _file_uri(path))
        return Document(content=content, base_url=base, content_type="")

    async def _read_url(self, config: SourceConfig) -> Document | None:
        assert config.url is not None
        known = self.validators.get(config.name, Validators())
        resp = await self._get(config.url, extra_headers=known.headers(), source=config.name)
        headers = resp.headers
        if resp.status == 304:
            return None
        self.fetched[config.name] = Validators(
            etag=headers.get("etag"), last_modified=headers.get("last-modified")
        )
        # Relative links resolve against where the document really is (after redirects).
        base = resp.url
        if headers.get("content-location"):
            base = urljoin(base, headers["content-location"])
        return Document(
            content=resp.content, base_url=base, content_type=headers.get("content-type", "")
        )

    async def _get(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> _Response:
        """One GET with retries: 2xx or 304; raises SourceError for anything else."""
        source = self.source if source is None else source
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise SourceError(f"URL {url!r} is not http(s)", source=source)
        fetch = self.settings.fetch
        headers = {"User-Agent": fetch.user_agent, **(extra_headers or {})}
        attempts = max(0, fetch.retries) + 1
        last: SourceError | None = None
        for attempt in range(attempts):
            delay: float | None = None
            try:
                resp = await self._once(url, params, headers, source)
            except SourceError as exc:
                if not exc.retryable:
                    raise
                last = exc
            else:
                if resp.status not in _RETRY_STATUSES:
                    return resp
                last = SourceError(
                    f"{url} answered HTTP {resp.status}{_reason(resp.status)}",
                    source=source,
                    retryable=True,
                )
                delay = retry_after_seconds(resp.headers.get("retry-after"))
            if attempt + 1 >= attempts:
                break
            if delay is None:
                # Exponential backoff with jitter so many sources do not retry in step.
                delay = fetch.backoff_seconds * (2**attempt) * (1 + random.random() / 4)
            self.stats.retries += 1
            await asyncio.sleep(min(delay, MAX_RETRY_AFTER_SECONDS))
        assert last is not None
        raise SourceError(
            f"{last.args[0]} (gave up after {attempts} attempts)", source=source, retryable=True
        )

    async def _once(
        self, url: str, params: dict[str, Any] | None, headers: dict[str, str], source: str
    ) -> _Response:
        limit = self.settings.fetch.max_response_bytes
        timeout = httpx.Timeout(self.settings.fetch.timeout_seconds)
        self.stats.requests += 1
        try:
            async with self.client.stream(
                "GET", url, params=params, headers=headers, timeout=timeout, follow_redirects=True
            ) as resp:
                resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                status = resp.status_code
                final_url = str(resp.url)
                if status == 304:
                    self.stats.not_modified += 1
                    return _Response(status, b"", resp_headers, final_url)
                if status in _RETRY_STATUSES:
                    return _Response(status, b"", resp_headers, final_url)
                if status >= 400 or status < 200:
                    raise SourceError(
                        f"{url} answered HTTP {status}{_reason(status)}", source=source
                    )
                declared = resp_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise SourceError(_too_big(url, limit), source=source)
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > limit:  # stop reading: never hold more than the limit
                        raise SourceError(_too_big(url, limit), source=source)
                    chunks.append(chunk)
                self.stats.bytes += resp.num_bytes_downloaded
                return _Response(status, b"".join(chunks), resp_headers, final_url)
        except httpx.TimeoutException as exc:
            raise SourceError(
                f"{url} timed out after {self.settings.fetch.timeout_seconds:g} s",
                source=source,
                retryable=True,
            ) from exc
        except httpx.TransportError as exc:  # connection refused, DNS, reset, bad TLS...
            detail = str(exc) or type(exc).__name__
            raise SourceError(
                f"cannot fetch {url}: {detail}", source=source, retryable=True
            ) from exc
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot fetch {url}: {exc}", source=source) from exc


def _reason(status: int) -> str:
    try:
        phrase = httpx.codes.get_reason_phrase(status)
    except Exception:
        phrase = ""
    return f" {phrase}" if phrase else ""


def _too_big(url: str, limit: int) -> str:
    return (
        f"{url} is larger than {limit} bytes (raise [fetch] max_response_bytes if it is expected)"
    )


def _file_uri(path: Path) -> str:
    try:
        return path.resolve().as_uri()
    except ValueError:
        return ""
