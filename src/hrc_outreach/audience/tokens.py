"""Signed link tokens: unsubscribe, preferences and double opt-in, checked without the database.

A token is ``base64url(version | purpose | subscriber id | expiry | mac)`` with no padding (40
characters). The MAC is HMAC-SHA256 over the purpose's name and the payload, truncated to 128 bits,
so a token cannot be forged, moved to another subscriber id (no enumeration) or used for another
purpose, and a token signed with another key is refused. Expiry 0 means "never" (unsubscribe links
must keep working for as long as the message sits in an inbox).

>>> t = make_token(b"k" * 32, "unsubscribe", 42)
>>> read_token(b"k" * 32, "unsubscribe", t)
42
"""

from __future__ import annotations

import base64
import binascii
import hmac
import struct
from datetime import UTC, datetime
from typing import Literal

from hrc_outreach.errors import TokenError

Purpose = Literal["unsubscribe", "preferences", "confirm"]
PURPOSES: dict[str, int] = {"unsubscribe": 1, "preferences": 2, "confirm": 3}
_NAMES = {code: name for name, code in PURPOSES.items()}
_VERSION = 1
# version, purpose, subscriber id, expiry (unix seconds, 0 = none)
_PAYLOAD = struct.Struct(">BBQI")
_MAC_BYTES = 16
_RAW_BYTES = _PAYLOAD.size + _MAC_BYTES
TOKEN_LENGTH = len(base64.urlsafe_b64encode(b"\0" * _RAW_BYTES).rstrip(b"="))


def _key(secret: bytes | str) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def _mac(key: bytes, purpose: str, payload: bytes) -> bytes:
    # The purpose's name is inside the MAC as well as its code in the payload: belt and braces.
    return hmac.digest(key, b"hrc-token\0" + purpose.encode() + b"\0" + payload, "sha256")[
        :_MAC_BYTES
    ]


def make_token(
    secret: bytes | str, purpose: str, subscriber_id: int, *, expires: datetime | None = None
) -> str:
    """A compact URL-safe token for ``purpose`` and ``subscriber_id``, valid until ``expires``."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}; use one of {sorted(PURPOSES)}")
    if subscriber_id < 0:
        raise ValueError(f"subscriber id must be positive, not {subscriber_id}")
    exp = 0 if expires is None else max(1, int(expires.timestamp()))
    payload = _PAYLOAD.pack(_VERSION, PURPOSES[purpose], subscriber_id, exp)
    raw = payload + _mac(_key(secret), purpose, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def read_token(
    secret: bytes | str, purpose: str, token: str, *, now: datetime | None = None
) -> int:
    """The subscriber id inside ``token``; TokenError if it is forged, truncated, re-signed with
    another key, expired or made for another purpose."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}; use one of {sorted(PURPOSES)}")
    token = token.strip()
    if len(token) != TOKEN_LENGTH or not token.isascii():
        raise TokenError("this link is incomplete or damaged (wrong token length)")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("this link is damaged (not a valid token)") from exc
    if len(raw) != _RAW_BYTES:
        raise TokenError("this link is incomplete or damaged (wrong token length)")
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    version, code, subscriber_id, exp = _PAYLOAD.unpack(payload)
    # Check the MAC before believing anything else in the payload.
    if not hmac.compare_digest(mac, _mac(_key(secret), _NAMES.get(code, "?"), payload)):
        raise TokenError("this link is not valid (signature mismatch)")
    if version != _VERSION:
        raise TokenError(f"this link uses token version {version}, which is not supported")
    if code != PURPOSES[purpose]:
        raise TokenError(f"this link is for {_NAMES.get(code, 'something else')}, not {purpose}")
    if exp:
        current = now or datetime.now(UTC)
        if current.timestamp() > exp:
            when = datetime.fromtimestamp(exp, UTC).isoformat(timespec="minutes")
            raise TokenError(f"this {purpose} link expired on {when}; ask for a new one")
    return int(subscriber_id)
