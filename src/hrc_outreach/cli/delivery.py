"""`edition approve | send | send-test | report`: approval and the send ledger, from the shell.

Exit codes of `send`: 0 every recipient is accepted, suppressed or given up by a person (or what
is left is held by another live sender, which it names); 1 refused or an error (nothing sent that
was not recorded); 2 the job needs a person (failed or in-doubt recipients, named by `report`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hrc_outreach.cli.apps import console, edition_app, err_console, fail, print_json, settings
from hrc_outreach.errors import ApprovalError, OutreachError
from hrc_outreach.models import ApprovalDecision, JobState, RecipientState, RenderedMessage

if TYPE_CHECKING:
    from hrc_outreach.pipeline import SendDecisions, SendOutcome
    from hrc_outreach.store.tables import ApprovalRow

EXIT_NEEDS_ATTENTION = 2


def _drafts(key: str) -> dict[str, RenderedMessage]:
    from hrc_outreach.render.output import load_drafts

    try:
        store = _store()
        try:
            return load_drafts(store, key)
        finally:
            store.dispose()
    except OutreachError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _store() -> Any:
    from hrc_outreach.store import open_store

    try:
        return open_store(settings())
    except OutreachError as exc:
        fail(str(exc))


@edition_app.command("approve")
def approve_cmd(
    key: str = typer.Argument(..., help="Edition key, e.g. 2026-12."),
    by: str = typer.Option("", "--by", help="Who decides (required; recorded with the hashes)."),
    hashes: str = typer.Option(
        "",
        "--hashes",
        help="The content hashes of the drafts you reviewed, as --show prints them "
        "(en=1a2b3c4d5e6f,fr=...). Required to approve: drafts that are no longer those are refused.",
    ),
    show: bool = typer.Option(
        False,
        "--show",
        help="Print the drafts' content hashes and the latest decision; decide nothing.",
    ),
    as_json: bool = typer.Option(False, "--json", help="With --show: print it as JSON."),
    notes: str = typer.Option("", "--notes", help="Notes kept with the decision."),
    reject: bool = typer.Option(False, "--reject", help="Reject instead (say why in --notes)."),
) -> None:
    """Approve (or reject) the drafts you reviewed: binds to the content hash of every language."""
    from hrc_outreach import approval

    messages = _drafts(key)
    current = approval.content_hashes(messages)
    if show:
        _show_drafts(key, messages, as_json=as_json)
        return
    name = _reviewer(key, by, hashes, messages, reject=reject)
    if not reject:
        _warn_started(key, "approving")
    # the drafts are those the reviewer named: hand their full hashes on
    handed = _resume_waiting_flow(
        key, approve=not reject, by=name, notes=notes, hashes={} if reject else current
    )
    word = "approval" if not reject else "rejection"
    if handed is not None and handed.handed:
        then = (
            "it records the decision and goes on"
            if handed.outcome.value == "resumed"
            else "it was suspended and is rescheduled: a worker goes on with it"
        )
        console.print(
            f"edition {key}: {word} by {name} of {approval.format_hashes(current)} handed to the "
            f"waiting flow run {handed.run}; {then}",
            highlight=False,
        )
        return
    if handed is not None and handed.outcome.value == "answered":
        fail(
            f"edition {key}: flow run {handed.run} does not take this {word}: {handed.detail}. "
            "Nothing recorded; see its state in the Prefect UI or `hrc-outreach status`"
        )
    # no run waits, or the one that did can never take it (lost): the decision is recorded here
    _record_here(key, messages, name, notes, hashes, reject=reject, lost=handed)


def _record_here(
    key: str,
    messages: dict[str, RenderedMessage],
    name: str,
    notes: str,
    hashes: str,
    *,
    reject: bool,
    lost: Any,
) -> None:
    """The decision recorded in the store and printed; ``lost``: the handover to the run that
    waited and can never resume (released, named on stderr), or None when no run waited."""
    row = _record_decision(key, messages, name, notes, hashes, reject=reject)
    approved = row.decision == ApprovalDecision.APPROVED
    word = ApprovalDecision.APPROVED if approved else ApprovalDecision.REJECTED
    console.print(
        f"edition {key} {word} by {row.by} (decision {row.id}): "
        + ", ".join(f"{lang} {h[:12]}" for lang, h in row.hashes.items()),
        highlight=False,
    )
    if lost is not None:
        from hrc_outreach.pipeline import release_waiting

        release_waiting(settings(), key, lost.run_id)
        err_console.print(
            f"the flow run that waited for this decision ({lost.run}) is lost: {lost.detail}. "
            f"The decision is recorded here (decision {row.id}) and nothing was sent"
            + (f"; send with `hrc-outreach edition send {key}`" if not reject else ""),
            highlight=False,
            markup=False,
        )


def _warn_started(key: str, doing: str) -> None:
    """Warn (not fail) about the edition's events that will have started by the time it is sent."""
    from hrc_outreach.curate.events import started_in_store

    store = _store()
    try:
        with store.session() as session:
            note = started_in_store(session, settings(), key, doing)
    finally:
        store.dispose()
    if note:
        err_console.print(f"warning: {note}", highlight=False, markup=False)


