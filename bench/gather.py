"""Bench: gather 60 feeds from a local server that answers each after 200 ms.

Prints the wall time of ``gather`` and its ratio to fetching the same feeds one after another
(target: at least 8x faster), then gathers again and prints the bytes transferred and the number of
304 answers (target: only 304s). Stops by itself; exit status 1 when a target is missed.

    .venv/bin/python bench/gather.py [--feeds 60] [--delay 0.2] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

import hrc_outreach.sources.feed  # noqa: F401  (imported before the clock starts)
from hrc_outreach.config import Settings
from hrc_outreach.sources.fetch import FetchStats
from hrc_outreach.sources.gather import gather, gather_sync
from hrc_outreach.store import Store


def feed(n: int, items: int = 10) -> bytes:
    entries = "".join(
        f"<item><guid>feed{n}-item{i}</guid><title>Practice {i} of city {n}</title>"
        f"<link>https://city{n}.example.org/news/{i}</link>"
        f"<description>&lt;p&gt;City {n} opened a human rights office, item {i}.&lt;/p&gt;"
        f"</description><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>"
        for i in range(items)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>City {n}</title>"
        f"<link>https://city{n}.example.org/</link><language>en</language>{entries}"
        "</channel></rss>"
    ).encode()


class FeedHandler(BaseHTTPRequestHandler):
    """Feeds with ETags, each answer after ``delay``; ``/_stats`` and ``/_reset`` for the bench."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else every answer waits 40 ms for a delayed ACK
    bodies: dict[str, bytes] = {}
    delay = 0.2
    statuses: list[int] = []
    body_bytes = [0]
    lock = threading.Lock()

    def _send(self, status: int, body: bytes, etag: str | None = None) -> None:
        self.send_response(status)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        cls = type(self)
        if self.path == "/_stats":
            with cls.lock:
                data = {"statuses": list(cls.statuses), "body_bytes": cls.body_bytes[0]}
            return self._send(200, json.dumps(data).encode())
        if self.path == "/_reset":
            with cls.lock:
                cls.statuses.clear()
                cls.body_bytes[0] = 0
            return self._send(200, b"{}")
        time.sleep(cls.delay)
        body = cls.bodies.get(self.path, b"")
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        status = 200 if body else 404
        if body and self.headers.get("If-None-Match") == etag:
            status, body = 304, b""
        with cls.lock:
            cls.statuses.append(status)
            cls.body_bytes[0] += len(body)
        self._send(status, body, etag)

    def log_message(self, *args: Any) -> None:
        pass


def serve(feeds: int, delay: float, port: Any) -> None:
    """The server's own process, so it does not share the gatherer's interpreter lock."""
    FeedHandler.bodies = {f"/feed{n}.xml": feed(n) for n in range(feeds)}
    FeedHandler.delay = delay
    # The default listen backlog of 5 drops concurrent connects (SYN retried after 1 s).
    ThreadingHTTPServer.request_queue_size = 256
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    httpd.daemon_threads = True
    port.value = httpd.server_address[1]
    httpd.serve_forever()


class Server:
    def __init__(self, feeds: int, delay: float) -> None:
        port = multiprocessing.Value("i", 0)
        self.process = multiprocessing.Process(target=serve, args=(feeds, delay, port), daemon=True)
        self.process.start()
        deadline = time.monotonic() + 20
        while not port.value:
            if time.monotonic() > deadline or not self.process.is_alive():
                raise RuntimeError("the bench server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port.value}"
        self.paths = [f"/feed{n}.xml" for n in range(feeds)]

    def stats(self) -> dict[str, Any]:
        return httpx.get(self.url + "/_stats").json()  # type: ignore[no-any-return]

    def reset(self) -> None:
        httpx.get(self.url + "/_reset")

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def run(urls: list[str], server: Server, concurrency: int) -> dict[str, Any]:
    """Gather twice into a fresh store: the first run fetches everything, the second gets 304s."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(
            {
                "config_path": Path(tmp) / "outreach.toml",
                "fetch": {"concurrency": concurrency},
                "sources": [
                    {"name": f"feed{n}", "kind": "feed", "url": url} for n, url in enumerate(urls)
                ],
            }
        )
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        server.reset()
        started = time.perf_counter()
        first = gather_sync(settings, store)
        wall = time.perf_counter() - started
        first_bytes = server.stats()["body_bytes"]
        server.reset()
        stats = FetchStats()
        started = time.perf_counter()
        second = asyncio.run(gather(settings, store, stats=stats))
        wall2 = time.perf_counter() - started
        store.dispose()
    after = server.stats()
    return {
        "wall": wall,
        "first": first,
        "first_bytes": first_bytes,
        "wall2": wall2,
        "second": second,
        "requests": len(after["statuses"]),
        "not_modified": after["statuses"].count(304),
        "bytes2": after["body_bytes"],
        "client_bytes2": stats.bytes,
    }


def main() -> int:
    default = Settings().fetch.concurrency
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--feeds", type=int, default=60)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=sorted({default, 20}),
        help=f"[fetch] concurrency values to try (default: {default} and 20)",
    )
    args = parser.parse_args()

    server = Server(args.feeds, args.delay)
    urls = [server.url + path for path in server.paths]
    try:
        # The baseline: the same feeds fetched one after another (fetch only, no parsing).
        started = time.perf_counter()
        with httpx.Client() as client:
            for url in urls:
                client.get(url).raise_for_status()
        sequential = time.perf_counter() - started
        run(urls[:2], server, 2)  # warm-up: imports, SQL compilation, TLS context
        results = {c: run(urls, server, c) for c in args.concurrency}
    finally:
        server.stop()

    print(
        f"{args.feeds} feeds of 10 items, server answers each after {args.delay * 1000:.0f} ms; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (figures need a quiet machine)"
    )
    print(f"sequential fetch (no parsing, no store): {sequential:.2f} s")
    met = True
    for c, r in results.items():
        ratio = sequential / r["wall"]
        only_304 = r["not_modified"] == r["requests"] == args.feeds and r["bytes2"] == 0
        met = met and r["first"].ok and r["second"].ok and only_304
        print(f"[fetch] concurrency = {c}{' (default)' if c == default else ''}:")
        print(
            f"  gather (fetch, parse, store): {r['wall']:.2f} s -> {ratio:.1f}x the sequential "
            f"fetch (target >= 8x); {r['first'].new} new items, {r['first_bytes']} body bytes"
        )
        print(
            f"  second gather: {r['wall2']:.2f} s; {r['requests']} requests, {r['not_modified']} "
            f"answered 304, {r['bytes2']} body bytes sent (client read {r['client_bytes2']}); "
            f"{sum(s.unchanged for s in r['second'].sources)} unchanged, {r['second'].new} new"
        )
    best = max(sequential / r["wall"] for r in results.values())
    met = met and best >= 8
    print("targets met" if met else "TARGET MISSED", f"(best ratio {best:.1f}x)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
