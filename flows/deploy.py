"""Deployments with their schedules, served from one process: ``python -m flows.deploy``
(or ``hrc-outreach deploy``). For work-pool workers, see ``prefect.yaml`` at the project root.

Schedules are in Europe/Brussels: the monthly edition on the first Tuesday at 09:00, gathering
daily at 06:00, the suppression sync hourly. Each deployment runs at most one run at a time.
"""

from __future__ import annotations

from typing import Any

from prefect.client.schemas.schedules import CronSchedule

TIME_ZONE = "Europe/Brussels"
MONTHLY_CRON = "0 9 * * 2#1"  # first Tuesday of the month, 09:00
GATHER_CRON = "0 6 * * *"
SUPPRESSIONS_CRON = "15 * * * *"


def deployments(config: str | None = None) -> list[Any]:
    """The runner deployments of every flow (schedules, parameters, one run at a time)."""
    from flows.campaign import campaign
    from flows.gather import gather
    from flows.monthly import monthly_edition
    from flows.preview import preview
    from flows.suppressions import sync_suppressions

    params = {"config": config} if config else {}

    def common(**more: Any) -> dict[str, Any]:  # a fresh tags list for each deployment
        return {"parameters": params, "tags": ["hrc-outreach"], **more}

    def cron(expression: str) -> list[CronSchedule]:
        return [CronSchedule(cron=expression, timezone=TIME_ZONE)]

    return [
        monthly_edition.to_deployment(
            name="monthly",
            schedules=cron(MONTHLY_CRON),
            description="The monthly edition: gather, draft, wait for approval, send.",
            **common(concurrency_limit=1),
        ),
        gather.to_deployment(
            name="daily", schedules=cron(GATHER_CRON), **common(concurrency_limit=1)
        ),
        sync_suppressions.to_deployment(
            name="hourly", schedules=cron(SUPPRESSIONS_CRON), **common(concurrency_limit=1)
        ),
        preview.to_deployment(name="on-demand", **common(concurrency_limit=1)),
        # no schedule: staff run it from the Prefect UI; approved steps schedule runs of it
        campaign.to_deployment(
            name="campaign",
            description="A campaign launched by hand (campaign, step or all, dry_run).",
            **common(),
        ),
    ]


def serve_all(config: str | None = None) -> None:
    """Serve every deployment until interrupted; schedules stay active when this process stops."""
    import os

    # the served runs are subprocesses that import Prefect afresh: library logs reach the UI
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "hrc_outreach")
    from prefect import serve

    serve(*deployments(config), pause_on_shutdown=False)


if __name__ == "__main__":
    import os

    serve_all(os.environ.get("HRC_CONFIG"))
