"""Staff manage people without erasing them (issue 13), through the CLI: show, unsubscribe,
resubscribe only on new consent, add, set-language, list --people, confirm-pending once per
address; every change in the consent log."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hrc_outreach.audience.consent import subscribe
from hrc_outreach.audience.people import confirm_pending
from hrc_outreach.cli import app
from hrc_outreach.config import load_settings
from hrc_outreach.store import open_store


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HRC_CONFIG", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("HRC_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("HRC_TOKEN_SECRET", "people-cli-secret-0123456789")
    monkeypatch.setenv("USER", "tester")
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def person(email: str) -> dict[str, Any]:
    code, out = cli("subscribers", "show", email, "--json")
    assert code == 0, out
    return json.loads(out)


def actions(email: str) -> list[str]:
    return [e["action"] for e in person(email)["consent_log"]]


def test_add_unsubscribe_resubscribe_set_language_keep_the_record(env: Path) -> None:
    assert cli("subscribers", "add", "ana@example.org", "--name", "Ana", "--language", "fr")[0] == 0
    ana = person("ana@example.org")
    assert ana["subscriber"]["state"] == "pending" and ana["subscriber"]["language"] == "fr"
    code, out = cli("subscribers", "add", "ana@example.org")
    assert code == 1 and "subscriber already" in out

    code, out = cli("subscribers", "unsubscribe", "ana@example.org", "--note", "asked by phone")
    assert code == 0, out
    ana = person("ana@example.org")
    assert ana["subscriber"]["state"] == "unsubscribed" and ana["subscriber"]["name"] == "Ana"
    assert ana["suppression"]["reason"] == "unsubscribed"

    # no new consent, no resubscription, nothing changes
    for partial in ([], ["--consent-note", "said yes"], ["--source", "forum"]):
        code, out = cli("subscribers", "resubscribe", "ana@example.org", *partial)
        assert code == 1 and "new consent is needed" in out
    assert person("ana@example.org")["subscriber"]["state"] == "unsubscribed"
    code, out = cli(
        "subscribers", "resubscribe", "ana@example.org",
        "--consent-note", "signed form, Ghent forum 2026-11-12", "--source", "ghent-forum",
    )  # fmt: skip
    assert code == 0, out
    ana = person("ana@example.org")
    assert ana["subscriber"]["state"] == "confirmed" and ana["suppression"] is None
    assert ana["subscriber"]["consent_source"] == "ghent-forum"
    assert ana["consent_log"][-1]["detail"]["note"] == "signed form, Ghent forum 2026-11-12"
    assert ana["consent_log"][-1]["detail"]["by"] == "tester"

    assert cli("subscribers", "set-language", "ana@example.org", "nl")[0] == 0
    code, out = cli("subscribers", "set-language", "ana@example.org", "klingon")
    assert code == 1 and "not one of the configured" in out
    assert person("ana@example.org")["subscriber"]["language"] == "nl"
    assert actions("ana@example.org") == [
        "subscribed", "unsubscribed", "resubscribed", "preferences",
    ]  # fmt: skip
    code, out = cli("subscribers", "unsubscribe", "nobody@example.org")
    assert code == 1 and "not a subscriber" in out


def test_add_with_consent_is_confirmed_and_an_unknown_language_falls_back(env: Path) -> None:
    result = CliRunner().invoke(app, [
        "subscribers", "add", "li@example.org", "--language", "tlh",
        "--consent-note", "paper form", "--source", "kick-off",
    ])  # fmt: skip
    assert result.exit_code == 0 and "language 'tlh' is not configured" in result.output
    li = person("li@example.org")["subscriber"]
    assert li["state"] == "confirmed" and li["language"] == "en"
    assert person("li@example.org")["consent_log"][0]["detail"]["language_asked"] == "tlh"
    # a suppressed address comes back only with consent evidence
    assert cli("subscribers", "unsubscribe", "li@example.org")[0] == 0
    assert cli("subscribers", "erase", "li@example.org", "--yes")[0] == 0
    code, out = cli("subscribers", "add", "li@example.org")
    assert code == 1 and "new consent is needed" in out
    code, out = cli(
        "subscribers", "add", "li@example.org", "--consent-note", "asked again", "--source", "mail"
    )
    assert code == 0, out
    assert person("li@example.org")["suppression"] is None


def test_list_people_with_filters(env: Path) -> None:
    for addr, lang in (("a@example.org", "fr"), ("b@example.org", "ar"), ("c@example.org", "fr")):
        assert cli("subscribers", "add", addr, "--language", lang, "-s", "voters")[0] == 0
    cli("subscribers", "unsubscribe", "c@example.org")
    code, out = cli("subscribers", "list", "--people", "--json", "--language", "fr")
    assert [p["email"] for p in json.loads(out)] == ["c@example.org", "a@example.org"]
    code, out = cli(
        "subscribers", "list", "--people", "--json", "--state", "pending", "-s", "voters"
    )
    assert [p["email"] for p in json.loads(out)] == ["b@example.org", "a@example.org"]
    code, out = cli(
        "subscribers", "list", "--people", "--json", "--contains", "B@EX", "--limit", "5"
    )
    assert [p["email"] for p in json.loads(out)] == ["b@example.org"]
    code, out = cli("subscribers", "list", "--people")
    assert code == 0 and "c@example.org" in out


def _optins(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.eml")) if folder.exists() else []


def test_confirm_pending_sends_once_per_address_and_logs_it(env: Path) -> None:
    for addr in ("p1@example.org", "p2@example.org"):
        assert cli("subscribers", "add", addr)[0] == 0
    cli("subscribers", "add", "ok@example.org", "--consent-note", "form", "--source", "x")
    settings = load_settings(None)
    store = open_store(settings)
    with store.session() as s:  # the public form sent this one its email already
        subscribe(s, settings, "web@example.org", source="web:/subscribe")
    store.dispose()
    code, out = cli("subscribers", "confirm-pending", "--json")
    assert code == 0, out
    assert sorted(json.loads(out)["sent"]) == ["p1@example.org", "p2@example.org"]
    assert len(_optins(env / "out" / "outbox")) == 2
    code, out = cli("subscribers", "confirm-pending", "--json")
    assert json.loads(out) == {"sent": [], "skipped": 2, "failed": {}}
    assert len(_optins(env / "out" / "outbox")) == 2
    assert actions("p1@example.org") == ["subscribed", "confirmation-sent"]


def test_two_confirm_pending_runs_at_once_send_each_email_once(
    env: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On each engine (SQLite; PostgreSQL when HRC_TEST_POSTGRES_URL is set)."""
    monkeypatch.setenv("HRC_DATABASE_URL", store_url)
    for i in range(12):
        assert cli("subscribers", "add", f"p{i}@example.org")[0] == 0
    settings = load_settings(None)
    reports = []

    def run() -> None:
        store = open_store(settings)
        try:
            reports.append(confirm_pending(store, settings, by="race"))
        finally:
            store.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = [a for r in reports for a in r.sent]
    assert sorted(sent) == sorted(f"p{i}@example.org" for i in range(12))
    assert sum(r.skipped for r in reports) == 24
    assert len(_optins(env / "out" / "outbox")) == 12
