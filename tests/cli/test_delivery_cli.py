"""``edition approve | send | send-test | report`` through the real Typer app."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.render.output import save_drafts
from hrc_outreach.store import Store
from tests.support.brevo_sim import BrevoSim, received
from tests.support.cli_setup import flat, write_config
from tests.support.ledger_data import add_edition, add_subscribers, email_of, messages, write_draft

KEY = "2026-12"
N = 25


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cfg = write_config(tmp_path, ("en", "fr", "ar", "nl"))
    db = tmp_path / "store.db"
    store = Store(f"sqlite:///{db}")
    add_subscribers(store, N, ("en", "fr", "ar", "nl"))  # no Dutch draft: nl readers get English
    add_edition(store, KEY)
    write_draft(store, messages(KEY, ("en", "fr", "ar")))
    store.dispose()
    return cfg


def run(config: Path, *args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(app, ["--config", str(config), *args], env=env)


def shown(config: Path) -> str:
    """The --hashes argument for the drafts as they are now, read the way a reviewer reads it."""
    r = run(config, "edition", "approve", KEY, "--show", "--json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    return str(json.loads(r.stdout)["hashes_arg"])  # type: ignore[attr-defined]


def approve(config: Path, by: str = "Ana", *more: str) -> object:
    return run(config, "edition", "approve", KEY, "--by", by, "--hashes", shown(config), *more)


def test_send_refuses_an_edition_never_approved(config: Path) -> None:
    r = run(config, "edition", "send", KEY)
    assert r.exit_code == 1  # type: ignore[attr-defined]
    assert "never approved" in flat(r.stderr) and f"edition approve {KEY} --by NAME" in flat(
        r.stderr
    )  # type: ignore[attr-defined]


def test_approve_dry_run_send_report_and_resume(config: Path, tmp_path: Path) -> None:
    r = approve(config, "Ana Silva")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "approved by Ana Silva" in flat(r.stdout)  # type: ignore[attr-defined]

    r = run(config, "edition", "send", KEY, "--dry-run", "--json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    plan = json.loads(r.stdout)  # type: ignore[attr-defined]
    assert plan["dry_run"] and plan["recipients"] == N
    assert plan["per_language"] == {"ar": 6, "en": 7, "fr": 6, "nl": 6}
    assert plan["fallbacks"] == {"nl": "en"}
    assert not (tmp_path / "outbox").exists()

    r = run(config, "edition", "send", KEY, "--dry-run")
    assert r.exit_code == 0 and "no nl message: 6 subscriber(s) get en" in flat(r.stdout)  # type: ignore[attr-defined]

    # nl is not drafted: refused unless staff choose the fallback (tests/cli/test_sent_edition_guards)
    r = run(config, "edition", "send", KEY, "--json", "--fallback-source")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    report = json.loads(r.stdout)  # type: ignore[attr-defined]
    assert report["state"] == "done" and report["provider"] == "outbox"
    assert report["totals"]["accepted"] == N and report["languages"]["nl"]["fallback"] == 6
    files = sorted((tmp_path / "outbox" / KEY).glob("*.eml"))
    assert len(files) == N

    again = run(config, "edition", "send", KEY, "--json")  # resumes: nothing left to send
    assert again.exit_code == 0 and json.loads(again.stdout)["totals"]["accepted"] == N  # type: ignore[attr-defined]
    assert len(list((tmp_path / "outbox" / KEY).glob("*.eml"))) == N

    r = run(config, "edition", "report", KEY)
    assert r.exit_code == 0 and "done" in flat(r.stdout) and "all" in flat(r.stdout)  # type: ignore[attr-defined]
    r = run(config, "edition", "report", KEY, "--json")
    assert json.loads(r.stdout)["languages"]["ar"]["accepted"] == 6  # type: ignore[attr-defined]


def test_send_refuses_a_draft_changed_after_approval(config: Path, tmp_path: Path) -> None:
    assert approve(config).exit_code == 0  # type: ignore[attr-defined]
    fr = messages(KEY, ("fr",))["fr"].model_copy(update={"subject": "Sujet modifié"})
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    save_drafts(store, [fr])  # changed in the store: what sending reads
    store.dispose()
    r = run(config, "edition", "send", KEY)
    assert r.exit_code == 1  # type: ignore[attr-defined]
    assert "changed since Ana approved" in flat(r.stderr) and "changed: fr" in flat(r.stderr)  # type: ignore[attr-defined]
    assert not (tmp_path / "outbox").exists()


def test_send_refuses_a_rejected_edition(config: Path) -> None:
    r = run(config, "edition", "approve", KEY, "--by", "Bram", "--reject", "--notes", "typo in ar")
    assert r.exit_code == 0 and "rejected by Bram" in flat(r.stdout)  # type: ignore[attr-defined]
    r = run(config, "edition", "send", KEY)
    assert r.exit_code == 1 and "typo in ar" in flat(r.stderr)  # type: ignore[attr-defined]


def test_send_test_to_one_address_outside_the_ledger(config: Path, tmp_path: Path) -> None:
    r = run(config, "edition", "send-test", KEY, "--to", "editor@example.org", "--lang", "ar")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    (eml,) = (tmp_path / "outbox" / KEY).glob("*.eml")
    assert eml.name.startswith("test-")
    text = eml.read_text(encoding="utf-8")
    assert "editor@example.org" in text and "[TEST]" in text
    r = run(config, "edition", "report", KEY)
    assert r.exit_code == 1 and "no send job" in flat(r.stderr)  # type: ignore[attr-defined]


def test_send_with_brevo_and_the_report_of_that_job(config: Path, tmp_path: Path) -> None:
    assert approve(config).exit_code == 0  # type: ignore[attr-defined]
    with BrevoSim(tmp_path / "sim") as sim:
        env = {
            "HRC_BREVO_BASE_URL": sim.base_url,
            "HRC_BREVO_API_KEY": "sim-key",
            "HRC_TOKEN_SECRET": "cli-test-secret-0123456789",
        }
        r = run(config, "edition", "send", KEY, "--provider", "brevo", "--fallback-source", env=env)
        assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert received(tmp_path / "sim") == Counter({email_of(i): 1 for i in range(N)})
    r = run(config, "edition", "report", KEY, "--provider", "brevo", "--json")
    assert json.loads(r.stdout)["totals"]["accepted"] == N  # type: ignore[attr-defined]


def test_a_failed_batch_exits_2_and_names_the_people(config: Path, tmp_path: Path) -> None:
    assert approve(config).exit_code == 0  # type: ignore[attr-defined]
    with BrevoSim(tmp_path / "sim", fail_400_email=email_of(1)) as sim:
        env = {
            "HRC_BREVO_BASE_URL": sim.base_url,
            "HRC_BREVO_API_KEY": "sim-key",
            "HRC_TOKEN_SECRET": "cli-test-secret-0123456789",
        }
        r = run(config, "edition", "send", KEY, "--provider", "brevo", "--fallback-source", env=env)
    assert r.exit_code == 2, r.output  # type: ignore[attr-defined]
    assert "failed" in flat(r.stdout) and f"email is not valid: {email_of(1)}" in flat(r.stdout)  # type: ignore[attr-defined]
    assert email_of(1) in flat(r.stdout)  # type: ignore[attr-defined]