def _reviewer(
    key: str, by: str, hashes: str, messages: dict[str, RenderedMessage], *, reject: bool
) -> str:
    """Who decides; to approve, the drafts they name (--hashes) must be those drafted now."""
    from hrc_outreach import approval

    try:
        name = approval.require_name(key, by)
        if not reject:
            if not hashes.strip():
                raise ApprovalError(
                    f"say which drafts you reviewed: --hashes LANG=HASH,...; "
                    f"`hrc-outreach edition approve {key} --show` prints the hashes of the drafts "
                    "as they are now"
                )
            approval.check_shown(key, approval.parse_hashes(hashes), messages)
    except OutreachError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    return name


def _record_decision(
    key: str,
    messages: dict[str, RenderedMessage],
    name: str,
    notes: str,
    hashes: str,
    *,
    reject: bool,
) -> ApprovalRow:
    """The approval or rejection recorded in the store (no flow run takes it)."""
    from hrc_outreach import approval

    store = _store()
    try:
        if reject:
            return approval.reject(store, key, messages, by=name, notes=notes)
        return approval.approve(
            store,
            key,
            messages,
            by=name,
            notes=notes,
            provider=settings().delivery.provider,
            shown=approval.parse_hashes(hashes),
        )
    except OutreachError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _show_drafts(key: str, messages: dict[str, RenderedMessage], *, as_json: bool) -> None:
    """The drafts' hashes (what an approval binds to), the latest decision and whether it holds."""
    from hrc_outreach import approval
    from hrc_outreach.pipeline import waiting_flow_run

    current = approval.content_hashes(messages)
    store = _store()
    try:
        row = approval.latest_decision(store, key)
        holds, why = approval.approval_holds(store, key, messages)
    finally:
        store.dispose()
    waiting = waiting_flow_run(settings(), key)
    decision = None if row is None else {
        "id": row.id, "decision": row.decision, "by": row.by, "at": row.at.isoformat(),
        "method": row.method, "hashes": row.hashes,
    }
    if as_json:
        print_json({
            "edition": key, "hashes": current, "hashes_arg": approval.format_hashes(current),
            "subjects": {lang: m.subject for lang, m in sorted(messages.items())},
            "latest_decision": decision, "approved": holds, "waiting_flow_run": waiting,
        })
        return
    t = Table(title=f"edition {key}: the drafts an approval binds to", box=box.SIMPLE_HEAD)
    for col in ("lang", "subject", "sha256"):
        t.add_column(col)
    for lang, m in sorted(messages.items()):
        t.add_row(lang, m.subject, current[lang])
    console.print(t)
    console.print(
        f"approve after review: hrc-outreach edition approve {key} --by NAME --hashes "
        f"{approval.format_hashes(current)}", highlight=False, markup=False, soft_wrap=True,
    )
    if row is not None:
        console.print(f"latest decision: {row.decision} by {row.by} on {row.at:%Y-%m-%d %H:%M} "
                      f"UTC ({'holds for these drafts' if holds else 'does not hold: ' + why})",
                      highlight=False, markup=False)
    if waiting:
        console.print(f"flow run {waiting} waits for a decision on these drafts", highlight=False)


