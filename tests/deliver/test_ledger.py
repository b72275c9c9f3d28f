"""The send ledger on SQLite and PostgreSQL: planning, sending through a Brevo-speaking server,
suppression at claim time, in-doubt batches, resuming, and two senders on one job."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import func, select, update

from hrc_outreach.deliver.ledger import (
    InDoubtDecision,
    idempotency_key,
    job_report,
    plan_job,
    resolve_in_doubt,
    run_job,
)
from hrc_outreach.deliver.planner import dry_run
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import Batch, SendResult
from hrc_outreach.store import Store
from hrc_outreach.store.tables import (
    BatchRow,
    EditionRow,
    SendJobRow,
    SendRecipientRow,
    SubscriberRow,
    SuppressionRow,
)
from tests.support.brevo_sim import BrevoSim, received, request_log
from tests.support.ledger_data import (
    add_edition,
    add_subscribers,
    approved,
    email_of,
    messages,
    planned_job,
)
from tests.support.ledger_helpers import (  # noqa: F401 - token_secret: autouse fixture
    KEY,
    NoKeyProvider,
    make_settings,
    send,
    token_secret,
)


def test_plan_is_whole_unique_and_stable(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    add_subscribers(store, 250, ("en", "fr", "de"))
    add_subscribers(store, 10, ("fr",), state="pending", start=1000)  # not confirmed: not planned
    msgs = approved(store, KEY, messages(KEY, ("en", "fr")))  # no German draft: German readers get English

    job_id = plan_job(store, settings, KEY, msgs, "brevo", max_recipients=40)

    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        assert job is not None and job.state == "planned"
        assert job.plan["fallbacks"] == {"de": "en"}
        assert job.plan["fallback_counts"] == {"de": 83}
        batches = s.scalars(
            select(BatchRow).where(BatchRow.job_id == job_id).order_by(BatchRow.seq)
        ).all()
        assert [b.lang for b in batches].count("en") == 5  # 84 en + 83 de = 167 -> 5 x 40
        assert all(b.size <= 40 for b in batches)
        assert sum(b.size for b in batches) == 250
        keys = [b.idempotency_key for b in batches]
        assert len(set(keys)) == len(keys)
        assert keys[0] == idempotency_key(job_id, 0, KEY)
        n, distinct = s.execute(
            select(func.count(), func.count(SendRecipientRow.subscriber_id.distinct())).where(
                SendRecipientRow.job_id == job_id
            )
        ).one()
        assert n == distinct == 250
        de = s.scalars(select(SendRecipientRow).where(SendRecipientRow.lang == "de")).first()
        assert de is not None and de.note == "sent in en: no de message"

    # A second plan (a second `send`) is the same job, unchanged.
    assert plan_job(store, settings, KEY, msgs, "brevo", max_recipients=40) == job_id
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SendRecipientRow)) == 250

    # Another real provider would mail the same people twice: refused.
    with pytest.raises(DeliveryError, match="mail people twice"):
        plan_job(store, settings, KEY, msgs, "sendgrid")


def test_dry_run_writes_nothing(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    add_subscribers(store, 30, ("en", "fr", "uk"))
    plan = dry_run(store, settings, messages(KEY, ("en", "fr")), "brevo")
    assert plan.recipients == 30 and plan.per_language == {"en": 10, "fr": 10, "uk": 10}
    assert plan.fallbacks == {"uk": "en"}
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SendJobRow)) == 0


def test_send_everyone_once_then_resume_sends_nothing(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    add_edition(store, KEY)
    job_id, msgs = planned_job(store, settings, 500, "brevo", ("en", "fr", "ar"), max_recipients=60)
    with BrevoSim(tmp_path / "sim") as sim:
        report = send(store, settings, job_id, sim, messages=msgs)
        again = send(store, settings, job_id, sim, messages=msgs)
    got = received(tmp_path / "sim")
    assert got == Counter({email_of(i): 1 for i in range(500)})
    assert report.state == "done" and again.state == "done"
    assert report.totals.accepted == 500 and report.totals.planned == 500
    assert report.languages["ar"].accepted == 166 and not report.missed
    assert request_log(tmp_path / "sim")[201] == 9  # 9 batches, and the second run sent none
    with store.session() as s:
        ids = s.scalars(select(SendRecipientRow.message_id)).all()
        assert all(m and m.endswith("@brevo-sim>") for m in ids) and len(set(ids)) == 500
        # the edition is marked sent and its items featured (curate's record_sent)
        edition = s.get(EditionRow, KEY)
        assert edition is not None and edition.status == "sent"


def test_unsubscribed_after_planning_is_not_mailed(store: Store, tmp_path: Path) -> None:
    from hrc_outreach.audience.addresses import email_hash

    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 40, "brevo", max_recipients=10)
    with store.session() as s:  # after planning: one unsubscribes, one is suppressed (a bounce)
        s.execute(
            update(SubscriberRow)
            .where(SubscriberRow.email == email_of(3))
            .values(state="unsubscribed")
        )
        s.add(SuppressionRow(email_hash=email_hash(email_of(17)), reason="bounced", source="brevo"))
    with BrevoSim(tmp_path / "sim") as sim:
        report = send(store, settings, job_id, sim, messages=msgs)
    got = received(tmp_path / "sim")
    assert email_of(3) not in got and email_of(17) not in got and len(got) == 38
    assert report.languages["en"].suppressed == 2 and report.state == "done"
    reasons = {m.email: m.reason for m in report.missed}
    assert reasons == {
        email_of(3): "no longer subscribed: unsubscribed",
        email_of(17): "suppressed: bounced",
    }


def test_a_batch_whose_everyone_left_is_settled_without_a_request(
    store: Store, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 4, "brevo", max_recipients=2)
    with store.session() as s:
        s.execute(update(SubscriberRow).where(SubscriberRow.id <= 2).values(state="unsubscribed"))
    with BrevoSim(tmp_path / "sim") as sim:
        report = send(store, settings, job_id, sim, messages=msgs)
    assert report.state == "done" and report.totals.suppressed == 2
    assert request_log(tmp_path / "sim")[201] == 1


def test_changed_draft_after_planning_is_refused(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    add_subscribers(store, 3, ("en", "fr"))
    job_id = plan_job(store, settings, KEY, approved(store, KEY, messages(KEY, ("en", "fr"))), "brevo")
    changed = messages(KEY, ("en", "fr"))
    changed["fr"] = changed["fr"].model_copy(update={"subject": "Autre sujet"})
    with BrevoSim(tmp_path / "sim") as sim, pytest.raises(DeliveryError, match="fr changed since"):
        send(store, settings, job_id, sim, messages=changed)
    assert not received(tmp_path / "sim")


DEAD = f"{socket.gethostname()}:999999999:dead"  # this host, a process id that cannot exist


def _crash_mid_request(
    store: Store, job_id: int, seq: int, *, by: str = DEAD, first_sent: datetime | None = None
) -> int:
    """What a SIGKILL during a request leaves behind: the batch claimed by a sender now gone (its
    claim not renewed for longer than the lease)."""
    first = (first_sent or datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    with store.session() as s:
        bid = s.scalar(select(BatchRow.id).where(BatchRow.job_id == job_id, BatchRow.seq == seq))
        s.execute(
            update(BatchRow)
            .where(BatchRow.id == bid)
            .values(
                state="submitting",
                claimed_by=by,
                claimed_at=datetime.now(UTC) - timedelta(minutes=3),
                response={"first_sent_at": first},
            )
        )
        s.execute(
            update(SendRecipientRow)
            .where(SendRecipientRow.batch_id == bid)
            .values(state="submitting", message_id=None)
        )
        assert bid is not None
        return bid


def test_in_doubt_without_idempotency_is_held_for_a_person(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, provider="sendgrid")
    job_id, msgs = planned_job(store, settings, 12, "sendgrid", max_recipients=5)
    _crash_mid_request(store, job_id, 1)
    prov = NoKeyProvider()
    report = run_job(store, settings, job_id, prov, messages=msgs)  # type: ignore[arg-type]
    assert sorted(b.idempotency_key for b in prov.sent) == sorted(
        idempotency_key(job_id, seq, KEY) for seq in (0, 2)
    )
    assert report.state == "needs_attention"
    assert report.totals.in_doubt == 5 and report.totals.accepted == 7
    assert [i.seq for i in report.issues] == [1] and "no idempotency key" in report.issues[0].error
    # Running again does not touch it.
    prov2 = NoKeyProvider()
    assert run_job(store, settings, job_id, prov2, messages=msgs).state == "needs_attention"  # type: ignore[arg-type]
    assert prov2.sent == []
    # A person checked the provider's logs: it went out.
    assert resolve_in_doubt(store, job_id, InDoubtDecision.MARK_SENT, by="Ana") == 5
    final = job_report(store, KEY)
    assert final.state == "done" and final.totals.accepted == 12
    with store.session() as s:
        notes = s.scalars(
            select(SendRecipientRow.note).where(SendRecipientRow.state == "accepted")
        ).all()
        assert sum(1 for n in notes if n and "mark-sent decided by Ana" in n) == 5


def test_resend_in_doubt_sends_the_held_recipients_in_a_new_batch(
    store: Store, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, provider="sendgrid")
    job_id, msgs = planned_job(store, settings, 6, "sendgrid", max_recipients=5)
    _crash_mid_request(store, job_id, 0)
    first = run_job(store, settings, job_id, NoKeyProvider(), messages=msgs)  # type: ignore[arg-type]
    assert first.state == "needs_attention" and first.totals.in_doubt == 5
    assert resolve_in_doubt(store, job_id, InDoubtDecision.RESEND, by="Ana") == 5
    prov = NoKeyProvider()
    report = run_job(store, settings, job_id, prov, messages=msgs)  # type: ignore[arg-type]
    assert report.state == "done" and report.totals.accepted == 6
    # the five held people, and only they, went out again, in a batch of their own
    assert [len(b.recipients) for b in prov.sent] == [5]
    assert prov.sent[0].idempotency_key == idempotency_key(job_id, 2, KEY)
    assert report.missed == ()


def test_in_doubt_with_brevo_is_resent_with_the_same_key(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 30, "brevo", max_recipients=10)
    with BrevoSim(tmp_path / "sim") as sim:
        send(store, settings, job_id, sim, messages=msgs)
        # The sender died after Brevo accepted batch 1 but before the answer was recorded.
        _crash_mid_request(store, job_id, 1)
        report = send(store, settings, job_id, sim, messages=msgs)
    assert report.state == "done" and report.totals.accepted == 30
    assert received(tmp_path / "sim") == Counter({email_of(i): 1 for i in range(30)})
    assert request_log(tmp_path / "sim")[208] == 1  # the repeat, recognised by its key


@pytest.mark.postgres
def test_two_senders_on_postgres_never_claim_the_same_batch(store: Store, tmp_path: Path) -> None:
    if store.dialect != "postgresql":
        pytest.skip("several senders on one job is a PostgreSQL feature (SKIP LOCKED)")
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 2000, "brevo", ("en", "fr"), max_recipients=50)
    with BrevoSim(tmp_path / "sim", delay_after=0.02) as sim:
        errors: list[BaseException] = []

        def sender() -> None:
            try:
                send(store, settings, job_id, sim, messages=msgs, concurrency=3)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert received(tmp_path / "sim") == Counter({email_of(i): 1 for i in range(2000)})
    assert request_log(tmp_path / "sim") == Counter({201: 40})  # no batch went twice
    with store.session() as s:
        by_sender = Counter(s.scalars(select(BatchRow.claimed_by).where(BatchRow.job_id == job_id)))
        assert len(by_sender) == 2, by_sender  # both senders worked, on different batches
        assert s.scalar(select(func.max(BatchRow.attempts))) == 1
    assert job_report(store, KEY).state == "done"


def test_in_doubt_past_the_key_window_is_held_even_with_brevo(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 20, "brevo", max_recipients=10)
    # First sent an hour ago: Brevo has forgotten the key, so a resend could deliver it twice.
    _crash_mid_request(store, job_id, 0, first_sent=datetime.now(UTC) - timedelta(hours=1))
    with BrevoSim(tmp_path / "sim") as sim:
        report = send(store, settings, job_id, sim, messages=msgs)
    assert report.state == "needs_attention" and report.totals.in_doubt == 10
    assert "longer ago than brevo keeps idempotency keys" in report.issues[0].error
    assert len(received(tmp_path / "sim")) == 10


def test_a_missing_token_secret_stops_before_any_batch_is_claimed(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hrc_outreach.errors import ConfigError

    monkeypatch.delenv("HRC_TOKEN_SECRET")
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 5, "brevo")
    with BrevoSim(tmp_path / "sim") as sim, pytest.raises(ConfigError, match="HRC_TOKEN_SECRET"):
        send(store, settings, job_id, sim, messages=msgs)
    with store.session() as s:
        assert set(s.scalars(select(BatchRow.state))) == {"planned"}
    assert not received(tmp_path / "sim")


class _PartlyRefusingProvider(NoKeyProvider):
    """Like Postmark's batch API or an SMTP relay: accepts a batch but refuses some recipients."""

    name: ClassVar[str] = "postmark"

    def __init__(self, refuse: dict[str, str]) -> None:
        super().__init__()
        self.refuse = refuse  # email -> reason

    async def send(self, batch: Batch) -> SendResult:
        self.sent.append(batch)
        out = {r.subscriber_id: self.refuse[r.email] for r in batch.recipients
               if r.email in self.refuse}
        failed = {k: v for k, v in out.items() if not v.startswith("in doubt")}
        doubt = {k: v for k, v in out.items() if v.startswith("in doubt")}
        ids = {r.subscriber_id: f"<{r.subscriber_id}@pm>" for r in batch.recipients
               if r.subscriber_id not in out}
        return SendResult(accepted=True, message_ids=ids, failed=failed, in_doubt=doubt,
                          detail="partly")


def test_recipients_refused_one_by_one_are_not_counted_as_sent(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, provider="postmark")
    job_id, msgs = planned_job(store, settings, 10, "postmark", max_recipients=5)
    prov = _PartlyRefusingProvider({
        email_of(2): "406: You tried to send to a recipient that has been marked as inactive.",
        email_of(7): "in doubt: the connection dropped after DATA",
    })
    report = asyncio.run(arun_job(store, settings, job_id, prov, messages=msgs,
                                  rate_per_second=1000))
    en = report.languages["en"]
    assert (en.planned, en.accepted, en.failed, en.in_doubt) == (10, 8, 1, 1)
    missed = {m.email: (m.state, m.reason) for m in report.missed}
    assert missed[email_of(2)][0] == "failed" and "inactive" in missed[email_of(2)][1]
    assert missed[email_of(7)][0] == "in_doubt"
    with store.session() as s:
        ids = dict(s.execute(select(SendRecipientRow.email, SendRecipientRow.message_id)).all())
    assert ids[email_of(2)] is None
    assert str(ids[email_of(3)]).endswith("@pm>")
