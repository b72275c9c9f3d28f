"""The production :class:`~hrc_outreach.sources.base.Reader`: files, and HTTP over a shared httpx client.

Conditional GET (the validators come from the ``source_state`` table via :mod:`.gather`), retries
with exponential backoff on network faults, 408, 429 and 5xx (honouring ``Retry-After``, capped);
permanent errors (other 4xx, a redirect to a non-http(s) or invalid URL, an undecodable body) are
never retried. Bounds that no server can stretch:

- time: a deadline for everything a reader fetches (``fetch.source_deadline_seconds``, retries
  included; gathering also passes the run's own deadline), kept by a timer of its own, because
  httpx's timeouts apply per read and a server that sends one byte a second never trips them;
- memory: ``fetch.max_response_bytes`` counts the bytes as they are decoded, layer by layer
  through every Content-Encoding (``gzip, gzip`` included), each step yielding at most 64 KiB, so
  a few-KB bomb never grows past the limit.

>>> reader = HttpReader(httpx.AsyncClient(), Settings())  # doctest: +SKIP
>>> doc = await reader.read(source_config)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.retrying import RetryPolicy, Verdict, classify, retry_after
from hrc_outreach.sources.base import Document
from hrc_outreach.urls import without_userinfo

MAX_RETRY_AFTER_SECONDS = 60.0
# What we can decode with a bounded output per step; anything else is refused, never guessed.
ACCEPT_ENCODING = "gzip, deflate"
_DECODE_STEP = 64 * 1024


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
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), or None when absent or bad
    (the one parser in :mod:`hrc_outreach.retrying`).

    >>> retry_after_seconds("3")
    3.0
    """
    return retry_after({"retry-after": value}) if value else None


class DecodeError(ValueError):
    """A body that is not what its Content-Encoding says, or an encoding we do not decode."""


