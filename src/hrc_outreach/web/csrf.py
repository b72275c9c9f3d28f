"""CSRF protection of the public forms (preferences, subscribe): a signed double submit.

The page sets a cookie ``hrc_csrf`` = ``nonce.mac`` (HttpOnly, SameSite=Strict) and puts the same
value in a hidden field; a POST is accepted only when the field equals the cookie and the MAC (keyed
with the token secret) holds. Nothing is kept on the server, so any worker can check any form.
The one-click unsubscribe POST is exempt on purpose (RFC 8058: no cookies; the signed link token
is the proof).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

COOKIE = "hrc_csrf"
FIELD = "csrf"


def _mac(key: bytes, nonce: str) -> str:
    return hmac.new(key, b"hrc-csrf\0" + nonce.encode(), hashlib.sha256).hexdigest()[:32]


def valid(key: bytes, value: str | None) -> bool:
    """True when ``value`` is a token this key signed."""
    if not value or len(value) > 100:
        return False
    nonce, _, mac = value.partition(".")
    if not nonce.isascii():
        return False
    return bool(nonce) and hmac.compare_digest(mac.encode(), _mac(key, nonce).encode())


def token_for(request: Request, key: bytes) -> str:
    """The request's valid CSRF cookie, or a new token (set it with :func:`set_cookie`)."""
    current = request.cookies.get(COOKIE)
    if current and valid(key, current):
        return current
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_mac(key, nonce)}"


def set_cookie(request: Request, response: Response, token: str) -> None:
    """Send ``token`` as the CSRF cookie (Secure when the request came over https)."""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def check(request: Request, key: bytes, submitted: str | None) -> bool:
    """True when the submitted field matches the cookie and is signed by ``key`` (compared as
    bytes: ``compare_digest`` raises on a str that is not ASCII)."""
    cookie = request.cookies.get(COOKIE)
    return bool(
        cookie
        and submitted
        and hmac.compare_digest(cookie.encode(), submitted.encode())
        and valid(key, cookie)
    )
