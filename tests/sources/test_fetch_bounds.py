"""Fetching is bounded in memory and time, whatever the server sends (a raw server on 127.0.0.1).

Memory is judged by the harness: ``gather`` runs in a subprocess with an address-space limit, and
reports how much its resident size grew. Time is judged generously: the run finishes, and the
source is reported as timed out, not a stopwatch on a busy machine.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.models import GatherStatus
from hrc_outreach.sources.fetch import BoundedDecoder, HttpReader
from hrc_outreach.sources.gather import gather_sync
from hrc_outreach.store import Store
from tests.sources.rawhttp import RawServer, raw_server, respond, trickle_body, trickle_headers

FEED = (
    b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>HRC</title>"
    b"<link>https://hrc.example.org/</link><item><guid>a</guid><title>Gwangju forum</title>"
    b"<link>https://hrc.example.org/a</link><description>Human rights city forum."
    b"</description></item></channel></rss>"
)
XML = {"Content-Type": "application/rss+xml"}


@pytest.fixture
def srv() -> Iterator[RawServer]:
    with raw_server() as s:
        yield s


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """``Content-Encoding: gzip, gzip`` of 1 GiB of zeros: under 2 KB on the wire."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    zero = bytes(1 << 20)
    parts = [inner.compress(zero) for _ in range(1024)]
    parts.append(inner.flush())
    once = b"".join(parts)
    return gzip.compress(once, 9)


def settings_for(tmp_path: Path, sources: list[dict[str, Any]], **fetch: Any) -> Settings:
    fetch = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 5, **fetch}
    return Settings.model_validate(
        {"config_path": tmp_path / "outreach.toml", "fetch": fetch, "sources": sources}
    )


