"""Shared fixtures: a store on SQLite (always) and on PostgreSQL (when HRC_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hrc_outreach.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"
POSTGRES_URL = os.environ.get("HRC_TEST_POSTGRES_URL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("HRC_REQUIRE_POSTGRES") and not POSTGRES_URL:
        raise pytest.UsageError("HRC_REQUIRE_POSTGRES is set but HRC_TEST_POSTGRES_URL is not")


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from hrc_outreach.store.db import _normalise_url

    engine = create_engine(_normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(autouse=True)
def _email_hash_key() -> None:
    """Every test starts with a known key for the address hash (``open_store(settings)`` rebinds
    it from the settings' token secret, as in production)."""
    from hrc_outreach.models import use_email_hash_key

    use_email_hash_key(b"tests' email hash key, not a secret")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL on each engine: a fresh SQLite file, and a reset PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set HRC_TEST_POSTGRES_URL (CI does)")
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store on each engine."""
    s = Store(store_url)
    yield s
    s.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty SQLite store, for tests that are not about the engine."""
    s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.dispose()


def require_shared(path: Path) -> Path:
    """Skip with a reason when ../shared (the corpora) is not beside the project."""
    if not path.exists():
        pytest.skip(f"{path} is absent: corpus tests run where ../shared is present (CI)")
    return path
