"""Prefect flow ``gather``: one task per source, run concurrently, retried; a summary artifact.

The work is :func:`hrc_outreach.sources.gather.gather_one`; this module only orchestrates it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from hrc_outreach.config import load_settings
from hrc_outreach.errors import SourceError
from hrc_outreach.models import GatherReport, GatherStatus, SourceReport
from hrc_outreach.sources.gather import (
    gather_one,
    make_client,
    report_as_dict,
    sources_to_gather,
)
from hrc_outreach.store import Store, open_store

ARTIFACT_KEY = "gather-summary"


def _worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Retry network faults, 5xx and 429 only: a missing file or a broken feed stays broken."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:
        return True
    return not isinstance(exc, SourceError) or exc.retryable


@task(
    retries=2,
    retry_delay_seconds=[5, 30],
    retry_condition_fn=_worth_retrying,
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
    settings = load_settings(config)
    open_store(settings).dispose()  # migrate once, before the tasks start
    configs = sources_to_gather(settings, source)
    futures = [gather_source.submit(c.name, config) for c in configs]
    reports = []
    for c, future in zip(configs, futures, strict=True):
        try:
            reports.append(future.result())
        except Exception as exc:  # retries exhausted: reported, the other sources still count
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
    return summary


if __name__ == "__main__":
    gather()