def _resume_waiting_flow(
    key: str, *, approve: bool, by: str, notes: str, hashes: dict[str, str]
) -> Any:
    """Answer the approval form of the monthly flow run the store records as waiting on ``key``:
    a workflow.HandoverResult, or None when no run waits (or Prefect cannot be
    reached: the decision is then recorded here directly)."""
    import os

    from hrc_outreach.pipeline import waiting_flow_run

    st = settings()
    run_id = waiting_flow_run(st, key)
    if not by.strip() or run_id is None:
        return None  # nothing waits (the store says so): record the decision here
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from hrc_outreach.workflow import answer_waiting_run  # a broken install fails loudly

    def taken() -> bool:  # a run waiting in its process forgets its wait once it has the answer
        return waiting_flow_run(st, key) != run_id

    try:
        handed = answer_waiting_run(
            run_id, approve=approve, reviewer=by.strip(), notes=notes, hashes=hashes,
            acknowledged=taken, ack_timeout=2.0 * st.approval.poll_seconds + 15,
        )
    except Exception as exc:  # noqa: BLE001 - no Prefect is not an error for a CLI approval
        err_console.print(f"(no Prefect flow run reachable: {exc.__class__.__name__}; "
                          "recording the decision directly)", highlight=False)
        return None
    return handed


def _figures_table(report: Any) -> Table:
    t = Table(
        title=f"edition {report.edition_key} via {report.provider}: {report.state}",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    cols = ("planned", "accepted", "failed", "in_doubt", "suppressed", "pending", "fallback")
    t.add_column("lang")
    for c in cols:
        t.add_column(c.replace("_", " "), justify="right")
    for lang, f in report.languages.items():
        t.add_row(lang, *(str(getattr(f, c)) for c in cols))
    tot = report.totals
    t.add_row("all", *(str(getattr(tot, c)) for c in cols), style="bold")
    return t


def _print_report(report: Any, *, limit: int = 20) -> None:
    console.print(_figures_table(report))
    batch_errors = {i.error for i in report.issues}
    for issue in report.issues:
        console.print(
            f"batch {issue.seq} ({issue.lang}, {issue.size} recipients) {issue.state}: {issue.error}",
            highlight=False,
            markup=False,
        )
    unsent = (RecipientState.PENDING, RecipientState.SUBMITTING)  # still on their way
    missed = [m for m in report.missed if m.state not in unsent]
    if missed:
        more = "" if len(missed) <= limit else f" (first {limit}; --json lists everyone)"
        console.print(f"{len(missed)} did not get it{more}:", highlight=False)
        for m in missed[:limit]:
            why = f"batch {m.batch_seq}" if m.reason in batch_errors else m.reason
            console.print(f"  {m.email} [{m.lang}] {m.state}: {why}", highlight=False, markup=False)
    key = report.edition_key
    if report.totals.in_doubt:
        console.print(
            f"{report.totals.in_doubt} in-doubt recipient(s) may or may not have got it. Check the "
            f"provider's logs, then run `hrc-outreach edition send {key} --by NAME "
            "--mark-in-doubt-sent` (they did) or `--resend-in-doubt` (they did not; anyone who "
            "did gets a second copy).", highlight=False, markup=False,
        )
    if report.open_failed:
        console.print(
            f"{report.open_failed} failed recipient(s): once the cause is fixed, run "
            f"`hrc-outreach edition send {key} --by NAME --retry-failed`, or "
            "`--give-up-failed` to leave them unsent for good.", highlight=False, markup=False,
        )


@edition_app.command("send")
def send_cmd(
    key: str = typer.Argument(..., help="Edition key, e.g. 2026-12."),
    provider: str | None = typer.Option(
        None, "--provider", help="Provider (default [delivery] provider)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Plan and print counts; send and write nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the job report as JSON."),
    resend_in_doubt: bool = typer.Option(
        False, "--resend-in-doubt", help="In-doubt recipients did NOT get it: send them again."
    ),
    mark_in_doubt_sent: bool = typer.Option(
        False, "--mark-in-doubt-sent", help="In-doubt recipients DID get it: record them accepted."
    ),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Send failed recipients again (in new batches)."
    ),
    give_up_failed: bool = typer.Option(
        False, "--give-up-failed", help="Failed recipients stay unsent for good: the job can end."
    ),
    by: str = typer.Option("cli", "--by", help="Who decides about failed or in-doubt recipients."),
    fallback_source: bool = typer.Option(
        False,
        "--fallback-source",
        help="Subscribers of languages not drafted get the source-language edition (without it, "
        "such a send is refused).",
    ),
) -> None:
    """Send an approved edition to every confirmed subscriber, exactly once; a second run resumes."""
    name = (provider or settings().delivery.provider).lower()
    decisions = _send_decisions(
        resend_in_doubt=resend_in_doubt,
        mark_in_doubt_sent=mark_in_doubt_sent,
        retry_failed=retry_failed,
        give_up_failed=give_up_failed,
        by=by,
    )
    messages = _drafts(key)
    _warn_started(key, "sending")
    if dry_run:
        _dry_run(key, messages, name, as_json=as_json, fallback_source=fallback_source)
        return
    outcome = _send(key, name, decisions, as_json=as_json, fallback_source=fallback_source)
    _print_outcome(outcome, as_json=as_json)
    _exit_unless_done(outcome.report)


