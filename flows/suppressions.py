"""``sync-suppressions`` (hourly): bounces, complaints and unsubscribes from the provider."""

from __future__ import annotations

from typing import Any

from prefect import flow

from hrc_outreach.pipeline import load_checked_settings
from hrc_outreach.pipeline import sync_suppressions as pull_suppressions


@flow(name="sync-suppressions", log_prints=True, retries=1, retry_delay_seconds=60)
def sync_suppressions(config: str | None = None) -> dict[str, Any]:
    """Suppress every address the provider reports as bounced, complained or unsubscribed."""
    result = pull_suppressions(load_checked_settings(config))
    print(
        f"{result['events']} events from {result['provider']}, {result['suppressed']} newly suppressed"
    )
    return result


if __name__ == "__main__":
    sync_suppressions()
