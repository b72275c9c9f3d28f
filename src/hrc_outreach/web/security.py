"""Headers every answer carries, and an access log without tokens or personal data.

Plain ASGI middleware (no per-request task as ``BaseHTTPMiddleware`` costs): it adds the headers
on ``http.response.start`` unless the route set its own (an archive page with its inline styles,
a staff preview in a sandboxed frame).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("hrc_outreach.web.access")

# Our own pages: no inline script, no third-party request, framed only by our own pages.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'self'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    # token pages must not leak their URL to another site; no page needs to send a referrer
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)

# /u/<token>, /p/<token>, /confirm/<token>, /c/<token>: the token never reaches a log line
_TOKEN_PATH = re.compile(r"^/(u|p|c|confirm)/[^/]+")


def redact_path(path: str) -> str:
    """The path as it may be logged: link tokens replaced by ``…``.

    >>> redact_path("/u/AbC123/x")
    '/u/…/x'
    """
    return _TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/…", path)


_SERVER_ERROR_START: Message = {
    "type": "http.response.start",
    "status": 500,
    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")],
}


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every HTTP answer (a header the route set is kept) and
    logs one line per request: method, redacted path, status, milliseconds (no query string,
    no client address, no body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's 500 page is sent outside every middleware, i.e. without our headers:
            # send ours (no detail), then let the server log the exception.
            if not status:
                await send_with_headers(_SERVER_ERROR_START)
                await send_with_headers(
                    {"type": "http.response.body", "body": b"Internal Server Error"}
                )
            raise
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s %.1fms",
                    scope.get("method", ""),
                    redact_path(scope.get("path", "")),
                    status[0] if status else "-",
                    (time.perf_counter() - started) * 1000,
                )


def csp_with(**directives: str) -> str:
    """:data:`CSP` with some directives replaced, e.g. ``csp_with(style_src="'self' 'unsafe-inline'")``."""
    parts = dict(p.strip().split(" ", 1) for p in CSP.split(";"))
    for key, value in directives.items():
        parts[key.replace("_", "-")] = value
    return "; ".join(f"{k} {v}" for k, v in parts.items())


__all__ = ["CSP", "SECURITY_HEADERS", "SecurityHeaders", "csp_with", "redact_path"]
