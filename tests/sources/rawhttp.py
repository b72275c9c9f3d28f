"""A raw HTTP/1.1 server on 127.0.0.1 for fetch tests: every byte on the wire is the test's.

http.server writes whole headers and bodies; these tests need to trickle bytes, send any
Content-Encoding, or a Location header no library would produce. Each route is a coroutine that
writes the whole answer itself; the server counts requests per path.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator

Route = Callable[[asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """``routes[path] = coroutine(writer)``; ``hits[path]`` counts requests; ``url`` is the base."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.headers: list[dict[str, str]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:  # keep-alive: one request after another on the same connection
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                self.hits[path] += 1
                self.headers.append(
                    {
                        k.strip().lower(): v.strip()
                        for k, _, v in (x.partition(":") for x in lines[1:] if x)
                    }
                )
                route = self.routes.get(path, respond(404, b"not found"))
                await route(writer)
                if writer.is_closing():
                    return
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@contextlib.contextmanager
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.close()


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Route:
    """A whole answer at once (Content-Length set unless given)."""
    all_headers = {"Content-Length": str(len(body)), **(headers or {})}

    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, all_headers) + body)
        await writer.drain()

    return route


def trickle_body(every: float = 0.1, headers: dict[str, str] | None = None) -> Route:
    """Headers at once, then one body byte every ``every`` seconds, forever."""

    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"Content-Type": "application/rss+xml", **(headers or {})}))
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(every)

    return route


def trickle_headers(every: float = 0.1) -> Route:
    """A status line, then one header byte every ``every`` seconds, never ending the headers."""

    async def route(writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while True:
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(every)

    return route
