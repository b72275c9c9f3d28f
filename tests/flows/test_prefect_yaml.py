"""prefect.yaml (for work-pool workers) and the served deployments agree on schedules and limits."""

from __future__ import annotations

import yaml

from flows.deploy import GATHER_CRON, MONTHLY_CRON, SUPPRESSIONS_CRON, TIME_ZONE
from tests.conftest import ROOT


def test_prefect_yaml_matches_the_served_deployments() -> None:
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in doc["deployments"]}
    expected = {"monthly": MONTHLY_CRON, "daily": GATHER_CRON, "hourly": SUPPRESSIONS_CRON}
    for name, cron in expected.items():
        assert by_name[name]["schedules"] == [{"cron": cron, "timezone": TIME_ZONE}]
        assert by_name[name]["concurrency_limit"] == 1
    for d in doc["deployments"]:
        module, _, func = d["entrypoint"].partition(":")
        assert (ROOT / module).is_file(), d["entrypoint"]
        assert f"def {func}(" in (ROOT / module).read_text(encoding="utf-8"), d["entrypoint"]
