"""Environment for a test that runs the real configuration: every place a run writes in tmp."""

from __future__ import annotations

from pathlib import Path

import pytest


def writes_under(tmp: Path, monkeypatch: pytest.MonkeyPatch, *, secret: str) -> None:
    """The store, out/ and the outbox under ``tmp``, the outbox provider, and ``secret`` as the
    token secret (``HRC_*`` variables, which win over any outreach.toml)."""
    monkeypatch.setenv("HRC_DATABASE_URL", f"sqlite:///{tmp / 'store.db'}")
    monkeypatch.setenv("HRC_OUT_DIR", str(tmp / "out"))
    monkeypatch.setenv("HRC_DELIVERY__OUTBOX_DIR", str(tmp / "outbox"))
    monkeypatch.setenv("HRC_DELIVERY__PROVIDER", "outbox")
    monkeypatch.setenv("HRC_TOKEN_SECRET", secret)
