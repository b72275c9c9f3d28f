"""Attacks on the ledger's own store: the PostgreSQL connection killed (``pg_terminate_backend``)
while the sender records a provider's answer. The provider has accepted the batch (no
idempotency key, no look-up): an answer lost to a dropped database connection leaves everyone in
doubt. The answer is recorded on a fresh connection instead."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.store import Store
from tests.conftest import POSTGRES_URL, _reset_postgres
from tests.support.ledger_data import email_of, messages, planned_job
from tests.support.ledger_helpers import KEY, make_settings, token_secret  # noqa: F401 - fixture
from tests.support.provider_http import ProviderServer, Recorded, Reply

API = "key-123"

# Kills the connection that records the N-th accepted batch, once (a sequence is not rolled back).
KILL_ON_ACCEPT = """
CREATE SEQUENCE kill_once;
CREATE FUNCTION kill_me() RETURNS trigger AS $$
BEGIN
  IF NEW.state = 'accepted' AND OLD.state <> 'accepted' AND nextval('kill_once') = {n} THEN
    PERFORM pg_terminate_backend(pg_backend_pid());
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER kill_me BEFORE UPDATE ON batches FOR EACH ROW EXECUTE FUNCTION kill_me();
"""


@pytest.fixture
def pg_store() -> Iterator[Store]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set HRC_TEST_POSTGRES_URL (CI does)")
    _reset_postgres(POSTGRES_URL)
    s = Store(POSTGRES_URL)
    yield s
    s.dispose()


class SendGridLog:
    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    def __call__(self, req: Recorded) -> Reply:
        if req.method == "POST" and req.path == "/v3/mail/send":
            for p in req.json["personalizations"]:
                self.received[p["to"][0]["email"]] += 1
            return Reply(202, None, {"X-Message-Id": "sg-1"})
        return Reply(404, {"errors": [{"message": req.path}]})


def _send(store: Store, settings: Any, job_id: int, server: ProviderServer) -> Any:
    async def go() -> Any:
        env = {"HRC_SENDGRID_API_KEY": API, "HRC_SENDGRID_BASE_URL": server.base_url}
        prov = provider_for(settings, name="sendgrid", env=env)
        try:
            return await arun_job(store, settings, job_id, prov, messages=messages(KEY, ("en",)),
                                  rate_per_second=1000, concurrency=1)  # fmt: skip
        finally:
            await prov.aclose()

    return asyncio.run(go())


@pytest.mark.postgres
def test_connection_killed_while_recording_an_answer_loses_no_answer(
    pg_store: Store, tmp_path: Path
) -> None:
    store = pg_store
    settings = make_settings(tmp_path, provider="sendgrid")
    job_id, msgs = planned_job(store, settings, 12, "sendgrid", max_recipients=4)
    with store.session() as s:
        s.execute(text(KILL_ON_ACCEPT.format(n=2)))
    api = SendGridLog()
    with ProviderServer(api) as server:
        report = _send(store, settings, job_id, server)
        if report.state != "done":  # what a second run makes of what the first left
            report = _send(store, settings, job_id, server)
    assert api.received == Counter({email_of(i): 1 for i in range(12)})
    assert report.state == "done", report.missed
    assert report.totals.accepted == 12 and report.totals.in_doubt == 0
