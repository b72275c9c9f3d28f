"""The monthly flow warns about events of the edition that will have started by the time it is
sent (issue 13): in the approval artifact and the run's log, naming them; the run goes on and
sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.store import open_store
from hrc_outreach.store.items import upsert_items

pytestmark = [pytest.mark.flow, pytest.mark.slow]
EDITION = "2026-12"


def test_the_flow_warns_about_started_events_and_goes_on(demo_env: Settings) -> None:
    from prefect.client.orchestration import get_client

    from flows.run import run_monthly

    now = datetime.now(UTC)
    started_at = now - timedelta(minutes=2)
    today = started_at.astimezone(ZoneInfo(demo_env.newsletter.time_zone)).date()
    started = ContentItem(
        id=item_id("manual", "started"),
        source="manual",
        source_key="started",
        kind=ItemKind.EVENT,
        title="A webinar already under way",
        start=started_at,
        language="en",
    )
    later = started.model_copy(
        update={
            "id": item_id("manual", "later"),
            "source_key": "later",
            "title": "A forum still to come",
            "start": now + timedelta(days=20),
        }
    )
    store = open_store(demo_env)
    with store.session() as s:
        upsert_items(s, [started, later])
    store.dispose()

    state, message, result = run_monthly(
        edition=EDITION,
        config=str(demo_env.config_path),
        languages=["en"],
        gather=False,
        auto_approve=True,
        today=today,
        fallback_source=True,
    )
    assert result.get("status") != "failed", (state, message, result)
    with get_client(sync_client=True) as client:
        artifacts = client.read_latest_artifacts(limit=50)
    (art,) = [a for a in artifacts if a.key == f"edition-{EDITION}"]
    text = " ".join(str(art.data).split())
    assert "**Warning:**" in text and "'A webinar already under way'" in text
    warning = text.split("**Warning:**")[1].split("Exclude them")[0]
    assert "1 event(s) will have started" in warning and "A forum still to come" not in warning
    assert state == "Completed", (state, message)
