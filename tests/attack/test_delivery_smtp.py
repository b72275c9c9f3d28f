"""Attacks on the send ledger through an SMTP relay (aiosmtpd) that mixes faults in one session:
temporary refusals on RCPT (once, or for ever), a drop in the middle of DATA, a 421 on RCPT that
closes the session. Afterwards every recipient got the edition exactly once or is listed as
waiting for a person with the reason, in bounded time, and nobody is held in doubt who was never
handed over."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from hrc_outreach.config import Settings
from hrc_outreach.deliver.ledger import job_report, plan_job
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.store import Store
from tests.support.ledger_data import add_subscribers, approved, email_of, messages
from tests.support.ledger_helpers import KEY, make_settings, token_secret  # noqa: F401 - fixture


class MixedRelay:
    """RCPT: ``always_4xx`` refused 450 every time, ``once_4xx`` refused 451 the first time,
    ``close_421`` refused 421 the first time (smtplib then closes the session); DATA for
    ``drop_data`` the first time: the connection is dropped without an answer (not delivered)."""

    def __init__(self) -> None:
        self.always_4xx: set[str] = set()
        self.once_4xx: set[str] = set()
        self.close_421: set[str] = set()
        self.drop_data: set[str] = set()
        self.received: Counter[str] = Counter()
        self.rcpt_tries: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:  # noqa: N802, E501
        with self.lock:
            self.rcpt_tries[address] += 1
            first = self.rcpt_tries[address] == 1
        if address in self.always_4xx:
            return "450 4.2.1 mailbox busy, try later"
        if address in self.once_4xx and first:
            return "451 4.7.1 greylisted, try later"
        if address in self.close_421 and first:
            return "421 4.7.0 too many messages this session"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            drop = [r for r in envelope.rcpt_tos if r in self.drop_data]
            if drop:
                self.drop_data -= set(drop)
            else:
                for r in envelope.rcpt_tos:
                    self.received[r] += 1
        if drop:
            server.transport.close()
        return "250 OK"


def _relay(tmp_path: Path, relay: MixedRelay) -> tuple[Controller, Settings]:
    from tests.deliver.test_provider_smtp import free_port

    port = free_port()
    c = Controller(relay, hostname="127.0.0.1", port=port)
    c.start()
    settings = make_settings(
        tmp_path, provider="smtp", smtp={"host": "127.0.0.1", "port": port, "timeout_seconds": 5},
        retries=3,
    )  # fmt: skip
    return c, settings


def _send(store: Store, settings: Settings, job_id: int, *, within: float = 60) -> Any:
    async def go() -> Any:
        prov = provider_for(settings, name="smtp", env={})
        try:
            return await asyncio.wait_for(
                arun_job(store, settings, job_id, prov, messages=messages(KEY, ("en",)),
                         rate_per_second=1000, concurrency=2),
                within,
            )  # fmt: skip
        finally:
            await prov.aclose()

    return asyncio.run(go())


def test_a_relay_that_refuses_one_address_for_ever_ends_in_bounded_time(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A 4xx on RCPT for ever (a full mailbox) must not be rebatched for ever: it ends failed,
    waiting for a person with the relay's words, and the run ends."""
    store = sqlite_store
    relay = MixedRelay()
    relay.always_4xx = {email_of(2)}
    controller, settings = _relay(tmp_path, relay)
    try:
        add_subscribers(store, 6, ("en",))
        msgs = approved(store, KEY, messages(KEY, ("en",)))
        job_id = plan_job(store, settings, KEY, msgs, "smtp", max_recipients=3)
        report = _send(store, settings, job_id, within=30)
    finally:
        controller.stop()
    assert relay.rcpt_tries[email_of(2)] <= settings.delivery.retries + 1, relay.rcpt_tries
    assert report.state == "needs_attention"
    assert {m.email: m.state for m in report.missed} == {email_of(2): "failed"}
    assert "450" in report.missed[0].reason
    assert relay.received == Counter({email_of(i): 1 for i in range(6) if i != 2})


def test_mixed_faults_in_one_session_hold_no_one_in_doubt_who_was_never_sent(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Same session: a greylisted RCPT, then a drop mid-DATA. The greylisted one is sent again
    (once), the dropped one is in doubt, and those after the drop are sent, not held."""
    store = sqlite_store
    relay = MixedRelay()
    relay.once_4xx = {email_of(0)}
    relay.drop_data = {email_of(1)}
    controller, settings = _relay(tmp_path, relay)
    try:
        add_subscribers(store, 8, ("en",))
        msgs = approved(store, KEY, messages(KEY, ("en",)))
        job_id = plan_job(store, settings, KEY, msgs, "smtp", max_recipients=4)
        report = _send(store, settings, job_id)
    finally:
        controller.stop()
    assert {m.email: m.state for m in report.missed} == {email_of(1): "in_doubt"}
    assert relay.received == Counter({email_of(i): 1 for i in range(8) if i != 1})
    assert report.totals.accepted == 7


def test_the_first_message_dropped_holds_only_that_one_in_doubt(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The connection drops during the batch's FIRST message: only that person may have it; the
    others of the batch were never handed over and are sent, not left to a person."""
    store = sqlite_store
    relay = MixedRelay()
    relay.drop_data = {email_of(0)}
    controller, settings = _relay(tmp_path, relay)
    try:
        add_subscribers(store, 5, ("en",))
        msgs = approved(store, KEY, messages(KEY, ("en",)))
        job_id = plan_job(store, settings, KEY, msgs, "smtp", max_recipients=5)
        report = _send(store, settings, job_id)
    finally:
        controller.stop()
    assert {m.email: m.state for m in report.missed} == {email_of(0): "in_doubt"}
    assert relay.received == Counter({email_of(i): 1 for i in range(1, 5)})


def test_a_421_on_rcpt_closing_the_session_leaves_the_next_ones_sendable(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """smtplib closes the connection after a 421 on RCPT: the next recipients were never handed
    over, so they are sent again, not held in doubt."""
    store = sqlite_store
    relay = MixedRelay()
    relay.close_421 = {email_of(1)}
    controller, settings = _relay(tmp_path, relay)
    try:
        add_subscribers(store, 5, ("en",))
        msgs = approved(store, KEY, messages(KEY, ("en",)))
        job_id = plan_job(store, settings, KEY, msgs, "smtp", max_recipients=5)
        report = _send(store, settings, job_id)
    finally:
        controller.stop()
    assert report.missed == () or list(report.missed) == [], report.missed
    assert report.state == "done"
    assert relay.received == Counter({email_of(i): 1 for i in range(5)})
    assert job_report(store, KEY).state == "done"


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
    relay = MixedRelay()
    n = 60
    relay.once_4xx = {email_of(i) for i in range(n)}
    controller, settings = _relay(tmp_path, relay)
    try:
        add_subscribers(store, n, ("en",))
        msgs = approved(store, KEY, messages(KEY, ("en",)))
        job_id = plan_job(store, settings, KEY, msgs, "smtp", max_recipients=5)

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
    assert relay.received == Counter({email_of(i): 1 for i in range(n)})
    assert report.state == "done" and report.totals.accepted == n, report.missed
