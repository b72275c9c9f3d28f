"""``monthly-edition``: gather → curate → translate → render → lint → previews → approval → send →
social posts → archive. Thin: every step is a library function; this module only orchestrates.

Waiting for a person costs no process. A deployed run (started by a worker or ``serve``)
*suspends* while it waits (``suspend_flow_run``): its process exits, and when someone answers,
Prefect reruns the flow from the start on any worker. The rerun is cheap and sees what the first
run saw: gathering is skipped, the draft is the persisted result of the first run's draft task
(keyed by this flow run and round), and the answer of each earlier round is replayed by Prefect.
Only a run with no deployment (the foreground ``hrc-outreach run monthly``, ``make run`` and the
tests) waits in its own process with ``pause_flow_run``: it has nowhere to be rerun from.

The approval binds to what the reviewer was shown: the form carries the content hashes of this
run's drafts; the run approves and sends only when the answer's hashes and the drafts read now
are still those. A draft made while it waits voids the wait: the run ends without sending.

One run per edition: the store records the run that waits (``EditionRow.waiting_flow_run``, set
by compare-and-set); a second run for an edition that a live run waits on, or that is being sent
or was sent, ends at once (Cancelled, with the reason). Rejected, voided and timed-out runs end
Cancelled or Failed with a message, never Completed.

Tasks where Prefect adds something: one per source (gather: retries, concurrency), the draft
(its persisted result is what a rerun replays) and the senders (``delivery.sender_tasks``
concurrent tasks claiming batches of the same job, beside any `edition send` on other machines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import TaskRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.futures import wait
from prefect.runtime import deployment, flow_run
from prefect.serializers import JSONSerializer
from prefect.states import Cancelled, Failed

from flows.gather import gather as gather_flow
from hrc_outreach import approval
from hrc_outreach.approval import EditionChangedError, format_hashes
from hrc_outreach.config import Settings, load_settings
from hrc_outreach.deliver.languages import send_refusal
from hrc_outreach.deliver.reviewers import Wait, notify_waiting
from hrc_outreach.errors import OutreachError
from hrc_outreach.i18n.coverage import LanguageCoverage
from hrc_outreach.pipeline import (
    DraftSummary,
    add_excludes,
    claim_waiting,
    draft,
    drafted_messages,
    edition_taken,
    lint_report_markdown,
    load_checked_settings,
    preview_markdown,
    release_waiting,
    send_edition,
    send_share,
    send_summary_rows,
    waiting_flow_run,
)
from hrc_outreach.store import open_store
from hrc_outreach.workflow import (
    APPROVAL_KEY,
    MONTHLY_FLOW_NAME,
    ApprovalForm,
    approval_form,
    run_is_alive,
    tag_current_run,
)

DEMO_REVIEWER = "make run"


def _draft_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """One draft per flow run and round: a rerun after a suspension reads it back, never redrafts."""
    return (
        f"monthly-draft-{context.task_run.flow_run_id}-{parameters['key']}-{parameters['round_']}"
    )


# Stored as JSON, read back through the model: a run suspended under an older version reads its
# draft with the defaults of fields added since (pickle would restore objects without them).
@task(
    persist_result=True,
    cache_key_fn=_draft_key,
    result_serializer=JSONSerializer(),
    task_run_name="draft-{key}-{round_}",
)
def draft_task(
    config: str | None, key: str, languages: list[str], today: date | None, round_: int
) -> DraftSummary:
    return draft(load_settings(config), key, languages, today=today)


@task(cache_policy=NO_CACHE, task_run_name="social-{key}")
def social_task(config: str | None, key: str) -> dict[str, str]:
    """The approved edition's social posts (issue 15): the export bundle, then what is due to
    every account the environment names; one line per platform."""
    from hrc_outreach.social.publishing import publish_due

    settings = load_settings(config)
    store = open_store(settings)
    try:
        lines: dict[str, str] = publish_due(store, settings, key)
    finally:
        store.dispose()
    return lines


@task(cache_policy=NO_CACHE, task_run_name="send-{key}-sender-{share}")
def send_share_task(config: str | None, key: str, job_id: int, provider: str, share: int) -> str:
    """One sender of the job: claims batches beside the others until none is left."""
    report = send_share(load_settings(config), job_id, provider)
    return f"sender {share}: job {job_id} {report.state}"


def _send(
    config: str | None,
    settings: Settings,
    key: str,
    approved: dict[str, str],
    fallback_source: bool = False,
) -> Any:
    def run_shares(job_id: int, provider: str, n: int) -> None:
        futures = [
            send_share_task.submit(config, key, job_id, provider, i) for i in range(1, n + 1)
        ]
        wait(futures)
        for f in futures:
            f.result()  # a sender that failed fails the step (the others finished their share)

    return send_edition(
        settings,
        key,
        approved=approved,
        senders=settings.delivery.sender_tasks,
        share_runner=run_shares,
        fallback_source=fallback_source,
    )


def _ask(settings: Settings, summary: DraftSummary, round_: int) -> ApprovalForm | None:
    """Wait for a person's decision on the drafts of ``summary``; None when the wait timed out.

    Deployed: suspend (the process exits; Prefect reruns the flow with the answer). Otherwise
    (foreground, tests) there is no deployment to rerun: pause in this process.
    """
    timeout = int(settings.approval.timeout_days * 86400)
    form = approval_form(
        summary.hashes,
        f"Edition {summary.key}: approve (your name is required) or reject. The hashes are those "
        "of the drafts in this run's artifact; an approval of other hashes is refused.",
    )
    pause_key = f"{APPROVAL_KEY}-{summary.key}-{round_}"  # the same on a rerun: the answer replays
    if deployment.get_id():
        return suspend_flow_run(wait_for_input=form, timeout=timeout, key=pause_key)
    try:
        return pause_flow_run(
            wait_for_input=form,
            timeout=timeout,
            poll_interval=settings.approval.poll_seconds,
            key=pause_key,
        )
    except FlowPauseTimeout:
        return None


def _changed(settings: Settings, summary: DraftSummary) -> list[str]:
    """The languages whose drafts are no longer those this run drafted and showed."""
    try:
        now = approval.content_hashes(drafted_messages(settings, summary.key))
    except OutreachError:
        return sorted(summary.hashes)  # deleted or edited by hand: nothing of it holds
    diff = approval.differences(summary.hashes, now)
    return sorted({lang for langs in diff.values() for lang in langs})


def _changed_result(key: str, changed: list[str], why: str) -> State[Any]:
    message = (
        f"edition {key} changed while this run waited for approval ({why}; languages: "
        f"{', '.join(changed)}): nothing was approved and nothing sent. Review the drafts as they "
        f"are now (`hrc-outreach edition approve {key} --show`), approve them with "
        f"`hrc-outreach edition approve {key} --by NAME --hashes ...` and send with "
        f"`hrc-outreach edition send {key}`, or start the monthly run again."
    )
    get_run_logger().warning(message)
    create_markdown_artifact(
        key=f"edition-{key}",
        markdown=f"# Edition {key}: changed while waiting\n\n{message}\n",
        description=f"edition {key}: the wait for approval was voided",
    )
    return Cancelled(
        message=message,
        data={
            "edition": key,
            "status": "changed",
            "sent": False,
            "changed": changed,
            "message": message,
        },
    )


def _refusal(form: ApprovalForm, summary: DraftSummary) -> str | None:
    """Why an approval answer cannot be taken (no name, hashes of other drafts), or None."""
    if not form.reviewer.strip():
        return "an approval needs the reviewer's name; none was given"
    diff = approval.differences(form.hashes, summary.hashes)
    if diff:
        parts = "; ".join(f"{what}: {', '.join(langs)}" for what, langs in diff.items())
        return f"the approved hashes are not those of the drafts shown ({parts})"
    return None


def _taken(settings: Settings, key: str, me: str) -> str | None:
    """Why this run must not go on with edition ``key`` (another live run waits on it, it is being
    sent or was sent), or None. A recorded wait whose run is gone is forgotten, with a warning."""
    other = waiting_flow_run(settings, key)
    if other and other != me:
        alive, state = run_is_alive(other)
        if alive:
            return (
                f"edition {key} already has a monthly run waiting for approval (flow run "
                f"{other}, {state}): this run ends without asking. Answer that one with "
                f"`hrc-outreach edition approve {key}`, or cancel it in the Prefect UI first"
            )
        get_run_logger().warning(
            "edition %s: the run recorded as waiting (%s) is %s; its wait is forgotten",
            key,
            other,
            state,
        )
        release_waiting(settings, key, other)
    return edition_taken(settings, key)


def _refused(key: str, why: str) -> State[Any]:
    get_run_logger().warning(why)
    return Cancelled(
        message=why, data={"edition": key, "status": "refused", "sent": False, "message": why}
    )


@dataclass(frozen=True)
class _Run:
    """One monthly run of one edition: what each of its steps needs."""

    config: str | None
    settings: Settings
    key: str
    languages: list[str]
    today: date | None
    me: str  # this flow run's id

    def draft(self, round_: int) -> DraftSummary:
        """The drafts of ``round_`` (a rerun after a suspension reads them back)."""
        return draft_task(self.config, self.key, self.languages, self.today, round_)


@flow(name=MONTHLY_FLOW_NAME, log_prints=True, persist_result=True)
def monthly_edition(
    edition: str | None = None,
    languages: list[str] | None = None,
    config: str | None = None,
    auto_approve: bool = False,
    gather: bool = True,
    today: date | None = None,
    fallback_source: bool = False,
) -> Any:
    """The monthly newsletter, from sources to inboxes, with a person approving in between.

    ``fallback_source``: subscribers of configured languages not drafted (``languages`` names
    fewer) get the source-language edition; without it such a run ends before approval."""
    run = _start(edition, languages, config, today)
    # a rerun after a suspension: gathering and drafting are not done again
    replay = flow_run.get_run_count() > 1 or waiting_flow_run(run.settings, run.key) == run.me
    if not replay:
        why = _taken(run.settings, run.key, run.me)
        if why:
            return _refused(run.key, why)
    tag_current_run(run.me, run.key)

    if gather and not replay:
        gather_flow(config=config)

    summary = _first_draft(run)
    undrafted = _undrafted(run, fallback_source)
    if undrafted is not None:
        return undrafted
    approved = _approved(run, summary, auto_approve)
    if isinstance(approved, State):
        return approved
    return _sent(run, approved, fallback_source)


def _undrafted(run: _Run, fallback_source: bool) -> State[Any] | None:
    """The run's end, before anyone is asked, when languages that subscribers read have no draft
    and ``fallback_source`` was not given: sending would refuse them anyway."""
    why = send_refusal(run.settings, run.key, fallback_source=fallback_source)
    if why is None:
        return None
    message = f"{why} (in a flow run: the parameter fallback_source); nothing was sent"
    get_run_logger().warning(message)
    return Failed(
        message=message,
        data={"edition": run.key, "status": "undrafted", "sent": False, "message": message},
    )


def _start(
    edition: str | None, languages: list[str] | None, config: str | None, today: date | None
) -> _Run:
    """The run's edition (this month's by default), languages and settings, checked as the CLI
    checks them: a typo in outreach.toml ends the run here, before it gathers or drafts."""
    settings = load_checked_settings(config)
    from hrc_outreach.curate import default_edition_key

    return _Run(
        config=config,
        settings=settings,
        key=edition or default_edition_key(today or date.today()),
        languages=list(languages or settings.i18n.languages),
        today=today,
        me=str(flow_run.get_id()),
    )


def _first_draft(run: _Run) -> DraftSummary:
    """The first round's drafts; lint errors end the run before anyone is asked."""
    summary = run.draft(1)
    if summary.lint_errors:
        create_markdown_artifact(
            key=f"lint-{run.key}",
            markdown=lint_report_markdown(summary),
            description=f"edition {run.key}: lint errors block sending",
        )
        raise RuntimeError(
            f"edition {run.key}: {summary.lint_errors} lint error(s) block sending; see the "
            f"'lint-{run.key}' artifact, fix the content and run again"
        )
    return summary


