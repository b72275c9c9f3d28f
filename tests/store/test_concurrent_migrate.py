"""Several processes opening a fresh store at once (workers, senders and web workers starting
together on a new PostgreSQL database) all find it migrated: none fails on the other's half-made
schema."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from hrc_outreach.store import Store

_OPEN = """
import sys, time
from hrc_outreach.store import Store
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
Store(sys.argv[1]).dispose()
"""


@pytest.mark.slow
def test_processes_opening_a_fresh_store_at_once_all_succeed(store_url: str) -> None:
    start = time.time() + 3  # every process imports first, then they open together
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN, store_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    failed = [err[-3000:] for p, (_out, err) in zip(procs, results, strict=True) if p.returncode]
    assert not failed, failed
    store = Store(store_url, migrate_schema=False)
    try:
        from sqlalchemy import text

        with store.engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
    finally:
        store.dispose()
