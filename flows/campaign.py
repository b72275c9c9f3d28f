"""``campaign``: launch a campaign's steps by hand (Prefect UI, no schedule of its own).

Parameters: ``campaign`` (a folder under ``campaigns/``, or a path), ``step`` (a step's name, or
``all``: every step whose send time has come), ``dry_run``. With ``all``, each approved step still
to come is scheduled as a flow run of this deployment at its send time, in the campaign's zone
(Prefect's scheduler; cancel that run before its time and nothing is sent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task

from hrc_outreach.campaigns.steps import due_steps, launch_step, step_approved
from hrc_outreach.campaigns.validate import load_campaign
from hrc_outreach.config import Settings
from hrc_outreach.errors import OutreachError
from hrc_outreach.pipeline import load_checked_settings


def campaign_dir(settings: Settings, campaign: str) -> Path:
    """``eu-elections`` -> ``<project>/campaigns/eu-elections``; a path is taken as it is."""
    path = Path(campaign)
    return (
        path if path.is_absolute() or len(path.parts) > 1 else settings.resolve("campaigns") / path
    )


@task(name="launch-step")
def launch(settings: Settings, directory: Path, step: str, dry_run: bool) -> dict[str, Any]:
    out = launch_step(settings, directory, step, dry_run=dry_run)
    data = out.model_dump(mode="json", exclude={"report"})
    if out.report is not None:
        totals = out.report.totals
        data["accepted"], data["failed"], data["in_doubt"] = (
            totals.accepted,
            totals.failed,
            totals.in_doubt,
        )
    return data


@flow(name="campaign", log_prints=True)
def campaign(
    campaign: str, step: str = "all", dry_run: bool = False, config: str | None = None
) -> dict[str, Any]:
    """Launch ``step`` of ``campaign`` now (``all``: every due step) and schedule the approved
    steps still to come."""
    from hrc_outreach.campaigns.schedule import schedule_step

    settings = load_checked_settings(config)
    directory = campaign_dir(settings, campaign)
    spec = load_campaign(settings, directory)
    names = [s.name for s in due_steps(spec)] if step == "all" else [step]
    launched: list[dict[str, Any]] = []
    for name in names:
        try:
            launched.append(launch(settings, directory, name, dry_run))
        except OutreachError as exc:  # one refused step stops no other
            print(f"step {name}: {exc}")
            launched.append({"step": name, "error": str(exc)})
    scheduled: list[dict[str, Any]] = []
    if step == "all" and not dry_run:
        for s in spec.steps:
            if s.name in names:
                continue
            hashes = step_approved(settings, directory, s.name)
            if not hashes:
                continue
            try:
                scheduled.append(schedule_step(spec, s, str(directory), hashes, config=config))
            except Exception as exc:  # noqa: BLE001 - not deployed or no API: say so, go on
                print(f"step {s.name}: not scheduled ({exc}); deploy the campaign flow")
                scheduled.append({"step": s.name, "skipped": str(exc)})
    for r in launched:
        print(f"step {r['step']}: {r.get('error') or r.get('accepted', r.get('dry_run'))}")
    return {"campaign": spec.name, "launched": launched, "scheduled": scheduled}


if __name__ == "__main__":
    import sys

    campaign(sys.argv[1] if len(sys.argv) > 1 else "eu-elections")
