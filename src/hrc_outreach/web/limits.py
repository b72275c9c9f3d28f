"""Request body limits for every route, enforced while the body streams in (a chunked upload
has no Content-Length to check up front, and Starlette reads a urlencoded form whole).

>>> app.add_middleware(BodyLimit)   # doctest: +SKIP
"""

from __future__ import annotations

from hrc_outreach.web.security import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 64 * 1024
# The largest body each path prefix takes (first match wins); everything else is a small form.
LIMITS: tuple[tuple[str, int], ...] = (
    ("/staff/login", DEFAULT_LIMIT),  # before a session: as small as a public form
    ("/staff/subscribers/import", 21 * 1024 * 1024),  # a 20 MB CSV and its multipart framing
    ("/webhooks/", 8 * 1024 * 1024 + 1),  # the route answers its own 413 beyond 8 MB
    ("/staff/", 2 * 1024 * 1024),  # a language's whole translation review form
)


class BodyTooLarge(Exception):
    """The request body passed the limit of its path."""


def limit_for(path: str) -> int:
    return next((size for prefix, size in LIMITS if path.startswith(prefix)), DEFAULT_LIMIT)


class BodyLimit:
    """Answers 413 to a body larger than :func:`limit_for` its path: at once when Content-Length
    says so, else as soon as the streamed bytes pass it (the route sees :class:`BodyTooLarge`;
    whatever it answers then is replaced by the 413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(f"request body larger than {limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the route swallowed BodyTooLarge: it must not answer as if all was well
                if not started:
                    started = True
                    await _too_large(send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                started = True
                await _too_large(send)


async def _too_large(send: Send) -> None:
    body = b"request body too large"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
