"""Faults other than a crash, against local servers speaking each provider's API: a relay that drops
the connection part-way, per-message refusals, a gateway error AFTER the provider recorded the batch,
a split Brevo batch whose second request fails. Afterwards every recipient was received exactly once
or is listed as waiting for a person with the reason; nobody twice; the retry commands deliver the
failed ones exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hrc_outreach.config import Settings
from hrc_outreach.deliver.ledger import (
    InDoubtDecision,
    give_up_failed,
    job_report,
    plan_job,
    resolve_in_doubt,
    retry_failed,
)
from hrc_outreach.store import Store
from tests.support.ledger_data import add_subscribers, approved, email_of, messages
from tests.support.ledger_helpers import (  # noqa: F401 - token_secret: autouse fixture
    KEY,
    make_settings,
    send_job,
    token_secret,
)
from tests.support.provider_http import ProviderServer, Recorded, Reply, brevo_api
from tests.support.smtp_relay import FaultyRelay, smtp_table, start_relay

API = "key-123"


def _send(store: Store, settings: Settings, job_id: int, name: str, env: dict[str, str]) -> Any:
    return send_job(store, settings, job_id, name, env, messages=messages(KEY, ("en",)))


def _planned(store: Store, settings: Settings, provider: str, **kw: Any) -> int:
    """The job of the approved edition (English) for the subscribers in the store."""
    return plan_job(
        store, settings, KEY, approved(store, KEY, messages(KEY, ("en",))), provider, **kw
    )


def _everyone_once(got: Counter[str], n: int) -> None:
    assert got == Counter({email_of(i): 1 for i in range(n)}), {
        e: c for e, c in got.items() if c != 1
    }


# ------------------------------------------------------------------------------------- SMTP


def _smtp(tmp_path: Path, relay: FaultyRelay) -> tuple[Controller, Settings]:
    c = start_relay(relay)
    return c, make_settings(tmp_path, provider="smtp", smtp=smtp_table(c.port))


@pytest.mark.parametrize("keep", [True, False], ids=["delivered-then-dropped", "dropped"])
def test_smtp_relay_dropping_the_connection_loses_no_one(
    sqlite_store: Store, tmp_path: Path, keep: bool
) -> None:
    store = sqlite_store
    n = 25
    relay = FaultyRelay(drop_after=3, keep=keep)
    controller, settings = _smtp(tmp_path, relay)
    try:
        add_subscribers(store, n, ("en",))
        job_id = _planned(store, settings, "smtp", max_recipients=10)
        report = _send(store, settings, job_id, "smtp", {})
        # The people after a drop were never handed over: they went in new batches, and out.
        doubt = {m.email for m in report.missed if m.state == "in_doubt"}
        assert report.state == "needs_attention" and report.waiting_for_a_person == len(doubt) > 0
        assert all("in doubt" in m.reason for m in report.missed)
        accepted = {email_of(i) for i in range(n)} - doubt
        assert report.totals.accepted == len(accepted) and report.totals.pending == 0
        assert all(relay.received[e] == 1 for e in accepted)
        assert max(relay.received.values()) == 1  # nobody twice
        # A second run sends nothing more: in-doubt people wait for a person.
        again = _send(store, settings, job_id, "smtp", {})
        assert again.state == "needs_attention" and max(relay.received.values()) == 1
        if keep:  # the relay's log shows they got it
            assert resolve_in_doubt(store, job_id, InDoubtDecision.MARK_SENT, by="Ana") == len(
                doubt
            )
        else:  # they did not: send them again (now to a relay that no longer drops)
            relay.drop_after = None
            assert resolve_in_doubt(store, job_id, InDoubtDecision.RESEND, by="Ana") == len(doubt)
            final = _send(store, settings, job_id, "smtp", {})
            assert final.state == "done"
    finally:
        controller.stop()
    _everyone_once(relay.received, n)
    assert job_report(store, KEY).state == "done"


# --------------------------------------------------------------------------------- Postmark


class PostmarkLog:
    """Postmark's batch API and its outbound message search, with faults: refuse given
    addresses per message, or record a batch and then answer 502 (a gateway error after
    acceptance)."""

    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.fail_after_recording = 0  # the next N batch requests are recorded, then 502
        self.outbound: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def received(self) -> Counter[str]:
        return Counter(m["To"] for m in self.outbound)

    def __call__(self, req: Recorded) -> Reply:
        if req.headers.get("x-postmark-server-token") != API:
            return Reply(401, {"ErrorCode": 10, "Message": "bad token"})
        if req.method == "POST" and req.path == "/email/batch":
            answers = []
            with self.lock:
                for m in req.json:
                    to = m["To"].split("<")[-1].rstrip(">")
                    if to in self.refuse:
                        answers.append(
                            {"ErrorCode": 406, "Message": "Inactive recipient", "To": to}
                        )
                        continue
                    mid = f"pm-{len(self.outbound)}"
                    self.outbound.append({"To": to, "MessageID": mid, "Metadata": m["Metadata"]})
                    answers.append({"ErrorCode": 0, "Message": "OK", "To": to, "MessageID": mid})
                if self.fail_after_recording:
                    self.fail_after_recording -= 1
                    return Reply(502, {"Message": "Bad gateway"})
            return Reply(200, answers)
        if req.method == "GET" and req.path == "/messages/outbound":
            batch = req.query.get("metadata_batch", [""])[0]
            offset = int(req.query["offset"][0])
            count = int(req.query["count"][0])
            rows = [m for m in self.outbound if m["Metadata"].get("batch") == batch]
            return Reply(200, {"TotalCount": len(rows), "Messages": rows[offset : offset + count]})
        return Reply(404, {"ErrorCode": 404, "Message": req.path})


def _postmark_env(server: ProviderServer) -> dict[str, str]:
    return {"HRC_POSTMARK_API_KEY": API, "HRC_POSTMARK_BASE_URL": server.base_url}


def test_postmark_refusing_some_messages_leaves_them_failed_then_retried_once(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path, provider="postmark")
    api = PostmarkLog()
    api.refuse = {email_of(3), email_of(17)}
    add_subscribers(store, 30, ("en",))
    job_id = _planned(store, settings, "postmark", max_recipients=10)
    with ProviderServer(api) as server:
        report = _send(store, settings, job_id, "postmark", _postmark_env(server))
        assert report.state == "needs_attention" and report.totals.failed == 2
        assert {m.email: m.state for m in report.missed} == {
            email_of(3): "failed",
            email_of(17): "failed",
        }
        assert all("Inactive recipient" in m.reason for m in report.missed)
        # fixed at Postmark; a person sends the failed ones again: new batches of those two only
        api.refuse = set()
        assert retry_failed(store, job_id, by="Ana") == 2
        final = _send(store, settings, job_id, "postmark", _postmark_env(server))
    assert final.state == "done" and final.totals.accepted == 30
    _everyone_once(api.received(), 30)


def test_postmark_502_after_recording_is_reconciled_through_its_message_search(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path, provider="postmark")
    api = PostmarkLog()
    api.fail_after_recording = 2
    add_subscribers(store, 30, ("en",))
    job_id = _planned(store, settings, "postmark", max_recipients=10)
    with ProviderServer(api) as server:
        report = _send(store, settings, job_id, "postmark", _postmark_env(server))
        posts = [r for r in server.requests if r.method == "POST"]
    # two batches answered 502 after Postmark recorded them: never sent again, found in its log
    assert len(posts) == 3
    assert report.state == "done" and report.totals.accepted == 30
    _everyone_once(api.received(), 30)


def test_give_up_on_failed_recipients_is_a_persons_final_word(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path, provider="postmark")
    api = PostmarkLog()
    api.refuse = {email_of(1)}
    add_subscribers(store, 5, ("en",))
    job_id = _planned(store, settings, "postmark")
    with ProviderServer(api) as server:
        assert _send(store, settings, job_id, "postmark", _postmark_env(server)).state == (
            "needs_attention"
        )
    with pytest.raises(Exception, match="say who decides"):
        give_up_failed(store, job_id, by=" ")
    assert give_up_failed(store, job_id, by="Ana") == 1
    report = job_report(store, KEY)
    assert report.state == "done" and report.totals.failed == 1
    assert "given up decided by Ana" in report.missed[0].reason


# --------------------------------------------------------------------------------- SendGrid


class SendGridLog:
    def __init__(self, *, fail_after_recording: int, activity: bool) -> None:
        self.fail_after_recording = fail_after_recording
        self.activity = activity
        self.sent: list[dict[str, Any]] = []  # one per personalization

    def received(self) -> Counter[str]:
        return Counter(p["to"] for p in self.sent)

    def __call__(self, req: Recorded) -> Reply:
        if req.headers.get("authorization") != f"Bearer {API}":
            return Reply(401, {"errors": [{"message": "authorization required"}]})
        if req.method == "POST" and req.path == "/v3/mail/send":
            for p in req.json["personalizations"]:
                self.sent.append({"to": p["to"][0]["email"], "args": p["custom_args"]})
            if self.fail_after_recording:
                self.fail_after_recording -= 1
                return Reply(502, {"errors": [{"message": "Bad gateway"}]})
            return Reply(202, None, {"X-Message-Id": f"sg{time.time_ns()}"})
        if req.method == "GET" and req.path == "/v3/messages" and self.activity:
            q = req.query["query"][0]
            rows = [
                {"msg_id": f"sg-{i}", "to_email": p["to"], "status": "delivered"}
                for i, p in enumerate(self.sent)
                if f"unique_args['batch_id']=\"{p['args']['batch_id']}\"" in q
                and f"unique_args['job_id']=\"{p['args']['job_id']}\"" in q
            ]
            return Reply(200, {"messages": rows})
        return Reply(404, {"errors": [{"message": req.path}]})


@pytest.mark.parametrize("activity", [False, True], ids=["no-activity-api", "email-activity"])
def test_sendgrid_502_after_recording_is_never_resent_blindly(
    sqlite_store: Store, tmp_path: Path, activity: bool
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path, provider="sendgrid", sendgrid={"email_activity": activity})
    api = SendGridLog(fail_after_recording=1, activity=activity)
    add_subscribers(store, 20, ("en",))
    job_id = _planned(store, settings, "sendgrid", max_recipients=10)
    with ProviderServer(api) as server:
        env = {"HRC_SENDGRID_API_KEY": API, "HRC_SENDGRID_BASE_URL": server.base_url}
        report = _send(store, settings, job_id, "sendgrid", env)
        assert len([r for r in server.requests if r.method == "POST"]) == 2  # no blind retry
    _everyone_once(api.received(), 20)
    if activity:
        assert report.state == "done" and report.totals.accepted == 20
    else:
        assert report.state == "needs_attention" and report.totals.in_doubt == 10
        assert all("502" in m.reason and "may have accepted" in m.reason for m in report.missed)
        assert resolve_in_doubt(store, job_id, InDoubtDecision.MARK_SENT, by="Ana") == 10
        assert job_report(store, KEY).state == "done"


# ------------------------------------------------------------------------------------ Brevo


def test_brevo_split_batch_whose_second_request_fails_keeps_the_first_part(
    sqlite_store: Store, tmp_path: Path
) -> None:
    from sqlalchemy import update

    from hrc_outreach.store.tables import SubscriberRow

    store = sqlite_store
    settings = make_settings(tmp_path)
    n = 2000  # one batch; long names push its params past Brevo's 1,000 KB: two requests
    add_subscribers(store, n, ("en",))
    with store.session() as s:
        s.execute(update(SubscriberRow).values(name="Reader " + "é" * 190))
    job_id = _planned(store, settings, "brevo")
    api = brevo_api(API)
    calls: list[int] = []
    got: Counter[str] = Counter()

    def handler(req: Recorded) -> Reply:
        if req.method == "POST":
            calls.append(1)
            if len(calls) == 2:  # the second part of the batch is refused
                return Reply(400, {"code": "invalid_parameter", "message": "bad part"})
            for v in req.json["messageVersions"]:
                got[v["to"][0]["email"]] += 1
        return api(req)

    with ProviderServer(handler) as server:
        env = {"HRC_BREVO_API_KEY": API, "HRC_BREVO_BASE_URL": server.base_url}
        report = _send(store, settings, job_id, "brevo", env)
        first = sum(got.values())
        assert 0 < first < n and report.totals.accepted == first
        assert report.state == "needs_attention" and report.totals.failed == n - first
        assert all("bad part" in m.reason for m in report.missed)
        assert retry_failed(store, job_id, by="Ana") == n - first
        final = _send(store, settings, job_id, "brevo", env)
    assert final.state == "done"
    _everyone_once(got, n)
