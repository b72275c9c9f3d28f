"""``preview``: render the drafts of an edition and publish previews; sends nothing.

A preview that changes the drafts of an edition a monthly run waits on voids that wait: the run is
told, and ends without sending (what its reviewer was shown is no longer what would be sent).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from hrc_outreach.approval import format_hashes
from hrc_outreach.curate import default_edition_key
from hrc_outreach.pipeline import draft, load_checked_settings, preview_markdown
from hrc_outreach.workflow import void_waiting_run


@flow(name="preview", log_prints=True)
def preview(
    edition: str | None = None,
    languages: list[str] | None = None,
    config: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Draft edition ``edition`` in every language and publish the preview artifact."""
    settings = load_checked_settings(config)
    key = edition or default_edition_key(today or date.today())
    summary = draft(settings, key, list(languages or settings.i18n.languages), today=today)
    create_markdown_artifact(
        key=f"preview-{key}",
        markdown=preview_markdown(summary, settings),
        description=f"edition {key}: previews (nothing sent)",
    )
    print(
        f"edition {key}: {summary.items} items in {len(summary.languages)} languages; "
        f"{summary.lint_errors} lint errors; previews in {summary.out_dir}; "
        f"hashes {format_hashes(summary.hashes)}"
    )
    if summary.voided_run:
        told = void_waiting_run(summary.voided_run, key, summary.voided_languages)
        print(
            f"edition {key}: the monthly run {summary.voided_run} waited for approval of other "
            f"drafts ({', '.join(summary.voided_languages)} changed); "
            + ("it was told and ends without sending" if told else "it no longer waits")
        )
    return summary.model_dump(mode="json")


if __name__ == "__main__":
    preview()
