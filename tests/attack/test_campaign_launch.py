"""Attacks on launching a campaign step (issue 14), with the sample campaign and the example
subscribers, through a local SMTP relay that counts what each address receives (the outbox names
its files per recipient, so a second copy would only overwrite the first and hide):

- two `campaign launch` processes of the same step at the same moment (SQLite and PostgreSQL):
  every recipient gets it exactly once; a third launch sends nothing;
- someone who unsubscribes between the approval and the launch gets nothing, also when the step's
  job was planned before they left; someone who leaves between two steps gets none of the later;
- an approval recorded, then campaign.yaml edited: the audience, the send time, the consent, a
  country's link or the subject: the launch is refused, nobody is mailed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hrc_outreach.audience.importer import import_csv
from hrc_outreach.campaigns.steps import approve_step, draft_step, launch_step
from hrc_outreach.config import Settings, load_settings
from hrc_outreach.errors import ApprovalError
from hrc_outreach.paths import PROJECT_ROOT, SUBSCRIBERS_DIR
from hrc_outreach.store import open_store
from tests.campaigns.conftest import unsubscribe_email
from tests.support.smtp_relay import FaultyRelay, relay

SAMPLE = PROJECT_ROOT / "campaigns" / "eu-elections"
CLI = [sys.executable, "-c", "from hrc_outreach.cli import app; app()"]
VOTERS = {  # the example list's confirmed first-time voters living in the campaign's countries
    "amira.haddad@example.org",
    "olena.kovalenko@example.net",
    "mehmet.yilmaz@example.org",
    "fatima.zahra.benali@example.net",
    "ahmad.karimi@example.net",
}
STEP = "announcement"


class SlowRelay(FaultyRelay):
    """Counts per address and takes its time over each message, so two senders overlap."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.3)
        return str(await super().handle_DATA(server, session, envelope))


@dataclass
class Bench:
    settings: Settings
    env: dict[str, str]
    campaign: Path
    relay: FaultyRelay
    tmp: Path

    def received(self) -> dict[str, int]:
        return dict(self.relay.received)


