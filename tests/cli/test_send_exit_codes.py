"""`edition send` exit codes when a relay fails part-way: 2 while someone waits for a person (named,
with the reason), 0 once a person's decision settled everyone; nobody mailed twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.store import Store
from tests.support.ledger_data import add_edition, add_subscribers, email_of, messages, write_draft
from tests.support.smtp_relay import FaultyRelay, start_relay

KEY = "2026-12"
N = 12
ENV = {"HRC_TOKEN_SECRET": "cli-exit-codes-secret-0123456789"}


@pytest.fixture
def relay() -> FaultyRelay:
    return FaultyRelay(drop_after=4)


@pytest.fixture
def config(tmp_path: Path, relay: FaultyRelay) -> object:
    controller = start_relay(relay)
    port = controller.port
    cfg = tmp_path / "outreach.toml"
    db = tmp_path / "store.db"
    cfg.write_text(
        f'out_dir = "out"\n[store]\nurl = "sqlite:///{db}"\n[i18n]\nlanguages = ["en"]\n'
        f'[delivery]\nprovider = "smtp"\nbackoff_seconds = 0.05\n'
        f'[delivery.smtp]\nhost = "127.0.0.1"\nport = {port}\ntimeout_seconds = 5\n',
        encoding="utf-8",
    )
    store = Store(f"sqlite:///{db}")
    add_subscribers(store, N, ("en",))
    add_edition(store, KEY)
    write_draft(store, messages(KEY, ("en",)))
    store.dispose()
    yield cfg
    controller.stop()


def run(config: object, *args: str) -> object:
    return CliRunner().invoke(app, ["--config", str(config), *args], env=ENV)


def approve(config: object) -> None:
    r = run(config, "edition", "approve", KEY, "--show", "--json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    hashes = json.loads(r.stdout)["hashes_arg"]  # type: ignore[attr-defined]
    r = run(config, "edition", "approve", KEY, "--by", "Ana", "--hashes", hashes)
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]


def test_send_exits_2_naming_who_waits_then_0_after_a_persons_decision(
    config: object, relay: FaultyRelay
) -> None:
    approve(config)
    r = run(config, "edition", "send", KEY, "--json")
    assert r.exit_code == 2, r.output  # type: ignore[attr-defined]
    report = json.loads(r.stdout)  # type: ignore[attr-defined]
    waiting = {m["email"] for m in report["missed"] if m["state"] == "in_doubt"}
    assert waiting and all("in doubt" in m["reason"] for m in report["missed"])
    assert report["totals"]["accepted"] == N - len(waiting) and report["totals"]["pending"] == 0
    # the relay dropped each in-doubt message before keeping it: they did not get it
    assert not waiting & set(relay.received)
    # running again sends nobody: they wait for a person
    assert run(config, "edition", "send", KEY).exit_code == 2  # type: ignore[attr-defined]
    relay.drop_after = None
    r = run(config, "edition", "send", KEY, "--resend-in-doubt", "--by", "Ana")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert f"{len(waiting)} in-doubt recipient(s): resend" in r.stderr  # type: ignore[attr-defined]
    assert relay.received == {email_of(i): 1 for i in range(N)}
    r = run(config, "edition", "report", KEY, "--json")
    assert json.loads(r.stdout)["state"] == "done"  # type: ignore[attr-defined]