def _started_note(run: _Run, doing: str) -> str:
    """Events of the edition that will have started by the time it is sent: a warning in the log,
    and as Markdown for the approval artifact ("" when there are none). Never stops the run."""
    from hrc_outreach.curate.events import started_in_store

    store = open_store(run.settings)
    try:
        with store.session() as session:
            note = started_in_store(session, run.settings, run.key, doing)
    finally:
        store.dispose()
    if not note:
        return ""
    get_run_logger().warning(note)
    return f"**Warning:** {note}\n\n"


def _approved(run: _Run, summary: DraftSummary, auto_approve: bool) -> DraftSummary | State[Any]:
    """Ask until a person approves drafts shown to them (returned), or the run's final state.

    Each round shows its drafts; dropping items drafts again and asks again, and so does an
    approval that cannot be taken (no name, other hashes).
    """
    round_, refused = 1, ""
    while True:
        create_markdown_artifact(
            key=f"edition-{run.key}",
            markdown=refused
            + _started_note(run, "approving")
            + preview_markdown(summary, run.settings),
            description=f"edition {run.key}: review and approve",
        )
        if auto_approve:
            approval.approve(
                open_store(run.settings),
                run.key,
                drafted_messages(run.settings, run.key),
                by=DEMO_REVIEWER,
                method=approval.DEMO_METHOD,
                provider=run.settings.delivery.provider,
                notes="approved automatically by the demo run",
                shown=summary.hashes,
            )
            return summary
        form = _answer(run, summary, round_)
        if isinstance(form, State):
            return form
        if form.drop_items:  # the edition changes: a person must see it again, whatever they said
            add_excludes(run.settings, run.key, form.drop_items)
            round_, refused = round_ + 1, ""
            summary = run.draft(round_)
            continue
        decided = _decide(run, summary, form)
        if decided is None:
            return summary
        if isinstance(decided, State):
            return decided
        get_run_logger().warning(
            "edition %s: approval refused: %s; waiting for a new answer", run.key, decided
        )
        round_, refused = round_ + 1, f"**Approval refused: {decided}.** Answer again.\n\n"