@pytest.fixture
def bench(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bench]:
    handler = SlowRelay()
    with relay(handler) as controller:
        env = {
            "HRC_DATABASE_URL": store_url,
            "HRC_OUT_DIR": str(tmp_path / "out"),
            "HRC_DELIVERY__PROVIDER": "smtp",
            "HRC_DELIVERY__SMTP__HOST": "127.0.0.1",
            "HRC_DELIVERY__SMTP__PORT": str(controller.port),
            "HRC_DELIVERY__SMTP__TIMEOUT_SECONDS": "10",
            "HRC_TOKEN_SECRET": "campaign-attack-secret-0123456789abcdef",
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
        settings = load_settings(PROJECT_ROOT / "outreach.toml")
        store = open_store(settings)
        try:
            with store.session() as s:
                import_csv(s, settings, SUBSCRIBERS_DIR / "example.csv", source="test")
        finally:
            store.dispose()
        d = tmp_path / "campaigns" / "eu-elections"
        shutil.copytree(SAMPLE, d)
        _only_the_voters_languages(d / "campaign.yaml")
        child = {k: v for k, v in os.environ.items() if not k.startswith("HRC_")}
        child.update(env, PYTHONPATH=str(PROJECT_ROOT))
        child.pop("PREFECT_API_URL", None)
        yield Bench(settings=settings, env=child, campaign=d, relay=handler, tmp=tmp_path)


def _only_the_voters_languages(path: Path) -> None:
    """The sample in the languages the voters read (and the source's): what these tests attack
    does not depend on the other eight, and each draft renders a message per language and link."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index("\nlanguages:\n- en\n"), text.index("\nsteps:\n")
    kept = "".join(f"- {lang}\n" for lang in ("en", "fr", "de", "uk", "ar"))
    path.write_text(text[:start] + "\nlanguages:\n" + kept.rstrip("\n") + text[end:], "utf-8")


def _approved(bench: Bench, step: str = STEP) -> None:
    drafted = draft_step(bench.settings, bench.campaign, step)
    assert drafted.errors == 0
    approve_step(bench.settings, bench.campaign, step, by="Ana")


# ------------------------------------------------------------------------- two launches at once


def test_two_launch_processes_at_once_mail_everyone_exactly_once(bench: Bench) -> None:
    _approved(bench)
    cmd = [*CLI, "campaign", "launch", str(bench.campaign), "--step", STEP]
    procs = [
        subprocess.Popen(
            cmd, env=bench.env, cwd=bench.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    logs = [o[0].decode()[-800:] + o[1].decode()[-800:] for o in outs]
    assert bench.received() == dict.fromkeys(VOTERS, 1), logs
    assert all(p.returncode == 0 for p in procs), logs
    again = subprocess.run(cmd, env=bench.env, cwd=bench.tmp, capture_output=True, timeout=300)
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    assert bench.received() == dict.fromkeys(VOTERS, 1)


def test_two_launch_threads_at_once_mail_everyone_exactly_once(bench: Bench) -> None:
    """The same in one process (a web worker's threads: two approvers press Launch at once)."""
    from concurrent.futures import ThreadPoolExecutor

    _approved(bench)
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(launch_step, bench.settings, bench.campaign, STEP) for _ in range(2)]
        outcomes = [r.result(timeout=300) for r in runs]
    assert bench.received() == dict.fromkeys(VOTERS, 1)
    assert len({o.job_id for o in outcomes}) == 1  # one job, planned once


# ------------------------------------------------------------------------------- unsubscribing


def test_unsubscribed_between_approval_and_launch_gets_nothing(bench: Bench) -> None:
    _approved(bench)
    unsubscribe_email(bench.settings, "amira.haddad@example.org")
    out = launch_step(bench.settings, bench.campaign, STEP)
    assert bench.received() == dict.fromkeys(VOTERS - {"amira.haddad@example.org"}, 1)
    assert out.report is not None and out.report.totals.accepted == len(VOTERS) - 1


def test_unsubscribed_after_the_job_was_planned_gets_nothing(bench: Bench) -> None:
    """The step's job planned (a launch that stopped before sending), then someone leaves, then
    the launch is run again: the resumed job does not mail them."""
    from hrc_outreach.campaigns.steps import _current, campaign_audience
    from hrc_outreach.deliver.planner import plan_job

    _approved(bench)
    campaign, step, messages = _current(bench.settings, bench.campaign, STEP)
    store = open_store(bench.settings)
    try:
        plan_job(
            store, bench.settings, campaign.key(STEP), messages, "smtp",
            audience=lambda s: campaign_audience(s, bench.settings, campaign, step),
            source_language=campaign.source_language,
        )  # fmt: skip
    finally:
        store.dispose()
    unsubscribe_email(bench.settings, "olena.kovalenko@example.net")
    out = launch_step(bench.settings, bench.campaign, STEP)
    assert out.already
    assert bench.received() == dict.fromkeys(VOTERS - {"olena.kovalenko@example.net"}, 1)


def test_unsubscribed_between_two_steps_gets_none_of_the_later(bench: Bench) -> None:
    _approved(bench)
    launch_step(bench.settings, bench.campaign, STEP)
    unsubscribe_email(bench.settings, "mehmet.yilmaz@example.org")
    _approved(bench, "registration-reminder")
    _approved(bench, "election-day")
    launch_step(bench.settings, bench.campaign, "registration-reminder")
    launch_step(bench.settings, bench.campaign, "election-day")
    got = bench.received()
    assert got.pop("mehmet.yilmaz@example.org") == 1  # the first step only
    assert got == dict.fromkeys(VOTERS - {"mehmet.yilmaz@example.org"}, 3)


# ------------------------------------------------------------- the file edited after approval

EDITS = {
    "audience widened": ("  - PT\n", "  - PT\n  - SE\n"),
    "audience narrowed": ("  - BE\n", ""),
    "segment added": ("  - first-time-voters\n", "  - first-time-voters\n  - everyone\n"),
    "consent required": ("consent: ''", "consent: dare"),
    "send time moved": (
        "  offset_days: -70\n  time: '10:00'",
        "  offset_days: -70\n  time: '11:00'",
    ),
    "reference date moved": ("date: 2029-06-07", "date: 2029-06-08"),
    "time zone changed": ("timezone: Europe/Brussels", "timezone: Europe/Lisbon"),
}


# what an approval covers is the same on either engine: SQLite only (each case drafts 156 messages)
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_approval_does_not_hold_once_campaign_yaml_is_edited(bench: Bench, edit: str) -> None:
    _approved(bench)
    path = bench.campaign / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    old, new = EDITS[edit]
    assert text.count(old) >= 1, f"{edit}: {old!r} not in the sample"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ApprovalError, match="changed since it was previewed"):
        launch_step(bench.settings, bench.campaign, STEP)
    assert bench.received() == {}
    # previewed again, the new drafts still need a person's approval
    draft_step(bench.settings, bench.campaign, STEP)
    with pytest.raises(ApprovalError, match="changed since Ana approved"):
        launch_step(bench.settings, bench.campaign, STEP)
    assert bench.received() == {}


def test_editing_another_step_leaves_this_approval_holding(bench: Bench) -> None:
    _approved(bench)
    path = bench.campaign / "campaign.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("offset_days: 0", "offset_days: -1", 1), encoding="utf-8")
    assert text != path.read_text(encoding="utf-8")
    out = launch_step(bench.settings, bench.campaign, STEP)
    assert out.report is not None and bench.received() == dict.fromkeys(VOTERS, 1)
