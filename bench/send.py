"""Bench: send an edition to 100,000 subscribers in 11 languages through a local Brevo-speaking server.

Prints recipients per second, peak memory, and the ratio of the ledger's time (plan + send, every
state change committed) to a minimal loop that posts the same batches with no ledger at all.
Targets: within 2x of that loop, and under 300 MB. Stops by itself; exit status 1 when a target
is missed.

    .venv/bin/python bench/send.py [--subscribers 100000] [--concurrency 4] [--url DATABASE_URL]

PostgreSQL: pass --url postgresql://.../a_scratch_db (its public schema is dropped first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hrc_outreach.config import Settings  # noqa: E402
from hrc_outreach.deliver.ledger import arun_job, plan_job  # noqa: E402
from hrc_outreach.deliver.planner import make_plan, snapshot  # noqa: E402
from hrc_outreach.deliver.providers import provider_for  # noqa: E402
from hrc_outreach.models import Batch, Recipient  # noqa: E402
from hrc_outreach.store import Store  # noqa: E402
from tests.support.brevo_sim import received, start_process  # noqa: E402
from tests.support.ledger_data import (  # noqa: E402
    LANGS11,
    add_edition,
    add_subscribers,
    approved,
    messages,
)

KEY = "2026-12"


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from hrc_outreach.store.db import _normalise_url

    engine = create_engine(_normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


async def with_ledger(
    store: Store, settings: Settings, base_url: str, concurrency: int
) -> tuple[float, float]:
    msgs = approved(store, KEY, messages(KEY, LANGS11))  # planning requires an approval
    env = {"HRC_BREVO_API_KEY": "bench", "HRC_BREVO_BASE_URL": base_url}
    provider = provider_for(settings, name="brevo", env=env)
    start = time.perf_counter()
    try:
        job_id = plan_job(store, settings, KEY, msgs, "brevo")
        planned = time.perf_counter() - start
        report = await arun_job(
            store,
            settings,
            job_id,
            provider,
            concurrency=concurrency,
            rate_per_second=1e6,
            messages=msgs,
        )
    finally:
        await provider.aclose()
    elapsed = time.perf_counter() - start
    assert report.state == "done", report.state
    return planned, elapsed


async def without_ledger(
    store: Store, settings: Settings, base_url: str, concurrency: int
) -> float:
    """The same batches (same grouping, same per-recipient links), posted with nothing recorded."""
    from hrc_outreach.audience.links import recipient_params

    msgs = approved(store, KEY, messages(KEY, LANGS11))  # planning requires an approval
    env = {"HRC_BREVO_API_KEY": "bench", "HRC_BREVO_BASE_URL": base_url}
    provider = provider_for(settings, name="brevo", env=env)
    start = time.perf_counter()
    with store.session() as s:
        members = snapshot(s, settings)
    plan = make_plan(members, msgs, source_language="en", max_recipients=provider.max_recipients)
    queue = list(plan.batches)

    async def worker() -> None:
        while queue:
            b = queue.pop(0)
            batch = Batch(
                id=b.seq,
                job_id=0,
                lang=b.lang,
                message=msgs[b.lang],
                recipients=tuple(
                    Recipient(
                        subscriber_id=members[i].subscriber_id,
                        email=members[i].email,
                        name=members[i].name,
                        params=recipient_params(
                            settings,
                            subscriber_id=members[i].subscriber_id,
                            email=members[i].email,
                            name=members[i].name,
                            lang=b.lang,
                        ),
                    )
                    for i in b.members
                ),
                idempotency_key=f"baseline-{b.seq}",
            )
            await provider.send(batch)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await provider.aclose()
    return time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--subscribers", type=int, default=100_000)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--url", default=None)
    a = p.parse_args()
    os.environ.setdefault("HRC_TOKEN_SECRET", "bench-token-secret-0123456789")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        url = a.url or f"sqlite:///{tmp / 'store.db'}"
        if a.url:
            reset_postgres(a.url)
        store = Store(url)
        settings = Settings.model_validate(
            {"out_dir": str(tmp / "out"), "store": {"url": url}, "delivery": {"provider": "brevo"}}
        )
        t = time.perf_counter()
        add_subscribers(store, a.subscribers, LANGS11)
        add_edition(store, KEY)
        print(
            f"setup: {a.subscribers} subscribers in {len(LANGS11)} languages "
            f"({time.perf_counter() - t:.1f} s, not timed), store {store.dialect}"
        )

        sim, base = start_process(tmp / "sim-baseline")
        try:
            base_time = asyncio.run(without_ledger(store, settings, base, a.concurrency))
        finally:
            stop(sim)
        base_got = received(tmp / "sim-baseline")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        sim, base = start_process(tmp / "sim-ledger")
        try:
            plan_time, ledger_time = asyncio.run(with_ledger(store, settings, base, a.concurrency))
        finally:
            stop(sim)
        got = received(tmp / "sim-ledger")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        store.dispose()

    n = a.subscribers
    ratio = ledger_time / base_time
    ok_once = sum(got.values()) == n and len(got) == n and sum(base_got.values()) == n
    print(f"no ledger : {base_time:6.2f} s  {n / base_time:9.0f} recipients/s")
    print(
        f"ledger    : {ledger_time:6.2f} s  {n / ledger_time:9.0f} recipients/s "
        f"(plan + send + record every batch and recipient)"
    )
    print(f"  planning: {plan_time:.2f} s (snapshot, batches, one ledger row per recipient)")
    print(f"ratio     : {ratio:.2f}x  (target <= 2x)")
    print(
        f"peak RSS  : {peak:.0f} MB (after the no-ledger loop: {rss_before:.0f} MB; target < 300 MB)"
    )
    print(f"received  : {sum(got.values())} by the server, each exactly once: {ok_once}")
    return 0 if ratio <= 2.0 and peak < 300 and ok_once else 1


if __name__ == "__main__":
    sys.exit(main())
