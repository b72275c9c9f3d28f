"""Audience fixtures: settings with a known token secret, and helpers to read the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from hrc_outreach.config import Settings, StoreSettings
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, SuppressionRow

SECRET = "test-secret-0123456789abcdef"


@pytest.fixture
def settings(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Settings on the test store, with HRC_TOKEN_SECRET set (no generated secret file)."""
    monkeypatch.setenv("HRC_TOKEN_SECRET", SECRET)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return Settings(store=StoreSettings(url=store.url))


def snapshot_of_db(store: Store) -> tuple[list[tuple[object, ...]], int, int]:
    """(subscriber id/state pairs, consent log size, suppression count): to check nothing changed."""
    with store.session() as s:
        subs = [tuple(r) for r in s.execute(select(SubscriberRow.id, SubscriberRow.state))]
        log = s.scalar(select(func.count()).select_from(ConsentEventRow)) or 0
        supp = s.scalar(select(func.count()).select_from(SuppressionRow)) or 0
    return sorted(subs), log, supp
