"""HttpReader: files, conditional GET, retries with backoff and Retry-After, size limit, errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.sources.fetch import HttpReader, Validators, retry_after_seconds

FEED = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def _settings(tmp_path: Path, **fetch: object) -> Settings:
    fetch = {"retries": 2, "backoff_seconds": 0.01, **fetch}
    return Settings(config_path=tmp_path / "outreach.toml", fetch=fetch)  # type: ignore[arg-type]


def _run(
    handler: Callable[[httpx.Request], httpx.Response],
    settings: Settings,
    config: SourceConfig,
    validators: dict[str, Validators] | None = None,
):
    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            reader = HttpReader(client, settings, validators=validators, source=config.name)
            return await reader.read(config), reader

    return asyncio.run(go())


def _src(url: str = "https://example.org/feed.xml") -> SourceConfig:
    return SourceConfig(name="news", kind="feed", url=url)


def test_reads_a_file_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "feed.xml").write_bytes(FEED)
    config = SourceConfig(name="local", kind="feed", path=Path("samples/feed.xml"))
    doc, _ = _run(lambda r: httpx.Response(500), _settings(tmp_path), config)
    assert doc.content == FEED
    assert doc.base_url.startswith("file://") and doc.base_url.endswith("samples/feed.xml")


def test_missing_file_names_the_source_and_the_path(tmp_path: Path) -> None:
    config = SourceConfig(name="local", kind="feed", path=Path("nowhere.xml"))
    with pytest.raises(SourceError) as err:
        _run(lambda r: httpx.Response(500), _settings(tmp_path), config)
    assert "'local'" in str(err.value) and "nowhere.xml" in str(err.value)
    assert "does not exist" in str(err.value)


def test_conditional_get_sends_validators_and_returns_none_on_304(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200,
            content=FEED,
            headers={"ETag": '"v1"', "Last-Modified": "Sat, 21 Nov 2026 10:00:00 GMT"},
        )

    settings = _settings(tmp_path)
    doc, reader = _run(handler, settings, _src())
    assert doc is not None and doc.content == FEED
    assert reader.fetched["news"] == Validators('"v1"', "Sat, 21 Nov 2026 10:00:00 GMT")
    doc2, reader2 = _run(handler, settings, _src(), validators=dict(reader.fetched))
    assert doc2 is None and reader2.stats.not_modified == 1
    assert seen[1].headers["if-modified-since"] == "Sat, 21 Nov 2026 10:00:00 GMT"
    assert "hrc-outreach" in seen[0].headers["user-agent"]


def test_retries_5xx_and_429_honouring_retry_after(tmp_path: Path) -> None:
    answers = iter(
        [
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(200, content=FEED),
        ]
    )
    doc, reader = _run(lambda r: next(answers), _settings(tmp_path), _src())
    assert doc.content == FEED
    assert reader.stats.requests == 3 and reader.stats.retries == 2


def test_gives_up_after_the_retries_with_a_clear_error(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    with pytest.raises(SourceError) as err:
        _run(handler, _settings(tmp_path, retries=2), _src())
    assert len(calls) == 3
    msg = str(err.value)
    assert "'news'" in msg and "HTTP 500" in msg and "3 attempts" in msg
    assert err.value.retryable


def test_network_errors_are_retried_then_reported(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(SourceError) as err:
        _run(handler, _settings(tmp_path, retries=1), _src())
    assert len(calls) == 2 and "connection refused" in str(err.value)


def test_404_is_not_retried(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404)

    with pytest.raises(SourceError) as err:
        _run(handler, _settings(tmp_path), _src())
    assert len(calls) == 1 and "HTTP 404 Not Found" in str(err.value)


def test_response_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    async def endless():  # a body with no Content-Length: the limit must stop the stream
        for _ in range(1000):
            yield b"x" * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless())

    with pytest.raises(SourceError) as err:
        _run(handler, _settings(tmp_path, max_response_bytes=10_000), _src())
    assert "larger than 10000 bytes" in str(err.value)


def test_declared_length_over_the_limit_is_refused(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 20_000)

    with pytest.raises(SourceError, match="larger than"):
        _run(handler, _settings(tmp_path, max_response_bytes=10_000), _src())


def test_get_json_passes_params_and_returns_headers(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["page"] == "2"
        return httpx.Response(200, json=[{"id": 1}], headers={"X-WP-TotalPages": "3"})

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            reader = HttpReader(client, _settings(tmp_path), source="wp")
            return await reader.get_json("https://example.org/wp-json/wp/v2/posts", {"page": 2})

    data, headers = asyncio.run(go())
    assert data == [{"id": 1}] and headers["x-wp-totalpages"] == "3"


def test_get_json_on_html_is_a_clear_error(tmp_path: Path) -> None:
    async def go():
        transport = httpx.MockTransport(lambda r: httpx.Response(200, text="<html>"))
        async with httpx.AsyncClient(transport=transport) as client:
            await HttpReader(client, _settings(tmp_path), source="wp").get_json("https://ex.org/x")

    with pytest.raises(SourceError, match="'wp'.*did not answer JSON"):
        asyncio.run(go())


def test_non_http_urls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not http"):
        _run(lambda r: httpx.Response(200), _settings(tmp_path), _src("file:///etc/passwd"))


def test_retry_after_forms() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    answers = iter(
        [httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, content=FEED)]
    )
    started = time.perf_counter()
    doc, reader = _run(lambda r: next(answers), _settings(tmp_path, backoff_seconds=0.01), _src())
    assert doc.content == FEED and reader.stats.retries == 1
    assert time.perf_counter() - started >= 0.95  # waited as told, not the 10 ms backoff
