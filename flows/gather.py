"""Prefect flow ``gather``: one task per source, run concurrently, retried; a summary artifact.

Gathers never overlap: the daily deployment and the monthly run's gather subflow hold the same
Prefect global concurrency limit (``hrc-outreach-gather``, one slot), created on first use.

The work is :func:`hrc_outreach.sources.gather.gather_one`; this module only orchestrates it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency

from hrc_outreach.config import load_settings
from hrc_outreach.errors import SourceError
from hrc_outreach.models import GatherReport, GatherStatus, SourceReport
from hrc_outreach.pipeline import load_checked_settings
from hrc_outreach.sources.gather import (
    gather_one,
    make_client,
    report_as_dict,
    sources_to_gather,
)
from hrc_outreach.store import Store, open_store

ARTIFACT_KEY = "gather-summary"
GATHER_LOCK = "hrc-outreach-gather"  # one gather at a time, whoever starts it


def ensure_gather_lock() -> None:
    """Create the global concurrency limit gathers share (one slot) unless it exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(GATHER_LOCK)
            return
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=GATHER_LOCK, limit=1)
            )
        except ObjectAlreadyExists:
            pass  # created meanwhile by another gather


@task(
    # no task retries: fetching retries below (hrc_outreach.retrying), within the source's deadline
    # (Prefect retries on top made one failing source a dozen requests)
    cache_policy=NO_CACHE,
    task_run_name="gather-{name}",
)
def gather_source(name: str, config: str | None = None) -> SourceReport:
    """Gather one source; raises when it failed, so Prefect retries it (if worth it)."""
    settings = load_settings(config)
    store = Store(settings.database_url, migrate_schema=False)  # the flow migrated it

    async def run() -> SourceReport:
        async with make_client(settings) as client:
            return await gather_one(settings.source(name), settings, store, client)

    try:
        report = asyncio.run(run())
    finally:
        store.dispose()
    if report.status is GatherStatus.ERROR:
        raise SourceError(report.error or "failed", retryable=report.retryable)
    return report


@flow(name="gather", log_prints=True)
def gather(config: str | None = None, source: str | None = None) -> dict[str, Any]:
    """Gather every enabled source (or one) into the store; returns the `gather --json` summary."""
    settings = load_checked_settings(config)  # a typo in any source ends the run here
    open_store(settings).dispose()  # migrate once, before the tasks start
    configs = sources_to_gather(settings, source)
    ensure_gather_lock()
    reports = []
    with concurrency(GATHER_LOCK, occupy=1, strict=True):
        futures = [gather_source.submit(c.name, config) for c in configs]
        for c, future in zip(configs, futures, strict=True):
            try:
                reports.append(future.result())
            except Exception as exc:  # retries exhausted: reported, the others still count
                reports.append(
                    SourceReport(
                        name=c.name, kind=c.kind.value, status=GatherStatus.ERROR, error=str(exc)
                    )
                )
    report = GatherReport(sources=tuple(reports))
    summary = report_as_dict(report)
    create_table_artifact(
        key=ARTIFACT_KEY,
        table=summary["sources"],  # type: ignore[arg-type]
        description=f"{report.new} new, {report.updated} updated; "
        f"{sum(s.status is GatherStatus.ERROR for s in report.sources)} sources failed",
    )
    print(f"gathered {len(reports)} sources: {report.new} new, {report.updated} updated")
    daily_housekeeping(config=config)
    return summary


@flow(name="daily-housekeeping", log_prints=True)
def daily_housekeeping(config: str | None = None) -> dict[str, Any]:
    """What the daily run does beside gathering, needing no process that waited: remind reviewers
    of every wait for approval ending within a day (once each, claimed in the store), and delete
    kept copies older than ``delivery.outbox_retention_days``. A failure is logged, never fatal."""
    from hrc_outreach.audience.kept import purge_kept_copies
    from hrc_outreach.deliver.reviewers import remind_reviewers

    settings = load_checked_settings(config)
    chores: dict[str, Callable[[], object]] = {
        "reminded": partial(remind_reviewers, settings),
        "kept_copies_purged": partial(purge_kept_copies, settings),
    }
    done: dict[str, Any] = {}
    for name, chore in chores.items():
        try:
            done[name] = chore()
        except Exception as exc:  # noqa: BLE001 - one chore failing never stops the other
            done[name] = f"failed: {exc}"
            get_run_logger().warning("daily housekeeping: %s failed: %s", name, exc)
    print(
        f"reviewers reminded about {done['reminded']}; kept copies purged: {done['kept_copies_purged']}"
    )
    return done


if __name__ == "__main__":
    gather()
