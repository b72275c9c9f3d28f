"""Attacks on the send ledger through an SMTP relay (aiosmtpd) that mixes faults in one session:
temporary refusals on RCPT (once, or for ever), a drop in the middle of DATA, a 421 on RCPT that
closes the session. Afterwards every recipient got the edition exactly once or is listed as
waiting for a person with the reason, in bounded time, and nobody is held in doubt who was never
handed over."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from hrc_outreach.config import Settings
from hrc_outreach.deliver.ledger import job_report
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.report import JobReport
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.store import Store
from tests.support.ledger_data import email_of, planned_job
from tests.support.ledger_helpers import (  # noqa: F401 - token_secret: autouse fixture
    KEY,
    make_settings,
    send_job,
    token_secret,
)
from tests.support.smtp_relay import FaultyRelay, relay, smtp_table, start_relay

RETRIES = 3


def _settings(tmp_path: Path, port: int) -> Settings:
    return make_settings(tmp_path, provider="smtp", smtp=smtp_table(port), retries=RETRIES)


def _through(
    store: Store, tmp_path: Path, faulty: FaultyRelay, n: int, batch: int, *, within: float = 60
) -> JobReport:
    """The edition sent to ``n`` subscribers through ``faulty``, ``batch`` recipients a batch."""
    with relay(faulty) as controller:
        settings = _settings(tmp_path, controller.port)
        job_id, msgs = planned_job(store, settings, n, "smtp", max_recipients=batch)
        report: JobReport = send_job(store, settings, job_id, "smtp", within=within, messages=msgs)
    return report


def test_a_relay_that_refuses_one_address_for_ever_ends_in_bounded_time(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A 4xx on RCPT for ever (a full mailbox) must not be rebatched for ever: it ends failed,
    waiting for a person with the relay's words, and the run ends."""
    faulty = FaultyRelay()
    faulty.always_4xx = {email_of(2)}
    report = _through(sqlite_store, tmp_path, faulty, 6, 3, within=30)
    assert faulty.rcpt_tries[email_of(2)] <= RETRIES + 1, faulty.rcpt_tries
    assert report.state == "needs_attention"
    assert {m.email: m.state for m in report.missed} == {email_of(2): "failed"}
    assert "450" in report.missed[0].reason
    assert faulty.received == Counter({email_of(i): 1 for i in range(6) if i != 2})


def test_mixed_faults_in_one_session_hold_no_one_in_doubt_who_was_never_sent(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Same session: a greylisted RCPT, then a drop mid-DATA. The greylisted one is sent again
    (once), the dropped one is in doubt, and those after the drop are sent, not held."""
    faulty = FaultyRelay()
    faulty.once_4xx = {email_of(0)}
    faulty.drop_data = {email_of(1)}
    report = _through(sqlite_store, tmp_path, faulty, 8, 4)
    assert {m.email: m.state for m in report.missed} == {email_of(1): "in_doubt"}
    assert faulty.received == Counter({email_of(i): 1 for i in range(8) if i != 1})
    assert report.totals.accepted == 7


def test_the_first_message_dropped_holds_only_that_one_in_doubt(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The connection drops during the batch's FIRST message: only that person may have it; the
    others of the batch were never handed over and are sent, not left to a person."""
    faulty = FaultyRelay()
    faulty.drop_data = {email_of(0)}
    report = _through(sqlite_store, tmp_path, faulty, 5, 5)
    assert {m.email: m.state for m in report.missed} == {email_of(0): "in_doubt"}
    assert faulty.received == Counter({email_of(i): 1 for i in range(1, 5)})


def test_a_421_on_rcpt_closing_the_session_leaves_the_next_ones_sendable(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """smtplib closes the connection after a 421 on RCPT: the next recipients were never handed
    over, so they are sent again, not held in doubt."""
    faulty = FaultyRelay()
    faulty.close_421 = {email_of(1)}
    report = _through(sqlite_store, tmp_path, faulty, 5, 5)
    assert report.missed == () or list(report.missed) == [], report.missed
    assert report.state == "done"
    assert faulty.received == Counter({email_of(i): 1 for i in range(5)})
    assert job_report(sqlite_store, KEY).state == "done"


def test_two_senders_on_postgres_rebatching_the_refused_at_once(tmp_path: Path) -> None:
    """Two senders on one job (PostgreSQL), every address greylisted once: both put refused
    recipients into new batches at the same moment (numbering them alike, then again)."""
    import os

    import pytest

    from hrc_outreach.store import Store
    from tests.conftest import _reset_postgres

    url = os.environ.get("HRC_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL not configured: set HRC_TEST_POSTGRES_URL (CI does)")
    _reset_postgres(url)
    store = Store(url)
    faulty = FaultyRelay()
    n = 60
    faulty.once_4xx = {email_of(i) for i in range(n)}
    controller = start_relay(faulty)
    settings = _settings(tmp_path, controller.port)
    try:
        job_id, msgs = planned_job(store, settings, n, "smtp", max_recipients=5)

        async def one() -> Any:
            prov = provider_for(settings, name="smtp", env={})
            return await arun_job(store, settings, job_id, prov, messages=msgs,
                                  rate_per_second=1000, concurrency=3)  # fmt: skip

        async def two() -> Any:
            return await asyncio.wait_for(asyncio.gather(one(), one()), 90)

        asyncio.run(two())
        report = job_report(store, KEY)
    finally:
        controller.stop()
        store.dispose()
    assert faulty.received == Counter({email_of(i): 1 for i in range(n)})
    assert report.state == "done" and report.totals.accepted == n, report.missed
