"""A sender process for the crash test and the bench: plan (or find) the job, then work it.

    python tests/support/send_driver.py --db URL --out DIR --key KEY --base-url URL [--max-recipients N]

Reads HRC_TOKEN_SECRET and HRC_BREVO_API_KEY from the environment; prints the job's final state.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys

from hrc_outreach.config import Settings
from hrc_outreach.deliver.ledger import arun_job, plan_job
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.render.output import load_drafts
from hrc_outreach.store import Store


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--base-url", required=True)
    p.add_argument("--max-recipients", type=int, default=None)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--rate", type=float, default=1000.0)
    p.add_argument("--lease", type=float, default=120.0)
    a = p.parse_args()
    settings = Settings.model_validate(
        {
            "out_dir": a.out,
            "store": {"url": a.db},
            "delivery": {
                "provider": "brevo",
                "retries": 10,
                "backoff_seconds": 0.1,
                "claim_lease_seconds": a.lease,
            },
        }
    )
    store = Store(a.db)
    messages = load_drafts(store, a.key)
    job_id = plan_job(store, settings, a.key, messages, "brevo", max_recipients=a.max_recipients)
    env = {**os.environ, "HRC_BREVO_BASE_URL": a.base_url}
    provider = provider_for(settings, name="brevo", env=env)
    try:
        report = await arun_job(
            store,
            settings,
            job_id,
            provider,
            concurrency=a.concurrency,
            rate_per_second=a.rate,
            messages=messages,
        )
    finally:
        await provider.aclose()
    print(report.state, report.totals.accepted, *report.held_by, flush=True)
    print(f"peak_rss_mb={peak_rss_mb():.0f}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's own peak RSS: VmHWM (ru_maxrss also counts the parent's memory it was
    forked from before exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    asyncio.run(main())