def _send_decisions(
    *,
    resend_in_doubt: bool,
    mark_in_doubt_sent: bool,
    retry_failed: bool,
    give_up_failed: bool,
    by: str,
) -> SendDecisions:
    """What a person decided about failed and in-doubt recipients; contradictory choices (both
    ways for the same recipients) end the command before anything is read or sent."""
    from hrc_outreach.pipeline import SendDecisions

    decisions = SendDecisions(
        resend_in_doubt=resend_in_doubt,
        mark_in_doubt_sent=mark_in_doubt_sent,
        retry_failed=retry_failed,
        give_up_failed=give_up_failed,
        by=by,
    )
    try:
        decisions.check()
    except OutreachError as exc:
        fail(str(exc))
    return decisions


def _send(
    key: str, name: str, decisions: SendDecisions, *, as_json: bool, fallback_source: bool
) -> SendOutcome:
    """The send itself (the library's one send orchestration), with a progress bar on stderr
    unless the report is JSON; an error ends the command with its message."""
    from hrc_outreach.pipeline import send_edition

    bar = None if as_json else _Bar()
    try:
        return send_edition(
            settings(),
            key,
            provider=name,
            decisions=decisions,
            progress=bar,
            fallback_source=fallback_source,
        )
    except OutreachError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    finally:
        if bar is not None:
            bar.stop()


def _exit_unless_done(report: Any) -> None:
    """Exit 2 when the job needs a person; 0 when it is done or a live sender holds the rest
    (named on stderr: not a person's problem)."""
    if report.finished_by_others:
        err_console.print(
            f"this sender's share is sent; the rest is being finished by sender "
            f"{', '.join(report.held_by)}",
            highlight=False,
            markup=False,
        )
        return
    if report.state != JobState.DONE:
        raise typer.Exit(EXIT_NEEDS_ATTENTION)


def _dry_run(
    key: str, messages: dict[str, RenderedMessage], name: str, *, as_json: bool,
    fallback_source: bool,
) -> None:
    """The send planned and its counts printed; nothing sent, nothing written. Says whether the
    edition was sent already and whether the send would be refused for undrafted languages."""
    from hrc_outreach.deliver import planner
    from hrc_outreach.deliver.languages import check_drafted, without_held_back
    from hrc_outreach.pipeline import edition_taken

    sent = edition_taken(settings(), key)
    store = _store()
    try:
        approved = _approval_of(store, key, messages, name)
        to_send, held = without_held_back(messages, settings())
        plan = planner.dry_run(store, settings(), to_send, name)
        try:
            check_drafted(store, settings(), key, to_send, name, fallback_source=fallback_source,
                          held_back=held)
            refused = ""
        except OutreachError as exc:
            refused = str(exc)
    except OutreachError as exc:
        fail(str(exc))
    finally:
        store.dispose()
    if sent:
        err_console.print(sent, highlight=False, markup=False)
    if refused:
        err_console.print(f"send refuses: {refused}", highlight=False, markup=False)
    for lang, why in held.items():
        err_console.print(f"{lang} held back: {why}", highlight=False, markup=False)
    if as_json:
        print_json({"edition": key, "provider": name, "dry_run": True, "approval": approved,
                    "sent": sent is not None, "sent_note": sent or "", "refused": refused,
                    "held_back": held, **plan.summary()})
        return
    _print_dry_run(key, name, approved, plan, as_json=False)


