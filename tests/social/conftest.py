"""The local platform servers (idempotency keys ignored, as several platforms do) and a client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.social_platforms import Platforms


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    with Platforms(honour_idempotency=False) as p:
        yield p


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c