_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from hrc_outreach.config import Settings
    from hrc_outreach.sources.gather import gather_sync
    from hrc_outreach.store import Store

    args = json.loads(sys.argv[1])
    settings = Settings.model_validate(args["settings"])
    store = Store(args["store"])
    # A first run over a plain feed loads what any run loads (parser, language model), so the
    # growth measured below is what the run under test costs.
    gather_sync(Settings.model_validate(args["warmup"]), store)
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit = vm * 1024 + args["headroom"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = gather_sync(settings, store)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "sources": [s.model_dump(mode="json") for s in report.sources],
        "growth_kib": after - before,
    }))
    """
)


def gather_in_subprocess(
    tmp_path: Path,
    srv: RawServer,
    sources: list[dict[str, Any]],
    *,
    headroom_mb: int = 400,
    **fetch: Any,
) -> dict[str, Any]:
    """Run gather in a child whose address space may grow by ``headroom_mb`` at most."""
    settings = settings_for(tmp_path, sources, **fetch)
    srv.routes["/warmup.xml"] = respond(200, FEED, XML)
    warmup = settings_for(tmp_path, [{"name": "w", "kind": "feed", "url": srv.url + "/warmup.xml"}])
    args = {
        "settings": json.loads(settings.model_dump_json()),
        "warmup": json.loads(warmup.model_dump_json()),
        "store": f"sqlite:///{tmp_path / 'store.db'}",
        "headroom": headroom_mb * 1024 * 1024,
    }
    env = {**os.environ, "MALLOC_ARENA_MAX": "2"}  # glibc reserves 64 MB of address per arena
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ memory


def test_a_double_gzip_bomb_never_grows_past_the_limit(
    tmp_path: Path, srv: RawServer, bomb: bytes
) -> None:
    assert len(bomb) < 4096
    srv.routes["/bomb.xml"] = respond(200, bomb, {**XML, "Content-Encoding": "gzip, gzip"})
    srv.routes["/good.xml"] = respond(200, FEED, XML)
    out = gather_in_subprocess(
        tmp_path,
        srv,
        [
            {"name": "bomb", "kind": "feed", "url": srv.url + "/bomb.xml"},
            {"name": "good", "kind": "feed", "url": srv.url + "/good.xml"},
        ],
        max_response_bytes=1_000_000,
    )
    by_name = {s["name"]: s for s in out["sources"]}
    assert by_name["good"]["status"] == "ok" and by_name["good"]["new"] == 1
    assert by_name["bomb"]["status"] == "error"
    assert "larger than 1000000 bytes" in by_name["bomb"]["error"]
    assert "'bomb'" in by_name["bomb"]["error"]
    assert out["growth_kib"] < 100 * 1024, out  # 1 GiB decoded would be 10x that
    assert srv.hits["/bomb.xml"] == 1  # too big is permanent: not retried


@pytest.mark.parametrize("layers", ["gzip", "gzip, gzip", "deflate", "x-gzip, deflate, gzip"])
def test_a_bomb_is_stopped_through_any_layering(
    tmp_path: Path, srv: RawServer, layers: str
) -> None:
    body = b"<rss>" + b" " * 50_000_000
    for coding in [c.strip() for c in layers.split(",")]:
        body = zlib.compress(body, 9) if coding == "deflate" else gzip.compress(body, 9)
    srv.routes["/b.xml"] = respond(200, body, {**XML, "Content-Encoding": layers})
    out = gather_in_subprocess(
        tmp_path,
        srv,
        [{"name": "b", "kind": "feed", "url": srv.url + "/b.xml"}],
        headroom_mb=300,
        max_response_bytes=100_000,
    )
    (report,) = out["sources"]
    assert report["status"] == "error" and "larger than 100000 bytes" in report["error"]
    assert out["growth_kib"] < 60 * 1024, out


@pytest.mark.parametrize(
    ("layers", "encode"),
    [
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("deflate", zlib.compress),  # zlib-wrapped, as RFC 9110 says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("gzip", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),  # two members
        ("identity", lambda b: b),
        ("GZip ,  identity", gzip.compress),
    ],
)
def test_legitimate_encodings_decode_layer_by_layer(
    tmp_path: Path, srv: RawServer, layers: str, encode: Any, sqlite_store: Store
) -> None:
    srv.routes["/f.xml"] = respond(200, encode(FEED), {**XML, "Content-Encoding": layers})
    settings = settings_for(tmp_path, [{"name": "f", "kind": "feed", "url": srv.url + "/f.xml"}])
    (report,) = gather_sync(settings, sqlite_store).sources
    assert report.status is GatherStatus.OK and report.new == 1, report


def test_an_encoding_we_cannot_decode_is_a_clear_permanent_error(
    tmp_path: Path, srv: RawServer, sqlite_store: Store
) -> None:
    srv.routes["/br.xml"] = respond(200, b"\x1b\x00\x00", {**XML, "Content-Encoding": "br"})
    srv.routes["/bad.xml"] = respond(200, b"not gzip at all", {**XML, "Content-Encoding": "gzip"})
    settings = settings_for(
        tmp_path,
        [
            {"name": "br", "kind": "feed", "url": srv.url + "/br.xml"},
            {"name": "bad", "kind": "feed", "url": srv.url + "/bad.xml"},
        ],
        retries=2,
    )
    by_name = {r.name: r for r in gather_sync(settings, sqlite_store).sources}
    assert "Content-Encoding 'br'" in (by_name["br"].error or "")
    assert "cannot decode" in (by_name["bad"].error or "")
    assert srv.hits["/br.xml"] == 1 and srv.hits["/bad.xml"] == 1
    assert all("gzip" in h.get("accept-encoding", "") for h in srv.headers)
    assert not any("br" in h.get("accept-encoding", "") for h in srv.headers)


# -------------------------------------------------------------------------------- time


@pytest.mark.timeout(60)
@pytest.mark.parametrize("route", [trickle_body, trickle_headers])
def test_a_trickling_server_cannot_hold_a_source_past_its_deadline(
    tmp_path: Path, srv: RawServer, sqlite_store: Store, route: Any
) -> None:
    srv.routes["/slow.xml"] = route(0.05)  # a byte every 50 ms: no read ever times out
    srv.routes["/good.xml"] = respond(200, FEED, XML)
    settings = settings_for(
        tmp_path,
        [
            {"name": "slow", "kind": "feed", "url": srv.url + "/slow.xml"},
            {"name": "good", "kind": "feed", "url": srv.url + "/good.xml"},
        ],
        timeout_seconds=1,
        source_deadline_seconds=1.5,
        retries=3,
        max_response_bytes=10_000_000,
    )
    by_name = {r.name: r for r in gather_sync(settings, sqlite_store).sources}
    slow = by_name["slow"]
    assert slow.status is GatherStatus.ERROR and slow.retryable
    assert "'slow'" in (slow.error or "") and "deadline" in (slow.error or "")
    assert "source_deadline_seconds" in (slow.error or "")
    assert by_name["good"].status is GatherStatus.OK and by_name["good"].new == 1


@pytest.mark.timeout(60)
def test_the_run_deadline_bounds_the_whole_gather(
    tmp_path: Path, srv: RawServer, sqlite_store: Store
) -> None:
    for n in range(3):
        srv.routes[f"/slow{n}.xml"] = trickle_body(0.05)
    settings = settings_for(
        tmp_path,
        [{"name": f"slow{n}", "kind": "feed", "url": f"{srv.url}/slow{n}.xml"} for n in range(3)],
        concurrency=1,  # the second and third wait for a slot the first never gives back in time
        source_deadline_seconds=600,
        run_deadline_seconds=1.5,
    )
    reports = gather_sync(settings, sqlite_store).sources
    assert [r.status for r in reports] == [GatherStatus.ERROR] * 3
    for r in reports:
        assert "run_deadline_seconds" in (r.error or ""), r.error
        assert f"'{r.name}'" in (r.error or "")
    assert srv.hits["/slow0.xml"] == 1 and srv.hits["/slow2.xml"] == 0


# ----------------------------------------------------------------- permanent errors


@pytest.mark.parametrize(
    ("route", "expect"),
    [
        (respond(302, headers={"Location": "ftp://files.example.org/feed.xml"}), "not http"),
        (respond(301, headers={"Location": "file:///etc/passwd"}), "not http"),
        (respond(302, headers={"Location": "http://[::1/feed"}), "invalid"),
        (respond(403), "HTTP 403"),
        (respond(410), "HTTP 410"),
        (respond(451), "HTTP 451"),
    ],
)
def test_permanent_errors_are_not_retried(
    tmp_path: Path, srv: RawServer, sqlite_store: Store, route: Any, expect: str
) -> None:
    srv.routes["/feed.xml"] = route
    settings = settings_for(
        tmp_path, [{"name": "p", "kind": "feed", "url": srv.url + "/feed.xml"}], retries=3
    )
    (report,) = gather_sync(settings, sqlite_store).sources
    assert report.status is GatherStatus.ERROR and not report.retryable
    assert expect in (report.error or ""), report.error
    assert srv.hits["/feed.xml"] == 1


@pytest.mark.parametrize("url", ["http://host:port/feed", "http://[::1/feed", "http:///feed"])
def test_an_invalid_source_url_is_reported_not_retried(
    tmp_path: Path, sqlite_store: Store, url: str
) -> None:
    settings = settings_for(tmp_path, [{"name": "p", "kind": "feed", "url": url}])
    (report,) = gather_sync(settings, sqlite_store).sources
    assert report.status is GatherStatus.ERROR and not report.retryable
    assert "'p'" in (report.error or "") and "unexpected" not in (report.error or "")


@pytest.mark.parametrize("status", [408, 429, 503])
def test_transient_statuses_are_retried(
    tmp_path: Path, srv: RawServer, sqlite_store: Store, status: int
) -> None:
    answers = iter([respond(status, headers={"Retry-After": "0"}), respond(200, FEED, XML)])

    async def route(writer: Any) -> None:
        await next(answers)(writer)

    srv.routes["/feed.xml"] = route
    settings = settings_for(tmp_path, [{"name": "t", "kind": "feed", "url": srv.url + "/feed.xml"}])
    (report,) = gather_sync(settings, sqlite_store).sources
    assert report.status is GatherStatus.OK and report.new == 1
    assert srv.hits["/feed.xml"] == 2


# ------------------------------------------------------------------ the mechanisms alone


def test_the_decoder_yields_bounded_pieces_and_stops_at_the_limit(bomb: bytes) -> None:
    decoder = BoundedDecoder("gzip, gzip", limit=5_000_000)
    largest = 0
    with pytest.raises(BoundedDecoder.TooLarge):
        for piece in decoder.feed(bomb):
            largest = max(largest, len(piece))
    assert 0 < largest <= 64 * 1024
    assert decoder.size <= 5_000_000 + 64 * 1024


@pytest.mark.timeout(60)
def test_a_reader_alone_keeps_its_deadline_across_retries(tmp_path: Path, srv: RawServer) -> None:
    srv.routes["/busy.xml"] = respond(503, headers={"Retry-After": "30"})
    srv.routes["/slow.xml"] = trickle_body(0.05)
    settings = settings_for(tmp_path, [], source_deadline_seconds=1, retries=5)

    async def read(path: str) -> None:
        async with httpx.AsyncClient() as client:
            reader = HttpReader(client, settings, source="s")
            await reader.read(SourceConfig(name="s", kind="feed", url=srv.url + path))

    with pytest.raises(SourceError) as busy:
        asyncio.run(read("/busy.xml"))  # waiting 30 s would pass the deadline: give up now
    assert "HTTP 503" in str(busy.value) and "source_deadline_seconds" in str(busy.value)
    assert busy.value.retryable and srv.hits["/busy.xml"] == 1
    with pytest.raises(SourceError) as slow:
        asyncio.run(read("/slow.xml"))
    assert "timed out" in str(slow.value) and "source_deadline_seconds" in str(slow.value)
