"""Attacks on Brevo's one safety net, the idempotency key: once a request may have been accepted,
only the same key within Brevo's window makes a second request harmless. A later refusal (429,
a split batch's part refused) must not turn that doubt into "failed" or "not sent" (which a
person, or the next round, sends again under a NEW key), and no wait (a huge Retry-After) may
push the resend past the window. A Retry-After longer than the sender will wait ends the batch at
once with the reason, instead of a worker asleep for an hour holding its claim."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import httpx

from hrc_outreach.config import Settings
from hrc_outreach.deliver.ledger import job_report, plan_job, retry_failed
from hrc_outreach.deliver.providers.brevo import BrevoProvider
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.store import Store
from tests.support.ledger_data import add_subscribers, approved, email_of, messages
from tests.support.ledger_helpers import KEY, make_settings, token_secret  # noqa: F401 - fixture
from tests.support.provider_http import ProviderServer, Recorded, Reply

API = "key-123"


class KeyedBrevo:
    """``POST /v3/smtp/email`` that remembers idempotency keys for ``forget`` seconds (a repeat
    within that time sends nothing and gets the first answer), with the next answers scripted
    per request: ``"ok"``, ``"slow"`` (accepted, answer later than the client waits), or a
    :class:`Reply` (nothing accepted)."""

    def __init__(self, plan: list[Any], *, forget: float = 900.0) -> None:
        self.plan = list(plan)
        self.forget = forget
        self.keys: dict[str, float] = {}
        self.received: Counter[str] = Counter()
        self.posts: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, req: Recorded) -> Reply:
        if req.headers.get("api-key") != API:
            return Reply(401, {"message": "Key not found"})
        body = req.json
        key = body["headers"]["idempotencyKey"]
        with self.lock:
            self.posts.append(time.monotonic())
            step = self.plan.pop(0) if self.plan else "ok"
            if isinstance(step, Reply):
                return step
            seen = self.keys.get(key)
            if seen is None or time.monotonic() - seen > self.forget:
                self.keys[key] = time.monotonic()
                for v in body["messageVersions"]:
                    self.received[v["to"][0]["email"]] += 1
            n = len(body["messageVersions"])
        ids = {"messageIds": [f"<{i}@brevo>" for i in range(n)]}
        return Reply(201, ids, delay=1.0 if step == "slow" else 0.0)


def _run(store: Store, settings: Settings, job_id: int, server: ProviderServer,
         cls: type[BrevoProvider] = BrevoProvider, *, within: float = 60) -> Any:  # fmt: skip
    async def go() -> Any:
        async with httpx.AsyncClient(timeout=httpx.Timeout(0.4, connect=2.0)) as client:
            prov = cls(settings, client, base_url=server.base_url, api_key=API)
            return await asyncio.wait_for(
                arun_job(store, settings, job_id, prov, messages=messages(KEY, ("en",)),
                         rate_per_second=1000, concurrency=1),
                within,
            )  # fmt: skip

    return asyncio.run(go())


def _plan(store: Store, settings: Settings, n: int) -> int:
    add_subscribers(store, n, ("en",))
    return plan_job(store, settings, KEY, approved(store, KEY, messages(KEY, ("en",))), "brevo")


def test_in_doubt_then_refused_until_out_of_tries_stays_in_doubt(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """The first request is accepted but its answer lost; every resend is refused (429) until
    the tries run out. The batch may have gone out: in doubt, not failed — "retry failed" would
    send it again under a new key, a second copy to everyone."""
    store = sqlite_store
    settings = make_settings(tmp_path, retries=3)
    job_id = _plan(store, settings, 5)
    busy = Reply(429, {"message": "too many requests"}, {"Retry-After": "0"})
    api = KeyedBrevo(["slow", busy, busy, busy, busy])
    with ProviderServer(api) as server:
        report = _run(store, settings, job_id, server)
        assert report.totals.failed == 0, report.missed
        assert report.totals.in_doubt == 5 and report.state == "needs_attention"
        assert retry_failed(store, job_id, by="Ana") == 0
        _run(store, settings, job_id, server)
    assert api.received == Counter({email_of(i): 1 for i in range(5)})


class ShortKeyBrevo(BrevoProvider):
    """Brevo as it would be with a key window of 33 s (the ledger keeps a 30 s margin): 3 s in
    which a resend is still safe, so the test need not wait 15 minutes."""

    idempotency_window_seconds: ClassVar[float] = 33.0


def test_a_retry_after_longer_than_the_key_window_is_not_waited_out_to_resend(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """In doubt, then a 429 asking for more time than the key has left: resending when the
    429 allows would arrive after Brevo forgot the key. The batch stays in doubt instead."""
    store = sqlite_store
    settings = make_settings(tmp_path, retries=5)
    job_id = _plan(store, settings, 4)
    wait = Reply(429, {"message": "slow down"}, {"Retry-After": "4"})
    api = KeyedBrevo(["slow", wait], forget=3.0)
    with ProviderServer(api) as server:
        report = _run(store, settings, job_id, server, ShortKeyBrevo)
    assert max(api.received.values()) == 1, api.received
    assert api.posts[-1] - api.posts[0] < 3.0, "a resend arrived after the key window"
    assert report.totals.in_doubt == 4 and report.totals.failed == 0


def test_a_huge_retry_after_ends_the_batch_with_the_reason_instead_of_sleeping(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """A 429 asking to come back in an hour (a daily quota): the sender does not sleep an hour
    (nor 60 s to be refused again); the batch fails now, saying why, and a person retries it."""
    store = sqlite_store
    settings = make_settings(tmp_path, retries=5)
    job_id = _plan(store, settings, 3)
    quota = Reply(429, {"message": "daily limit reached"}, {"Retry-After": "3600"})
    api = KeyedBrevo([quota])
    started = time.monotonic()
    with ProviderServer(api) as server:
        report = _run(store, settings, job_id, server, within=30)
        took = time.monotonic() - started
        assert took < 10, took
        assert report.totals.failed == 3 and report.state == "needs_attention"
        assert all("3600" in m.reason for m in report.missed), report.missed
        assert retry_failed(store, job_id, by="Ana") == 3
        final = _run(store, settings, job_id, server)
    assert final.state == "done"
    assert api.received == Counter({email_of(i): 1 for i in range(3)})
    assert job_report(store, KEY).state == "done"