def _answer(run: _Run, summary: DraftSummary, round_: int) -> ApprovalForm | State[Any]:
    """The run recorded as the one waiting on the edition, then a person's answer; or the state
    the run ends in (another run waits on the edition, or no answer in time)."""
    key = run.key
    holder = claim_waiting(run.settings, key, run.me)
    if holder is not None:
        return _refused(
            key,
            f"edition {key} already has a monthly run waiting for approval "
            f"(flow run {holder}): this run ends without asking",
        )
    _tell_reviewers(run, summary, round_)
    log = get_run_logger()
    log.info(
        "edition %s is waiting for approval (run %s; previews: %s; hashes: %s)",
        key,
        run.me,
        summary.out_dir,
        format_hashes(summary.hashes),
    )
    form = _ask(run.settings, summary, round_)  # a deployed run exits here until answered
    release_waiting(run.settings, key, run.me)
    if form is None:
        message = (
            f"edition {key}: no decision within {run.settings.approval.timeout_days} days; "
            "nothing sent"
        )
        log.warning(message)
        return Failed(message=message, data={"edition": key, "status": "timed_out", "sent": False})
    return form


def _tell_reviewers(run: _Run, summary: DraftSummary, round_: int) -> None:
    """Email the reviewers that the edition waits (once per run and round: a rerun after a
    suspension tells nobody again); the daily flow reminds them a day before the wait ends."""
    wait = Wait(
        key=run.key,
        run=run.me,
        round=round_,
        deadline=datetime.now(UTC) + timedelta(days=run.settings.approval.timeout_days),
        subjects={lang: d.subject for lang, d in summary.languages.items()},
        coverage={  # as the draft and `status` show it: items and strings by provenance
            lang: LanguageCoverage(
                lang=lang,
                items=d.provenance,
                strings=d.strings,
                share=d.coverage,
                held_back=d.held_back,
            ).line()
            for lang, d in summary.languages.items()
        },
    )
    notify_waiting(run.settings, wait)  # a failure is logged and recorded, never fatal


