"""Attack: a sender presumed dead (another sender judged its claim by a shorter lease) whose
answer arrives after the other held its batch in doubt. The late, definite answer settles the
doubt (accepted), is not overwritten, and nobody is mailed twice."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from hrc_outreach.deliver.ledger import job_report, plan_job
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.store import Store
from tests.support.ledger_data import add_subscribers, approved, email_of, messages
from tests.support.ledger_helpers import KEY, make_settings, token_secret  # noqa: F401 - fixture
from tests.support.provider_http import ProviderServer, Recorded, Reply

API = "key-123"


class SlowFirst:
    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.first = True

    def __call__(self, req: Recorded) -> Reply:
        with self.lock:
            for p in req.json["personalizations"]:
                self.received[p["to"][0]["email"]] += 1
            first, self.first = self.first, False
        return Reply(202, None, {"X-Message-Id": "sg"}, delay=2.5 if first else 0.0)


def test_a_late_answer_after_another_sender_held_the_batch_settles_it(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    slow = make_settings(tmp_path, provider="sendgrid", claim_lease_seconds=30)
    hasty = make_settings(tmp_path, provider="sendgrid", claim_lease_seconds=0.5)
    add_subscribers(store, 12, ("en",))
    msgs = approved(store, KEY, messages(KEY, ("en",)))
    job_id = plan_job(store, slow, KEY, msgs, "sendgrid", max_recipients=4)
    api = SlowFirst()

    async def sender(settings: Any, start: float, server: ProviderServer) -> Any:
        await asyncio.sleep(start)
        env = {"HRC_SENDGRID_API_KEY": API, "HRC_SENDGRID_BASE_URL": server.base_url}
        async with httpx.AsyncClient(timeout=10) as client:
            prov = provider_for(settings, client, name="sendgrid", env=env)
            return await arun_job(store, settings, job_id, prov, messages=msgs,
                                  rate_per_second=1000, concurrency=1)  # fmt: skip

    async def both(server: ProviderServer) -> Any:
        return await asyncio.gather(sender(slow, 0, server), sender(hasty, 1.0, server))

    with ProviderServer(api) as server:
        _first, second = asyncio.run(both(server))
    # the hasty sender did presume the slow one dead and held its batch in doubt meanwhile
    assert second.totals.in_doubt == 4, second
    assert api.received == Counter({email_of(i): 1 for i in range(12)})
    report = job_report(store, KEY)
    assert report.totals.accepted == 12 and report.state == "done", report.missed
