from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.paths import SUBSCRIBERS_DIR
from hrc_outreach.store import Store


@pytest.fixture
def env(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HRC_CONFIG", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("HRC_DATABASE_URL", store.url)
    monkeypatch.setenv("HRC_TOKEN_SECRET", "cli-test-secret-0123456789")


def test_import_export_erase_list(env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    example = str(SUBSCRIBERS_DIR / "example.csv")
    first = runner.invoke(app, ["subscribers", "import", example, "--json", "--source", "demo"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {
        "imported": 25,
        "updated": 0,
        "unchanged": 0,
        "rejected": [],
        "warnings": [],
    }
    again = runner.invoke(app, ["subscribers", "import", example, "--json"])
    assert json.loads(again.stdout)["unchanged"] == 25

    listed = runner.invoke(app, ["subscribers", "list", "--json", "--segment", "first-time-voters"])
    counts = json.loads(listed.stdout)
    assert counts["total"] == 24 and counts["suppressed"] == 1
    assert counts["by_state"]["confirmed"] + counts["by_state"]["pending"] == 24
    assert counts["segments"]["first-time-voters"] == 5

    exported = runner.invoke(app, ["subscribers", "export", "Amira.Haddad@example.org"])
    data = json.loads(exported.stdout)
    assert data["subscriber"]["name"] == "Amira Haddad"
    assert data["consent_log"][0]["source"] == "demo"

    refused = runner.invoke(app, ["subscribers", "erase", "amira.haddad@example.org"], input="n\n")
    assert refused.exit_code == 1
    erased = runner.invoke(app, ["subscribers", "erase", "amira.haddad@example.org", "--yes"])
    assert erased.exit_code == 0 and json.loads(erased.stdout)["subscriber_deleted"] is True
    gone = json.loads(
        runner.invoke(app, ["subscribers", "export", "amira.haddad@example.org"]).stdout
    )
    assert gone["subscriber"] is None and gone["suppression"]["reason"] == "erased"


def test_import_of_a_missing_file_is_a_clear_error(env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["subscribers", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "cannot read" in result.output and "nope.csv" in result.output