class _Layer:
    """One gzip or deflate layer, decoded incrementally: each step yields at most 64 KiB."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._raw_deflate = False
        self._started = False
        self._z = self._new()

    def _new(self) -> Any:
        if self.coding == "deflate":
            return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS | 16)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._z.eof:
                # gzip: another member may follow (as `gzip -c a b`); anything else after the
                # end of the stream is padding some servers add, ignored as browsers do.
                if self.coding == "deflate" or not data.startswith(b"\x1f\x8b"):
                    return
                self._z = self._new()
            try:
                out = self._z.decompress(data, _DECODE_STEP)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._started and not self._raw_deflate:
                    # "deflate" is zlib-wrapped by the RFC; some servers send it raw.
                    self._raw_deflate = True
                    self._z = self._new()
                    continue
                raise DecodeError(f"cannot decode its {self.coding} body ({exc})") from exc
            self._started = True
            if out:
                yield out
            data = self._z.unconsumed_tail or (self._z.unused_data if self._z.eof else b"")

    def flush(self) -> bytes:
        if self._z.eof:
            return b""
        try:
            return bytes(self._z.flush())
        except zlib.error as exc:  # pragma: no cover - zlib reports this in decompress()
            raise DecodeError(f"cannot decode its {self.coding} body ({exc})") from exc


class BoundedDecoder:
    """Undoes a ``Content-Encoding`` (every layer) over a stream of raw chunks, counting decoded
    bytes as they appear: :class:`TooLarge` the moment they pass ``limit``.

    >>> import gzip
    >>> d = BoundedDecoder("gzip, gzip", limit=100)
    >>> b"".join(d.feed(gzip.compress(gzip.compress(b"hi")))) + d.finish()
    b'hi'
    """

    class TooLarge(Exception):
        pass

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        layers = []
        for coding in codings:
            if coding == "identity":
                continue
            if coding in ("gzip", "x-gzip"):
                layers.append(_Layer("gzip"))
            elif coding == "deflate":
                layers.append(_Layer("deflate"))
            else:
                raise DecodeError(
                    f"answered with Content-Encoding {coding!r}, which hrc-outreach does not "
                    f"decode (it asks for {ACCEPT_ENCODING!r})"
                )
        # The last coding listed was applied last, so it is undone first.
        self._layers = layers[::-1]
        self.limit = limit
        self.size = 0

    def _through(self, depth: int, data: bytes) -> Iterator[bytes]:
        if depth == len(self._layers):
            self.size += len(data)
            if self.size > self.limit:
                raise self.TooLarge
            yield data
            return
        for piece in self._layers[depth].feed(data):
            yield from self._through(depth + 1, piece)

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """Decoded pieces of one raw chunk (each at most 64 KiB when there is a layer)."""
        return self._through(0, raw)

    def finish(self) -> bytes:
        """What the layers still held at the end of the stream."""
        out: list[bytes] = []
        for depth, layer in enumerate(self._layers):
            out.extend(self._through(depth + 1, layer.flush()))
        return b"".join(out)


@dataclass(frozen=True)
class Deadline:
    """A moment (event-loop time) by which fetching must be over, and the setting that set it."""

    at: float
    setting: str  # "source_deadline_seconds" or "run_deadline_seconds"
    seconds: float

    @classmethod
    def after(cls, seconds: float, setting: str) -> Deadline:
        return cls(asyncio.get_running_loop().time() + seconds, setting, seconds)

    def describe(self) -> str:
        whose = "run's" if self.setting.startswith("run") else "source's"
        return f"{whose} deadline of {self.seconds:g} s ([fetch] {self.setting})"

    def missed(self, url: str) -> str:
        return f"{url} timed out: no complete answer within the {self.describe()}, retries included"


class HttpReader:
    """Reads sources' URLs and files for gathering; one per source, sharing a client.

    ``validators`` holds the stored ETag/Last-Modified by source name; after a 200, the new ones are
    in :attr:`fetched` (gathering stores them only once the items are safely stored). Everything
    the reader fetches shares one :class:`Deadline`: ``deadline`` if given, else
    ``fetch.source_deadline_seconds`` from its first request.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        validators: Mapping[str, Validators] | None = None,
        source: str = "",
        stats: FetchStats | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self.client = client
        self.deadline = deadline
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

    async def get(self, url: str) -> Document:
        """GET ``url`` within the reader's bounds (deadline, size, retries): its body and type
        (for files that are not a source, e.g. an item's photo for its image card)."""
        resp = await self._get(url)
        return Document(
            content=resp.content, base_url=resp.url, content_type=resp.headers.get("content-type", "")
        )

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
        # Relative links resolve against where the document really is (after redirects), never
        # against the credentials a source URL may hold (they would be published in every link).
        base = resp.url
        if headers.get("content-location"):
            base = urljoin(base, headers["content-location"])
        base = without_userinfo(base)
        return Document(
            content=resp.content, base_url=base, content_type=headers.get("content-type", "")
        )

    def _deadline(self) -> Deadline:
        if self.deadline is None:  # a reader on its own: the deadline starts with its first request
            self.deadline = Deadline.after(
                self.settings.fetch.source_deadline_seconds, "source_deadline_seconds"
            )
        return self.deadline

    async def _get(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
        source: str | None = None,
    ) -> _Response:
        """One GET with retries, all within the deadline: 2xx or 304; SourceError otherwise."""
        source = self.source if source is None else source
        deadline = self._deadline()
        timer = asyncio.timeout_at(deadline.at)
        try:
            async with timer:
                return await self._get_retrying(url, params, extra_headers, source, deadline)
        except TimeoutError as exc:
            if not timer.expired():
                raise
            raise SourceError(deadline.missed(url), source=source, retryable=True) from exc

    async def _get_retrying(
        self,
        url: str,
        params: dict[str, Any] | None,
        extra_headers: dict[str, str] | None,
        source: str,
        deadline: Deadline,
    ) -> _Response:
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as exc:  # e.g. "http://[::1/feed"
            raise SourceError(f"URL {url!r} is invalid ({exc})", source=source) from exc
        if scheme not in ("http", "https"):
            raise SourceError(f"URL {url!r} is not http(s)", source=source)
        fetch = self.settings.fetch
        headers = {
            "User-Agent": fetch.user_agent,
            "Accept-Encoding": ACCEPT_ENCODING,
            **(extra_headers or {}),
        }
        attempts = max(0, fetch.retries) + 1
        policy = RetryPolicy(
            attempts=attempts, base=fetch.backoff_seconds, cap=MAX_RETRY_AFTER_SECONDS
        )
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
                if classify(resp.status, resp.headers, idempotent_reads=True) is not Verdict.RETRY:
                    return resp
                last = SourceError(
                    f"{url} answered HTTP {resp.status}{_reason(resp.status)}",
                    source=source,
                    retryable=True,
                )
                delay = retry_after_seconds(resp.headers.get("retry-after"))
            if attempt + 1 >= attempts:
                break
            delay = policy.delay(attempt, retry_after=delay)
            if asyncio.get_running_loop().time() + delay >= deadline.at:
                raise SourceError(
                    f"{last.args[0]} (gave up after {attempt + 1} attempts: the next one would "
                    f"start after the {deadline.describe()})",
                    source=source,
                    retryable=True,
                )
            self.stats.retries += 1
            await asyncio.sleep(delay)
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
                if classify(status, resp_headers, idempotent_reads=True) is Verdict.RETRY:
                    return _Response(status, b"", resp_headers, final_url)
                if status >= 400 or status < 200:
                    raise SourceError(
                        f"{url} answered HTTP {status}{_reason(status)}", source=source
                    )
                declared = resp_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise SourceError(_too_big(url, limit), source=source)
                body = await self._body(resp, resp_headers, limit)
                return _Response(status, body, resp_headers, final_url)
        except BoundedDecoder.TooLarge:
            raise SourceError(_too_big(url, limit), source=source) from None
        except DecodeError as exc:
            raise SourceError(f"{url}: {exc}", source=source) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            timeout_seconds = self.settings.fetch.timeout_seconds
            raise _http_error(url, exc, timeout_seconds, source) from exc

    async def _body(self, resp: httpx.Response, headers: dict[str, str], limit: int) -> bytes:
        """The decoded body, up to ``limit`` bytes both on the wire and decoded (else TooLarge)."""
        # httpx would decode a whole chunk at once (a few KB of `gzip, gzip` can be GBs):
        # read raw bytes and decode them here, counting every decoded byte.
        if resp.is_stream_consumed:  # built whole in memory (httpx.MockTransport)
            if len(resp.content) > limit:
                raise BoundedDecoder.TooLarge
            return resp.content
        decoder = BoundedDecoder(headers.get("content-encoding", ""), limit)
        chunks: list[bytes] = []
        async for raw in resp.aiter_raw():
            if resp.num_bytes_downloaded > limit:
                raise BoundedDecoder.TooLarge
            chunks.extend(decoder.feed(raw))
        chunks.append(decoder.finish())
        self.stats.bytes += resp.num_bytes_downloaded
        return b"".join(chunks)


