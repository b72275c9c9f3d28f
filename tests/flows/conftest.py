"""ONE Prefect test harness for the whole suite (its start costs ≈10 s; FACTS.md)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.paths import PROJECT_ROOT, SUBSCRIBERS_DIR
from tests.support.run_env import writes_under


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    results: Path = tmp_path_factory.mktemp("prefect-results")
    with temporary_settings(
        {
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
            PREFECT_RESULTS_LOCAL_STORAGE_PATH: results,
            PREFECT_SERVER_ANALYTICS_ENABLED: False,
        }
    ):
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Settings:
    """The project's outreach.toml, with the store, out folder, outbox and editions in tmp_path
    (an empty store)."""
    editions = tmp_path / "editions"
    shutil.copytree(PROJECT_ROOT / "editions", editions)
    writes_under(tmp_path, monkeypatch, secret="flow-test-secret-0123456789abcdef")
    monkeypatch.setenv("HRC_NEWSLETTER__EDITIONS_DIR", str(editions))
    monkeypatch.setenv("HRC_APPROVAL__POLL_SECONDS", "1")
    return load_settings(PROJECT_ROOT / "outreach.toml")


@pytest.fixture
def demo(demo_env: Settings) -> Settings:
    """:func:`demo_env` with the example subscribers imported."""
    from hrc_outreach.audience.importer import import_csv
    from hrc_outreach.store import open_store

    store = open_store(demo_env)
    with store.session() as s:
        import_csv(s, demo_env, SUBSCRIBERS_DIR / "example.csv", source="test")
    store.dispose()
    return demo_env
