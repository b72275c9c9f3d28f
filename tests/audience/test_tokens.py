from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from hrc_outreach.audience.tokens import TOKEN_LENGTH, make_token, read_token
from hrc_outreach.errors import TokenError

KEY = b"k" * 32


def test_round_trip_for_every_purpose_and_compact_url_safe() -> None:
    for purpose in ("unsubscribe", "preferences", "confirm"):
        token = make_token(KEY, purpose, 123456)
        assert read_token(KEY, purpose, token) == 123456
        assert len(token) == TOKEN_LENGTH <= 40
        assert all(c.isalnum() or c in "-_" for c in token)


def test_wrong_purpose_is_refused() -> None:
    token = make_token(KEY, "preferences", 5)
    with pytest.raises(TokenError, match="not unsubscribe"):
        read_token(KEY, "unsubscribe", token)


def test_resigned_with_another_key_is_refused() -> None:
    token = make_token(b"another key entirely, 32 bytes!", "unsubscribe", 5)
    with pytest.raises(TokenError, match="signature"):
        read_token(KEY, "unsubscribe", token)


def test_truncated_or_extended_is_refused() -> None:
    token = make_token(KEY, "unsubscribe", 5)
    for bad in (token[:-1], token[:20], token + "A", "", "not a token at all!!!!!!!!!!!!!!!!!!!!!"):
        with pytest.raises(TokenError):
            read_token(KEY, "unsubscribe", bad)


def test_every_single_character_change_is_refused() -> None:
    token = make_token(KEY, "unsubscribe", 5)
    for i in range(len(token)):
        swapped = "B" if token[i] != "B" else "C"
        with pytest.raises(TokenError):
            read_token(KEY, "unsubscribe", token[:i] + swapped + token[i + 1 :])


def test_another_subscriber_id_cannot_be_enumerated() -> None:
    raw = bytearray(base64.urlsafe_b64decode(make_token(KEY, "unsubscribe", 1) + "=="))
    raw[9] = 2  # last byte of the subscriber id, keeping the MAC
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(TokenError, match="signature"):
        read_token(KEY, "unsubscribe", forged)


def test_expiry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = make_token(KEY, "confirm", 9, expires=now + timedelta(days=7))
    assert read_token(KEY, "confirm", token, now=now + timedelta(days=6)) == 9
    with pytest.raises(TokenError, match="expired"):
        read_token(KEY, "confirm", token, now=now + timedelta(days=8))


def test_unknown_purpose_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        make_token(KEY, "delete-everything", 1)
