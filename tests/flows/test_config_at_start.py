"""A flow run checks the configuration as the CLI does, before it does anything: a typo in a
``[delivery.<provider>]`` table or in a ``[[sources]]`` table's options ends the run at its start
(Failed, the error naming the table and the key), instead of a run that gathers, drafts and waits
for approval, then fails at the send, or reports the source as broken and goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from hrc_outreach.config import load_settings
from hrc_outreach.paths import PROJECT_ROOT
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import EditionRow, ItemRow
from tests.support.run_env import writes_under

pytestmark = [pytest.mark.flow, pytest.mark.slow]

EDITION = "2026-12"
PROJECTS = PROJECT_ROOT / "samples" / "projects"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> Path:
    writes_under(tmp_path, monkeypatch, secret="flow-test-secret-0123456789abcdef")
    monkeypatch.setenv("HRC_NEWSLETTER__EDITIONS_DIR", str(PROJECT_ROOT / "editions"))
    return tmp_path


def _config(tmp_path: Path, extra: str) -> str:
    cfg = tmp_path / "outreach.toml"
    cfg.write_text(
        f'[[sources]]\nname = "project-updates"\nkind = "markdown"\npath = "{PROJECTS}"\n'
        f'item_kind = "project_update"\nlanguage = "en"\n{extra}',
        encoding="utf-8",
    )
    return str(cfg)


def _project_config(tmp_path: Path, extra: str) -> str:
    """The project's outreach.toml (its sources read from the checkout), with ``extra``."""
    text = (PROJECT_ROOT / "outreach.toml").read_text(encoding="utf-8")
    cfg = tmp_path / "outreach.toml"
    cfg.write_text(
        text.replace('path = "samples/', f'path = "{PROJECT_ROOT}/samples/') + "\n" + extra,
        encoding="utf-8",
    )
    return str(cfg)


def _count(config: str, table: type) -> int:
    store = open_store(load_settings(config))
    with store.session() as s:
        n = s.scalar(select(func.count()).select_from(table))
    store.dispose()
    return int(n or 0)


def test_a_monthly_run_with_a_typo_in_a_provider_table_ends_at_its_start(env: Path) -> None:
    from flows.run import run_monthly

    config = _project_config(env, "[delivery.smtp]\nprot = 25\n")  # not even the provider in use
    state, message, _ = run_monthly(edition=EDITION, config=config, auto_approve=True)
    assert state == "Failed", message
    assert "[delivery.smtp]: unknown key 'prot'" in " ".join(message.split())
    assert (_count(config, ItemRow), _count(config, EditionRow)) == (0, 0), "nothing done"
    assert not (env / "outbox").exists(), "nothing sent"


def test_a_gather_run_with_a_typo_in_a_source_ends_at_its_start(env: Path) -> None:
    from flows.gather import gather

    config = _config(env, 'baseurl = "https://humanrightscities.net"\n')
    state = gather(config=config, return_state=True)
    assert state.is_failed(), state.message
    assert "source 'project-updates' (markdown): unknown key 'baseurl'" in str(state.message)
    assert _count(config, ItemRow) == 0, "nothing gathered"


def test_a_preview_run_with_a_bad_source_ends_at_its_start(env: Path) -> None:
    from flows.preview import preview

    config = _config(env, "base_url = 7\n")
    state = preview(edition=EDITION, config=config, return_state=True)
    assert state.is_failed(), state.message
    assert "source 'project-updates' (markdown)" in str(state.message)
    assert "base_url" in str(state.message)
    assert _count(config, EditionRow) == 0, "nothing drafted"


def test_a_good_config_still_runs(env: Path) -> None:
    from flows.gather import gather

    config = _config(env, 'base_url = "https://humanrightscities.net"\n')
    state = gather(config=config, return_state=True)
    assert state.is_completed(), state.message
    assert _count(config, ItemRow) > 0
