"""Attacks on who may still be mailed: people erased (GDPR) or unsubscribed between planning and
sending, and between a failure and a person's retry. They are never mailed, and the report says
why."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from hrc_outreach.audience.gdpr import erase_person
from hrc_outreach.deliver.ledger import retry_failed
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow
from tests.support.brevo_sim import BrevoSim, received
from tests.support.ledger_data import email_of, planned_job
from tests.support.ledger_helpers import KEY, make_settings, send, token_secret  # noqa: F401


def test_erased_between_planning_and_sending_is_not_mailed(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 12, "brevo", max_recipients=5)
    with store.session() as s:
        erase_person(s, email_of(4), by="test")
    with BrevoSim(tmp_path / "sim") as sim:
        report = send(store, settings, job_id, sim, messages=msgs)
    got = received(tmp_path / "sim")
    assert email_of(4) not in got and len(got) == 11 and max(got.values()) == 1
    assert report.state == "done" and report.totals.suppressed == 1
    assert [m.reason for m in report.missed] == ["erased"]
    assert all(email_of(4) not in m.email for m in report.missed)  # no address kept


def test_unsubscribed_between_a_failure_and_the_retry_is_not_mailed(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path, retries=0)
    job_id, msgs = planned_job(store, settings, 6, "brevo", max_recipients=3)
    with BrevoSim(tmp_path / "sim", fail_400_email=email_of(1)) as sim:
        first = send(store, settings, job_id, sim, messages=msgs)
        assert first.totals.failed == 3
        with store.session() as s:
            s.execute(
                update(SubscriberRow)
                .where(SubscriberRow.email == email_of(2))
                .values(state="unsubscribed")
            )
        assert retry_failed(store, job_id, by="Ana") == 3
        sim.faults.fail_400_email = None
        final = send(store, settings, job_id, sim, messages=msgs)
    got = received(tmp_path / "sim")
    assert email_of(2) not in got and len(got) == 5 and max(got.values()) == 1
    assert final.state == "done" and final.totals.suppressed == 1