def _decide(run: _Run, summary: DraftSummary, form: ApprovalForm) -> State[Any] | str | None:
    """A person's answer on the drafts shown, recorded: None when approved, why an approval
    cannot be taken (ask again), or the state the run ends in (drafted again, or rejected)."""
    key, settings = run.key, run.settings
    changed = _changed(settings, summary)
    if changed:  # drafted again while this run waited: what was shown is not what is read now
        return _changed_result(key, changed, "it was drafted again")
    store, messages = open_store(settings), drafted_messages(settings, key)
    if form.approve:
        why = _refusal(form, summary)
        if why is None:
            approval.approve(
                store,
                key,
                messages,
                by=form.reviewer,
                method="flow",
                notes=form.notes,
                shown=form.hashes,
            )
        return why
    by = form.reviewer.strip() or "(no answer)"
    approval.reject(
        store, key, messages, by=by, method="flow", notes=form.notes or "resumed without approving"
    )
    message = f"edition {key} rejected by {by}: {form.notes or 'no notes'}; nothing sent"
    get_run_logger().info(message)
    return Cancelled(
        message=message,
        data={"edition": key, "status": "rejected", "sent": False, "notes": form.notes},
    )


def _sent(
    run: _Run, summary: DraftSummary, fallback_source: bool = False
) -> State[Any] | dict[str, Any]:
    """The approved drafts sent by the senders, the archive published, and what was sent."""
    key = run.key
    _started_note(run, "sending")
    try:
        sent = _send(run.config, run.settings, key, summary.hashes, fallback_source)
    except EditionChangedError as exc:  # drafted again between approval and send
        return _changed_result(key, list(exc.languages), "it was drafted again after approval")
    if sent.archive_error:
        get_run_logger().warning("edition %s: archive not published: %s", key, sent.archive_error)
    result = sent.as_flow_result()
    try:  # social posts never hold up or undo the send: their ledger reports what needs a person
        social = social_task(run.config, key)
        get_run_logger().info("edition %s: social posts: %s", key, social)
    except Exception as exc:  # noqa: BLE001
        get_run_logger().warning("edition %s: social posts not published: %s", key, exc)
    create_table_artifact(
        key=f"send-{key}",
        table=send_summary_rows(summary, result),
        description=f"edition {key}: what was sent, per language",
    )
    return {
        "edition": key,
        "status": "sent",
        "sent": True,
        **result,
        "previews": str(summary.out_dir),
        "archive": str(summary.archive_dir),
    }


if __name__ == "__main__":
    monthly_edition()
