"""Attacks on how each HTTP provider's answer is read: a 200/201 whose body is malformed or
partial, fewer results than messages, an answer lost to a read timeout after sending. In each,
nobody is mailed twice, nobody who may have been mailed is called failed, and the report adds up."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from hrc_outreach.config import Settings
from hrc_outreach.deliver.ledger import plan_job
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.store import Store
from tests.support.ledger_data import add_subscribers, approved, email_of, messages
from tests.support.ledger_helpers import KEY, make_settings, token_secret  # noqa: F401 - fixture
from tests.support.provider_http import ProviderServer, Recorded, Reply

API = "key-123"
N = 6


class Api:
    """Accepts every message of every request (counted), answering with ``answer(n)`` the first
    time (n = messages in the request) and normally afterwards."""

    def __init__(self, name: str, answer: Any, *, delay: float = 0.0) -> None:
        self.name = name
        self.answer = answer
        self.delay = delay
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.first = True
        self.keys: set[Any] = set()

    def _emails(self, req: Recorded) -> list[str]:
        if self.name == "brevo":
            return [v["to"][0]["email"] for v in req.json["messageVersions"]]
        if self.name == "sendgrid":
            return [p["to"][0]["email"] for p in req.json["personalizations"]]
        return [m["To"].split("<")[-1].rstrip(">") for m in req.json]

    def __call__(self, req: Recorded) -> Reply:
        if req.method != "POST":
            return Reply(200, {"Messages": []} if self.name == "postmark" else {"messages": []})
        emails = self._emails(req)
        key = (
            (req.json.get("headers") or {}).get("idempotencyKey") if self.name == "brevo" else None
        )
        with self.lock:
            if key is None or key not in self.keys:  # Brevo drops a repeated key
                self.keys.add(key)
                for e in emails:
                    self.received[e] += 1
            first, self.first = self.first, False
        if first:
            status, body = self.answer(len(emails))
            return Reply(status, body, delay=self.delay)
        if self.name == "postmark":
            return Reply(200, [{"ErrorCode": 0, "MessageID": f"pm-{i}"} for i in emails])
        if self.name == "sendgrid":
            return Reply(202, None, {"X-Message-Id": "sg"})
        return Reply(201, {"messageIds": [f"<{e}>" for e in emails]})


def _run(store: Store, settings: Settings, job_id: int, name: str, server: ProviderServer) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient(timeout=httpx.Timeout(0.5, connect=2.0)) as client:
            env = {
                f"HRC_{name.upper()}_API_KEY": API,
                f"HRC_{name.upper()}_BASE_URL": server.base_url,
            }
            prov = provider_for(settings, client, name=name, env=env)
            return await asyncio.wait_for(
                arun_job(store, settings, job_id, prov, messages=messages(KEY, ("en",)),
                         rate_per_second=1000, concurrency=1),
                60,
            )  # fmt: skip

    return asyncio.run(go())


def _adds_up(report: Any) -> None:
    t = report.totals
    assert t.planned == t.accepted + t.failed + t.in_doubt + t.suppressed + t.pending + t.submitting
    assert len(report.missed) == t.failed + t.in_doubt + t.pending + t.submitting
    assert all(m.reason for m in report.missed), report.missed


CASES = {
    "postmark-200-not-json": ("postmark", lambda n: (200, "<html>ok</html>")),
    "postmark-200-fewer-results": (
        "postmark",
        lambda n: (200, [{"ErrorCode": 0, "MessageID": "a"}]),
    ),
    "postmark-200-object": ("postmark", lambda n: (200, {"ErrorCode": 0})),
    "brevo-201-fewer-ids": ("brevo", lambda n: (201, {"messageIds": ["<a>"]})),
    "brevo-201-empty": ("brevo", lambda n: (201, None)),
    "brevo-201-a-list": ("brevo", lambda n: (201, ["<a>"])),
    "sendgrid-202-garbage": ("sendgrid", lambda n: (202, "garbage")),
    "sendgrid-500": ("sendgrid", lambda n: (500, {"errors": [{"message": "boom"}]})),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_odd_answer_mails_nobody_twice_and_calls_nobody_failed(
    sqlite_store: Store, tmp_path: Path, case: str
) -> None:
    name, answer = CASES[case]
    store = sqlite_store
    settings = make_settings(tmp_path, provider=name, retries=2)
    add_subscribers(store, N, ("en",))
    job_id = plan_job(store, settings, KEY, approved(store, KEY, messages(KEY, ("en",))), name)
    api = Api(name, answer)
    with ProviderServer(api) as server:
        report = _run(store, settings, job_id, name, server)
    assert max(api.received.values()) == 1, api.received
    assert report.totals.failed == 0, report.missed
    assert report.totals.accepted + report.totals.in_doubt == N
    _adds_up(report)


@pytest.mark.parametrize("name", ["brevo", "sendgrid", "postmark"])
def test_an_answer_lost_to_a_read_timeout_after_sending(
    sqlite_store: Store, tmp_path: Path, name: str
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path, provider=name, retries=2)
    add_subscribers(store, N, ("en",))
    job_id = plan_job(store, settings, KEY, approved(store, KEY, messages(KEY, ("en",))), name)
    ok = {
        "brevo": lambda n: (201, {"messageIds": [f"<{i}>" for i in range(n)]}),
        "sendgrid": lambda n: (202, None),
        "postmark": lambda n: (200, [{"ErrorCode": 0, "MessageID": str(i)} for i in range(n)]),
    }[name]
    api = Api(name, ok, delay=1.5)
    with ProviderServer(api) as server:
        report = _run(store, settings, job_id, name, server)
    assert api.received == Counter({email_of(i): 1 for i in range(N)})
    assert report.totals.failed == 0
    if name == "brevo":  # resent with the same key within the window: settled
        assert report.state == "done"
    _adds_up(report)