def _print_outcome(outcome: SendOutcome, *, as_json: bool) -> None:
    """What a send did: the decisions applied, the archive published, the job's report."""
    for line in outcome.decided:
        err_console.print(line, highlight=False, markup=False)
    for lang, why in outcome.held_back.items():
        err_console.print(f"{lang} held back: {why}", highlight=False, markup=False)
    if outcome.archive_error:
        err_console.print(
            f"archive not published: {outcome.archive_error}", highlight=False, markup=False
        )
    elif outcome.archive_pages:
        err_console.print(
            f"archive published: {', '.join(outcome.archive_pages)}", highlight=False, markup=False
        )
    if as_json:
        print_json(outcome.report.as_json())
    else:
        _print_report(outcome.report)


def _print_dry_run(key: str, name: str, approved: dict[str, Any], plan: Any, *, as_json: bool) -> None:
    if as_json:
        print_json({"edition": key, "provider": name, "dry_run": True,
                    "approval": approved, **plan.summary()})
        return
    t = Table(title=f"edition {key} via {name}: dry run, nothing sent")
    t.add_column("language")
    t.add_column("subscribers", justify="right")
    t.add_column("message language")
    for lang, n in plan.per_language.items():
        t.add_row(lang, str(n), plan.fallbacks.get(lang, lang))
    t.add_row("all", str(plan.recipients), f"{plan.batches} batches", style="bold")
    console.print(t)
    for lang, src in plan.fallbacks.items():
        console.print(f"no {lang} message: {plan.fallback_counts[lang]} subscriber(s) get {src}")


class _Bar:
    """The send's progress bar on stderr (pipeline.SendProgress), shown once something is left."""

    def __init__(self) -> None:
        self._progress: Progress | None = None
        self._task: Any = None

    def start(self, pending: int) -> None:
        self._progress = Progress(
            TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err_console, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("send", total=pending)

    def advance(self, accepted: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, accepted)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _approval_of(
    store: Any, key: str, messages: dict[str, RenderedMessage], provider: str
) -> dict[str, Any]:
    """A dry run plans without an approval, but says whether sending would be refused."""
    from hrc_outreach import approval

    try:
        row = approval.require_approval(store, key, messages, provider=provider)
    except OutreachError as exc:
        err_console.print(f"not approved: {exc} (a dry run plans anyway; send refuses)",
                          highlight=False, markup=False)
        return {"approved": False, "error": str(exc)}
    return {"approved": True, "id": row.id, "by": row.by, "at": row.at.isoformat()}


@edition_app.command("send-test")
def send_test_cmd(
    key: str = typer.Argument(..., help="Edition key, e.g. 2026-12."),
    to: str = typer.Option(..., "--to", help="The one address to send to."),
    lang: list[str] = typer.Option([], "--lang", help="Only these languages (repeatable)."),
    provider: str | None = typer.Option(
        None, "--provider", help="Provider (default [delivery] provider)."
    ),
) -> None:
    """Send every language (or --lang) to one address, marked [TEST]; the ledger is not touched."""
    from hrc_outreach.deliver.providers import open_provider
    from hrc_outreach.deliver.send_test import asend_test

    st = settings()
    messages = _drafts(key)

    async def go() -> Any:
        async with open_provider(st, name=provider) as prov:
            return await asend_test(
                st, key, to, langs=lang or None, provider=prov, messages=messages
            )

    try:
        results = asyncio.run(go())
    except OutreachError as exc:
        fail(str(exc))
    for lg, res in results.items():
        console.print(f"{lg}: test sent to {to} ({res.detail})", highlight=False, markup=False)


@edition_app.command("report")
def report_cmd(
    key: str = typer.Argument(..., help="Edition key, e.g. 2026-12."),
    provider: str | None = typer.Option(None, "--provider", help="The job of this provider."),
    as_json: bool = typer.Option(
        False, "--json", help="JSON, listing everyone who did not get it."
    ),
) -> None:
    """Per language: planned, accepted, failed, in doubt, suppressed; and who did not get it."""
    from hrc_outreach.deliver.report import job_report

    store = _store()
    try:
        report = job_report(store, key, provider=provider)
    except OutreachError as exc:
        fail(str(exc))
    if as_json:
        print_json(report.as_json())
    else:
        _print_report(report)