def _http_error(
    url: str, exc: httpx.HTTPError | httpx.InvalidURL, timeout_seconds: float, source: str
) -> SourceError:
    """What a failed request means for the source: retryable (timeouts, the network) or not."""
    if isinstance(exc, httpx.TimeoutException):
        return SourceError(
            f"{url} timed out after {timeout_seconds:g} s", source=source, retryable=True
        )
    if isinstance(exc, httpx.UnsupportedProtocol):  # a redirect to ftp:, file:, ...: permanent
        return SourceError(
            f"cannot fetch {url}: it leads to a URL that is not http(s) ({exc})", source=source
        )
    if isinstance(exc, httpx.InvalidURL):
        return SourceError(f"cannot fetch {url}: invalid URL ({exc})", source=source)
    if isinstance(exc, httpx.RemoteProtocolError):
        if "Invalid URL" in str(exc):  # httpx's wording for a bad Location: permanent
            return SourceError(
                f"cannot fetch {url}: it redirects to an invalid URL ({exc})", source=source
            )
        return SourceError(f"cannot fetch {url}: {exc}", source=source, retryable=True)
    if isinstance(exc, httpx.TransportError):  # connection refused, DNS, reset, bad TLS...
        detail = str(exc) or type(exc).__name__
        return SourceError(f"cannot fetch {url}: {detail}", source=source, retryable=True)
    return SourceError(f"cannot fetch {url}: {exc}", source=source)


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
