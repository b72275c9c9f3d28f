"""``monthly-edition``: gather → curate → translate → render → lint → previews → approval → send →
social posts → archive. Thin: every step is a library function; this module only orchestrates.

The approval binds to what the reviewer was shown: the pause form carries the content hashes of
this run's drafts; the run approves and sends only when the answer's hashes and the drafts on disk
are still those. A draft made while it waits (the preview deployment, `edition draft`) voids the
wait: the run ends without sending, saying which languages changed.

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
from hrc_outreach.approval import EditionChangedError, format_hashes
from hrc_outreach.config import Settings, load_settings
from hrc_outreach.errors import OutreachError
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
from hrc_outreach.workflow import (
    APPROVAL_KEY,
    MONTHLY_FLOW_NAME,
    ApprovalForm,
    approval_form,
    tag_current_run,
)

DEMO_REVIEWER = "make run"


@task(cache_policy=NO_CACHE, task_run_name="draft-{key}")
def draft_task(config: str | None, key: str, languages: list[str], today: date | None) -> DraftSummary:
    return draft(load_settings(config), key, languages, today=today)


@task(cache_policy=NO_CACHE, task_run_name="preview-{lang}")
def publish_preview(summary: DraftSummary, lang: str) -> str:
    """The preview of one language, as a link other tools (and people) can open."""
    return summary.languages[lang].path


@task(cache_policy=NO_CACHE, task_run_name="send-{key}")
def send_task(config: str | None, key: str, approved: dict[str, str]) -> dict[str, Any]:
    return send_edition(load_settings(config), key, approved=approved)


def _ask(settings: Settings, summary: DraftSummary, round_: int) -> ApprovalForm | None:
    """Pause for a person's decision on the drafts of ``summary``; None when the pause timed out."""
    timeout = int(settings.approval.timeout_days * 86400)
    form = approval_form(
        summary.hashes,
        f"Edition {summary.key}: approve (your name is required) or reject. The hashes are those "
        "of the drafts in this run's artifact; an approval of other hashes is refused.",
    )
    try:
        return pause_flow_run(  # type: ignore[no-any-return]
            wait_for_input=form,
            timeout=timeout,
            poll_interval=settings.approval.poll_seconds,
            key=f"{APPROVAL_KEY}-{summary.key}-{round_}",
        )
    except FlowPauseTimeout:
        return None


def _changed(settings: Settings, summary: DraftSummary) -> list[str]:
    """The languages whose drafts on disk are no longer those this run drafted and showed."""
    try:
        now = approval.content_hashes(drafted_messages(settings, summary.key))
    except OutreachError:
        return sorted(summary.hashes)  # deleted or edited by hand: nothing of it holds
    diff = approval.differences(summary.hashes, now)
    return sorted({lang for langs in diff.values() for lang in langs})


def _changed_result(key: str, changed: list[str], why: str) -> dict[str, Any]:
    message = (
        f"edition {key} changed while this run waited for approval ({why}; languages: "
        f"{', '.join(changed)}): nothing was approved and nothing sent. Review the drafts as they "
        f"are now (`hrc-outreach edition approve {key} --show`), approve them with "
        f"`hrc-outreach edition approve {key} --by NAME --hashes ...` and send with "
        f"`hrc-outreach edition send {key}`, or start the monthly run again."
    )
    get_run_logger().warning(message)
    create_markdown_artifact(
        key=f"edition-{key}", markdown=f"# Edition {key}: changed while waiting\n\n{message}\n",
        description=f"edition {key}: the wait for approval was voided",
    )
    return {"edition": key, "status": "changed", "sent": False, "changed": changed,
            "message": message}


def _refusal(form: ApprovalForm, summary: DraftSummary) -> str | None:
    """Why an approval answer cannot be taken (no name, hashes of other drafts), or None."""
    if not form.reviewer.strip():
        return "an approval needs the reviewer's name; none was given"
    diff = approval.differences(form.hashes, summary.hashes)
    if diff:
        parts = "; ".join(f"{what}: {', '.join(langs)}" for what, langs in diff.items())
        return f"the approved hashes are not those of the drafts shown ({parts})"
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

    round_, refused = 1, ""
    while True:
        create_markdown_artifact(
            key=f"edition-{key}", markdown=refused + preview_markdown(summary, settings),
            description=f"edition {key}: review and approve",
        )
        if auto_approve:
            approval.approve(
                open_store(settings), key, drafted_messages(settings, key), by=DEMO_REVIEWER,
                method=approval.DEMO_METHOD, provider=settings.delivery.provider,
                notes="approved automatically by the demo run", shown=summary.hashes,
            )
            break
        log.info("edition %s is waiting for approval (previews: %s; hashes: %s)",
                 key, summary.out_dir, format_hashes(summary.hashes))
        mark_waiting(settings, key, str(flow_run.get_id()))
        try:
            form = _ask(settings, summary, round_)
        finally:
            mark_waiting(settings, key, None)
        if form is None:
            log.warning("edition %s: no decision within %s days; nothing sent",
                        key, settings.approval.timeout_days)
            return {"edition": key, "status": "timed_out", "sent": False}
        changed = _changed(settings, summary)
        if changed:  # drafted again while this run waited: what was shown is not what is on disk
            return _changed_result(key, changed, "it was drafted again")
        if form.drop_items:  # the edition changes: a person must see it again, whatever they said
            add_excludes(settings, key, form.drop_items)
            summary = draft_task(config, key, langs, today)
            round_, refused = round_ + 1, ""
            continue
        store, messages = open_store(settings), drafted_messages(settings, key)
        if form.approve:
            why = _refusal(form, summary)
            if why is None:
                approval.approve(store, key, messages, by=form.reviewer, method="flow",
                                 notes=form.notes, shown=form.hashes)
                break
            log.warning("edition %s: approval refused: %s; waiting for a new answer", key, why)
            round_, refused = round_ + 1, f"**Approval refused: {why}.** Answer again.\n\n"
            continue
        approval.reject(store, key, messages, by=form.reviewer.strip() or "(no answer)",
                        method="flow", notes=form.notes or "resumed without approving")
        log.info("edition %s rejected by %s: %s", key, form.reviewer or "(no answer)", form.notes)
        return {"edition": key, "status": "rejected", "sent": False, "notes": form.notes}

    try:
        sent = send_task(config, key, summary.hashes)
    except EditionChangedError as exc:  # drafted again between approval and send
        return _changed_result(key, list(exc.languages), "it was drafted again after approval")
    create_table_artifact(
        key=f"send-{key}", table=send_summary_rows(summary, sent),
        description=f"edition {key}: what was sent, per language",
    )
    return {"edition": key, "status": "sent", "sent": True, **sent,
            "previews": str(summary.out_dir), "archive": str(summary.archive_dir)}


if __name__ == "__main__":
    monthly_edition()
