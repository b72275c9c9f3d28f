"""``monthly-edition``: gather → curate → translate → render → lint → previews → approval → send →
social posts → archive. Thin: every step is a library function; this module only orchestrates.

One task per source (gather), one for the draft (curate, translate and render every language),
one per language to publish its preview, one per send job; never one per item or subscriber.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.runtime import flow_run

from flows.gather import gather as gather_flow
from hrc_outreach import approval
from hrc_outreach.config import Settings, load_settings
from hrc_outreach.pipeline import (
    DraftSummary,
    add_excludes,
    draft,
    drafted_messages,
    lint_report_markdown,
    mark_waiting,
    preview_markdown,
    send_edition,
    send_summary_rows,
)
from hrc_outreach.store import open_store
from hrc_outreach.workflow import APPROVAL_KEY, MONTHLY_FLOW_NAME, ApprovalForm, tag_current_run

DEMO_REVIEWER = "make run"


@task(cache_policy=NO_CACHE, task_run_name="draft-{key}")
def draft_task(config: str | None, key: str, languages: list[str], today: date | None) -> DraftSummary:
    return draft(load_settings(config), key, languages, today=today)


@task(cache_policy=NO_CACHE, task_run_name="preview-{lang}")
def publish_preview(summary: DraftSummary, lang: str) -> str:
    """The preview of one language, as a link other tools (and people) can open."""
    return summary.languages[lang].path


@task(cache_policy=NO_CACHE, task_run_name="send-{key}")
def send_task(config: str | None, key: str) -> dict[str, Any]:
    return send_edition(load_settings(config), key)


def _ask(settings: Settings, summary: DraftSummary, round_: int) -> ApprovalForm | None:
    """Pause for a person's decision; None when the pause timed out."""
    timeout = int(settings.approval.timeout_days * 86400)
    try:
        return pause_flow_run(  # type: ignore[no-any-return]
            wait_for_input=ApprovalForm,
            timeout=timeout,
            poll_interval=settings.approval.poll_seconds,
            key=f"{APPROVAL_KEY}-{summary.key}-{round_}",
        )
    except FlowPauseTimeout:
        return None


@flow(name=MONTHLY_FLOW_NAME, log_prints=True)
def monthly_edition(
    edition: str | None = None,
    languages: list[str] | None = None,
    config: str | None = None,
    auto_approve: bool = False,
    gather: bool = True,
    today: date | None = None,
) -> dict[str, Any]:
    """The monthly newsletter, from sources to inboxes, with a person approving in between."""
    log = get_run_logger()
    settings = load_settings(config)
    from hrc_outreach.curate import default_edition_key

    key = edition or default_edition_key(today or date.today())
    langs = list(languages or settings.i18n.languages)
    tag_current_run(flow_run.get_id(), key)

    if gather:
        gather_flow(config=config)

    summary = draft_task(config, key, langs, today)
    for lang in langs:
        publish_preview.submit(summary, lang).result()
    if summary.lint_errors:
        create_markdown_artifact(
            key=f"lint-{key}", markdown=lint_report_markdown(summary),
            description=f"edition {key}: lint errors block sending",
        )
        raise RuntimeError(
            f"edition {key}: {summary.lint_errors} lint error(s) block sending; see the "
            f"'lint-{key}' artifact, fix the content and run again"
        )

    round_ = 1
    while True:
        create_markdown_artifact(
            key=f"edition-{key}", markdown=preview_markdown(summary, settings),
            description=f"edition {key}: review and approve",
        )
        if auto_approve:
            approval.approve(
                open_store(settings), key, drafted_messages(settings, key), by=DEMO_REVIEWER,
                method=approval.DEMO_METHOD, provider=settings.delivery.provider,
                notes="approved automatically by the demo run",
            )
            break
        log.info("edition %s is waiting for approval (previews: %s)", key, summary.out_dir)
        mark_waiting(settings, key, str(flow_run.get_id()))
        try:
            form = _ask(settings, summary, round_)
        finally:
            mark_waiting(settings, key, None)
        store, messages = open_store(settings), drafted_messages(settings, key)
        if form is None:
            log.warning("edition %s: no decision within %s days; nothing sent",
                        key, settings.approval.timeout_days)
            return {"edition": key, "status": "timed_out", "sent": False}
        if form.drop_items:  # the edition changes: a person must see it again, whatever they said
            add_excludes(settings, key, form.drop_items)
            summary = draft_task(config, key, langs, today)
            round_ += 1
            continue
        if form.approve:
            approval.approve(store, key, messages, by=form.reviewer or "(unnamed reviewer)",
                             method="flow", notes=form.notes)
            break
        approval.reject(store, key, messages, by=form.reviewer or "(no answer)",
                        method="flow", notes=form.notes or "resumed without approving")
        log.info("edition %s rejected by %s: %s", key, form.reviewer or "(no answer)", form.notes)
        return {"edition": key, "status": "rejected", "sent": False, "notes": form.notes}

    sent = send_task(config, key)
    create_table_artifact(
        key=f"send-{key}", table=send_summary_rows(summary, sent),
        description=f"edition {key}: what was sent, per language",
    )
    return {"edition": key, "status": "sent", "sent": True, **sent,
            "previews": str(summary.out_dir), "archive": str(summary.archive_dir)}


if __name__ == "__main__":
    monthly_edition()
