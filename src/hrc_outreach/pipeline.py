"""The monthly job's steps as plain functions over typed values, for the flows and the CLI.

Flows in ``flows/`` only orchestrate these; nothing here imports Prefect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict

from hrc_outreach.approval import format_hashes
from hrc_outreach.config import Settings
from hrc_outreach.deliver.report import JobReport
from hrc_outreach.errors import OutreachError
from hrc_outreach.models import EditionStatus, JobState, RenderedMessage, Severity
from hrc_outreach.render.output import edition_dir, load_drafts
from hrc_outreach.store import open_store

log = logging.getLogger(__name__)


def check_config(settings: Settings) -> Settings:
    """``settings`` with the tables the higher layers own checked at once: the provider and every
    ``[delivery.<provider>]`` table by its provider's model, every ``[[sources]]`` table's options
    by its kind's (disabled sources too). A typo is a ConfigError naming the table and the key,
    when a command, a flow run or the web app starts, not when the table is first read."""
    from hrc_outreach.deliver.providers import check_settings
    from hrc_outreach.sources.registry import check_sources

    check_settings(settings)
    check_sources(settings)
    return settings


def load_checked_settings(path: Path | str | None = None) -> Settings:
    """:func:`~hrc_outreach.config.load_settings` (the file, else ``HRC_CONFIG``, else
    ./outreach.toml, and the ``HRC_*`` environment), then :func:`check_config`."""
    from hrc_outreach.config import load_settings

    return check_config(load_settings(path))


class LanguageDraft(BaseModel):
    model_config = ConfigDict(frozen=True)

    lang: str
    subject: str
    path: str
    html_bytes: int
    lint_errors: int
    lint_warnings: int
    provenance: dict[str, int]
    untranslated: int = 0
    sha256: str = ""  # the content hash an approval binds to
    strings: dict[str, int] = {}  # item titles, summaries and the intro by provenance
    coverage: float = 1.0  # the share of those strings shown translated
    held_back: str = ""  # why its subscribers get the source-language edition, or ""


class DraftSummary(BaseModel):
    """What a draft produced, small enough to pass between flow tasks and show in artifacts."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    items: int
    sections: dict[str, int]
    out_dir: Path
    archive_dir: Path
    languages: dict[str, LanguageDraft]
    findings: dict[str, list[str]] = {}  # lang -> "severity rule: message" lines
    voided_run: str | None = None  # a flow run waited on other drafts of this edition
    voided_languages: list[str] = []  # ... and these languages changed
    after_send: bool = False  # the edition was sent: drafted under after-send/, nothing replaced

    @property
    def lint_errors(self) -> int:
        return sum(lang.lint_errors for lang in self.languages.values())

    @property
    def hashes(self) -> dict[str, str]:
        """language -> content hash of the drafts this summary describes (what a reviewer sees)."""
        return {lang: d.sha256 for lang, d in sorted(self.languages.items())}


def draft(
    settings: Settings, key: str, languages: Sequence[str], *, today: date | None = None
) -> DraftSummary:
    """Curate, translate and render edition ``key`` in ``languages`` into the out folder."""
    from hrc_outreach.i18n.coverage import coverage
    from hrc_outreach.i18n.translators import translator_from_settings
    from hrc_outreach.render.draft import AFTER_SEND, draft_edition

    store = open_store(settings)
    out_dir = settings.resolve(settings.out_dir)
    translator = translator_from_settings(settings)
    try:
        result = draft_edition(
            settings, store, key, list(languages), out_dir, today=today, translator=translator
        )
    finally:
        store.dispose()
    covered = coverage(result.messages, settings)
    langs = {
        lang: LanguageDraft(
            lang=lang,
            subject=m.subject,
            path=str(result.paths[lang] / "email.html"),
            html_bytes=len(m.html.encode()),
            lint_errors=m.lint_errors,
            lint_warnings=m.lint_warnings,
            provenance=dict(m.provenance_counts),
            untranslated=len(result.untranslated.get(lang, ())),
            sha256=m.content_hash(),
            strings=covered[lang].strings,
            coverage=covered[lang].share,
            held_back=covered[lang].held_back,
        )
        for lang, m in result.messages.items()
    }
    findings = {
        lang: [
            f"{f.severity.value} {f.rule}: {f.message}"
            for f in m.lint
            if f.severity is not Severity.INFO
        ]
        for lang, m in result.messages.items()
    }
    return DraftSummary(
        key=key,
        title=result.edition.title,
        items=len(result.edition.items),
        sections={s.kind.value: len(s.items) for s in result.edition.sections},
        out_dir=edition_dir(out_dir, key) / (AFTER_SEND if result.after_send else ""),
        archive_dir=out_dir / "archive",
        after_send=result.after_send,
        languages=langs,
        findings=findings,
        voided_run=result.voided.flow_run if result.voided else None,
        voided_languages=list(result.voided.changed) if result.voided else [],
    )


def mark_waiting(settings: Settings, key: str, flow_run_id: str | None) -> None:
    """Record (or clear, with None) the flow run that waits for a decision on edition ``key``."""
    from hrc_outreach.store.tables import EditionRow

    store = open_store(settings)
    try:
        with store.session() as s:
            row = s.get(EditionRow, key)
            if row is not None:
                row.waiting_flow_run = flow_run_id
    finally:
        store.dispose()


def release_waiting(settings: Settings, key: str, flow_run_id: str) -> None:
    """Forget that ``flow_run_id`` waits on edition ``key`` (it got its answer, or is lost);
    a wait recorded since by another run is kept."""
    from sqlalchemy import update

    from hrc_outreach.store.tables import EditionRow

    store = open_store(settings)
    try:
        with store.session() as s:
            s.execute(
                update(EditionRow)
                .where(EditionRow.key == key, EditionRow.waiting_flow_run == flow_run_id)
                .values(waiting_flow_run=None)
            )
    finally:
        store.dispose()


def waiting_flow_run(settings: Settings, key: str) -> str | None:
    """The flow run waiting for a decision on edition ``key``, if one is recorded."""
    from hrc_outreach.store.tables import EditionRow

    store = open_store(settings)
    try:
        with store.session() as s:
            row = s.get(EditionRow, key)
            return row.waiting_flow_run if row is not None else None
    finally:
        store.dispose()


def claim_waiting(settings: Settings, key: str, flow_run_id: str) -> str | None:
    """Record that ``flow_run_id`` waits for a decision on edition ``key``, unless another run
    already does: then that run's id (nothing changed). One compare-and-set, so two runs that
    reach the wait together cannot both wait."""
    from sqlalchemy import or_, update

    from hrc_outreach.store.tables import EditionRow

    store = open_store(settings)
    try:
        with store.session() as s:
            done = s.execute(  # type: ignore[attr-defined]
                update(EditionRow)
                .where(
                    EditionRow.key == key,
                    or_(
                        EditionRow.waiting_flow_run.is_(None),
                        EditionRow.waiting_flow_run == flow_run_id,
                    ),
                )
                .values(waiting_flow_run=flow_run_id)
            ).rowcount
            if done:
                return None
            row = s.get(EditionRow, key)
            return row.waiting_flow_run if row is not None else None
    finally:
        store.dispose()


def edition_taken(settings: Settings, key: str) -> str | None:
    """Why a new monthly run must not take edition ``key`` (it is being sent or was sent), or None.

    A run waiting for approval is the caller's to judge (only Prefect knows whether it lives):
    see :func:`waiting_flow_run`.
    """
    from sqlalchemy import select

    from hrc_outreach.store.tables import EditionRow, SendJobRow

    store = open_store(settings)
    try:
        with store.session() as s:
            row = s.get(EditionRow, key)
            job = s.scalars(
                select(SendJobRow)
                .where(SendJobRow.edition_key == key)
                .order_by(SendJobRow.id.desc())
                .limit(1)
            ).first()
            sent = row is not None and row.status == EditionStatus.SENT
            job_state = (job.id, job.provider, job.state) if job is not None else None
    finally:
        store.dispose()
    if job_state is not None:
        job_id, provider, state = job_state
        if state == JobState.DONE:
            what = "was sent"
        elif state == JobState.NEEDS_ATTENTION:
            what = "was sent and needs a person"
        else:
            what = "is being sent"
        return (
            f"edition {key} {what} (send job {job_id} via {provider}, {state}): a second "
            f"monthly run sends nothing. `hrc-outreach edition report {key}` shows who got "
            f"it; `hrc-outreach edition send {key}` finishes or settles that job"
        )
    if sent:
        return (
            f"edition {key} was sent already: a second monthly run sends nothing "
            f"(`hrc-outreach edition report {key}`)"
        )
    return None


def drafts_coverage(settings: Settings, keys: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Coverage per language (i18n.coverage.LanguageCoverage) of the drafts of editions ``keys``
    and of the newest drafted edition not sent yet: edition -> language -> coverage."""
    from sqlalchemy import select

    from hrc_outreach.i18n.coverage import coverage
    from hrc_outreach.store.tables import EditionRow

    store = open_store(settings)
    try:
        with store.session() as s:
            newest = s.scalars(
                select(EditionRow.key)
                .where(EditionRow.status != EditionStatus.SENT)
                .order_by(EditionRow.key.desc())
                .limit(1)
            ).first()
        out: dict[str, dict[str, Any]] = {}
        for key in dict.fromkeys([*keys, *([newest] if newest else [])]):
            try:
                out[key] = coverage(load_drafts(store, key), settings)
            except OutreachError:
                continue  # not drafted (yet): nothing to show
        return out
    finally:
        store.dispose()


def drafted_messages(settings: Settings, key: str) -> dict[str, RenderedMessage]:
    """The drafted edition as it is in the store (what is approved and sent)."""
    store = open_store(settings)
    try:
        return load_drafts(store, key)
    finally:
        store.dispose()


def add_excludes(settings: Settings, key: str, item_ids: Iterable[str]) -> Path:
    """Add items a reviewer dropped to the edition's ``exclude`` list (``editions/<key>.yaml``)."""
    from hrc_outreach.curate.edition import editions_dir

    path = editions_dir(settings) / f"{key}.yaml"
    data: dict[str, Any] = {}
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    exclude = list(data.get("exclude") or [])
    exclude += [i for i in item_ids if i not in exclude]
    data["exclude"] = exclude
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class SendDecisions(BaseModel):
    """A person's decisions about a job's failed or in-doubt recipients, applied before sending."""

    model_config = ConfigDict(frozen=True)

    resend_in_doubt: bool = False  # they did NOT get it: send them again
    mark_in_doubt_sent: bool = False  # they DID get it: record them accepted
    retry_failed: bool = False  # send failed recipients again, in new batches
    give_up_failed: bool = False  # failed recipients stay unsent for good
    by: str = "cli"

    def check(self) -> None:
        from hrc_outreach.errors import DeliveryError

        if self.resend_in_doubt and self.mark_in_doubt_sent:
            raise DeliveryError("choose one of --resend-in-doubt and --mark-in-doubt-sent")
        if self.retry_failed and self.give_up_failed:
            raise DeliveryError("choose one of --retry-failed and --give-up-failed")


class SendProgress(Protocol):
    """Told how many recipients are left to send, then of every batch accepted (the CLI's bar)."""

    def start(self, pending: int) -> None: ...

    def advance(self, accepted: int) -> None: ...


# How the shares of a send are run: (job id, provider, how many senders) -> when all are done.
# The CLI runs them as coroutines of one process; the flow as concurrent Prefect tasks.
ShareRunner = Callable[[int, str, int], None]


class SendOutcome(BaseModel):
    """What one send of an edition did: the job's report, the decisions applied, the archive."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    job_id: int
    provider: str
    report: JobReport
    decided: list[str] = []  # "3 in-doubt recipient(s): resend", ...
    archive_pages: list[str] = []
    archive_error: str = ""
    held_back: dict[str, str] = {}  # languages whose subscribers got the source edition: why

    def as_flow_result(self) -> dict[str, Any]:
        """The flow's result: figures per language, but not who was missed (that stays in the
        ledger, `edition report`, not in flow results and logs)."""
        figures = {k: v for k, v in self.report.as_json().items() if k != "missed"}
        return {
            "job": self.job_id,
            "provider": self.provider,
            "held_back": self.held_back,
            "missed": len(self.report.missed),
            **figures,
            "archive_pages": self.archive_pages,
        }


def send_edition(
    settings: Settings,
    key: str,
    *,
    provider: str | None = None,
    approved: dict[str, str] | None = None,
    decisions: SendDecisions | None = None,
    senders: int = 1,
    progress: SendProgress | None = None,
    share_runner: ShareRunner | None = None,
    fallback_source: bool = False,
) -> SendOutcome:
    """Send the approved edition: plan the job (or resume the one planned), apply a person's
    decisions, let ``senders`` senders claim its batches concurrently, settle the job and publish
    its archive pages once someone got it. `edition send` and the monthly flow both call this.

    ``approved``: the hashes a person approved in this run; the drafts read now must be those
    (EditionChangedError otherwise, before anything is planned or sent). ``share_runner`` runs
    the senders (default: as coroutines of this process); each calls :func:`send_share`.
    A language that subscribers read but that has no draft refuses the send (DeliveryError)
    unless ``fallback_source``: then they get the source language's edition.
    """
    decisions = decisions or SendDecisions()
    decisions.check()
    name = (provider or settings.delivery.provider).lower()
    messages = drafted_messages(settings, key)
    job_id, decided, pending, held = _job_to_send(
        settings,
        key,
        name,
        messages,
        approved=approved,
        decisions=decisions,
        fallback_source=fallback_source,
    )
    if progress is not None and pending:
        progress.start(pending)
    n = max(1, senders)
    log.info(
        "edition %s: send job %s via %s, %d recipient(s) left, %d sender(s)",
        key,
        job_id,
        name,
        pending,
        n,
    )
    if share_runner is not None:
        share_runner(job_id, name, n)
    else:
        _run_shares_here(settings, job_id, name, n, messages, progress)
    report, pages, error = _settled(settings, key, job_id, name)
    return SendOutcome(
        job_id=job_id,
        provider=name,
        report=report,
        decided=decided,
        archive_pages=pages,
        archive_error=error,
        held_back=held,
    )


def _job_to_send(
    settings: Settings,
    key: str,
    provider: str,
    messages: dict[str, RenderedMessage],
    *,
    approved: dict[str, str] | None,
    decisions: SendDecisions,
    fallback_source: bool,
) -> tuple[int, list[str], int, dict[str, str]]:
    """Before the senders: the approval checked against the drafts, every subscribed language
    drafted (or held back), the job planned or resumed with the decisions applied.
    (job id, decisions applied, recipients left, held-back languages: why)."""
    from hrc_outreach import approval
    from hrc_outreach.deliver.languages import (
        audience_with_held_back,
        check_drafted,
        without_held_back,
    )
    from hrc_outreach.deliver.runner import finish_job

    if approved is not None:
        approval.check_shown(key, approved, messages)
    store = open_store(settings)
    try:
        row = approval.require_approval(store, key, messages, provider=provider)
        # held-back languages: approved with the rest, their subscribers get the source edition
        to_send, held = without_held_back(messages, settings)
        check_drafted(
            store, settings, key, to_send, provider, fallback_source=fallback_source, held_back=held
        )
        job_id, decided = _planned_job(
            store,
            settings,
            key,
            messages,
            provider,
            row.id,
            decisions,
            audience=audience_with_held_back(settings, held) if held else None,
        )
        pending = finish_job(store, job_id).totals.pending  # also settles an idle job
    finally:
        store.dispose()
    return job_id, decided, pending, held


def _settled(
    settings: Settings, key: str, job_id: int, provider: str
) -> tuple[JobReport, list[str], str]:
    """After the senders: the job settled (its report) and the archive published (pages, error)."""
    from hrc_outreach.deliver.runner import finish_job

    store = open_store(settings)
    try:
        report = finish_job(store, job_id, lease=settings.delivery.claim_lease_seconds)
        pages, error = _publish(settings, store, key, provider)
    finally:
        store.dispose()
    log.info(
        "edition %s: send job %s %s: %d accepted, %d failed, %d in doubt",
        key,
        job_id,
        report.state,
        report.totals.accepted,
        report.totals.failed,
        report.totals.in_doubt,
    )
    return report, pages, error


def _planned_job(
    store: Any,
    settings: Settings,
    key: str,
    messages: dict[str, RenderedMessage],
    provider: str,
    approval_id: int,
    decisions: SendDecisions,
    audience: Any = None,
) -> tuple[int, list[str]]:
    """The edition's send job, planned now or the one planned resumed, with a person's decisions
    on its in-doubt and failed recipients applied: its id and what was decided."""
    from hrc_outreach.deliver import ledger
    from hrc_outreach.deliver.planner import plan_job

    job_id = plan_job(
        store, settings, key, messages, provider, approval_id=approval_id, audience=audience
    )
    decided: list[str] = []
    if decisions.resend_in_doubt or decisions.mark_in_doubt_sent:
        choice = (
            ledger.InDoubtDecision.RESEND
            if decisions.resend_in_doubt
            else ledger.InDoubtDecision.MARK_SENT
        )
        n = ledger.resolve_in_doubt(store, job_id, choice, by=decisions.by)
        decided.append(f"{n} in-doubt recipient(s): {choice.value}")
    if decisions.retry_failed:
        n = ledger.retry_failed(store, job_id, by=decisions.by)
        decided.append(f"{n} failed recipient(s) planned again in new batches")
    if decisions.give_up_failed:
        n = ledger.give_up_failed(store, job_id, by=decisions.by)
        decided.append(f"{n} failed recipient(s) given up for good")
    return job_id, decided


def send_share(
    settings: Settings,
    job_id: int,
    provider: str,
    *,
    messages: dict[str, RenderedMessage] | None = None,
) -> JobReport:
    """One sender's share of a planned job: claim batches until none is left (other senders, in
    this process or on other machines, claim beside it). The job's report as this sender left it."""
    from hrc_outreach.deliver.providers import open_provider
    from hrc_outreach.deliver.runner import arun_job

    store = open_store(settings)

    async def go() -> JobReport:
        async with open_provider(settings, name=provider) as prov:
            return await arun_job(store, settings, job_id, prov, messages=messages)

    try:
        return asyncio.run(go())
    finally:
        store.dispose()


def _run_shares_here(
    settings: Settings,
    job_id: int,
    provider: str,
    n: int,
    messages: dict[str, RenderedMessage],
    progress: SendProgress | None,
) -> None:
    from hrc_outreach.deliver.providers import open_provider
    from hrc_outreach.deliver.runner import arun_job

    store = open_store(settings)
    advance = (lambda _done, size: progress.advance(size)) if progress is not None else None

    async def one() -> JobReport:
        async with open_provider(settings, name=provider) as prov:
            return await arun_job(
                store, settings, job_id, prov, messages=messages, progress=advance
            )

    async def all_() -> None:
        await asyncio.gather(*(one() for _ in range(n)))

    try:
        asyncio.run(all_())
    finally:
        store.dispose()


def _publish(settings: Settings, store: Any, key: str, provider: str) -> tuple[list[str], str]:
    """After a send: the edition's archive pages go public once someone got it; a failure to
    publish is reported, never undoes the send."""
    from hrc_outreach.errors import OutreachError
    from hrc_outreach.publish import publish_archive

    try:
        pages = publish_archive(settings, store, key, provider=provider)
    except OutreachError as exc:
        return [], str(exc)
    return [str(p.page) for p in pages], ""


def collapsed(lines: Iterable[str]) -> list[str]:
    """Each distinct line once, in the order first seen, with ``(×N)`` when it came N > 1 times.

    >>> collapsed(["b", "a", "b"])
    ['b (×2)', 'a']
    """
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return [f"{line} (×{n})" if n > 1 else line for line, n in counts.items()]


def lint_report_markdown(summary: DraftSummary) -> str:
    lines = [f"# Edition {summary.key}: lint errors block sending", ""]
    for lang, found in summary.findings.items():
        errors = [f for f in found if f.startswith("error")]
        if errors:
            lines.append(f"## {lang}")
            lines += [f"- {f}" for f in collapsed(errors)]
            lines.append("")
    return "\n".join(lines)


def preview_markdown(summary: DraftSummary, settings: Settings) -> str:
    """The artifact a reviewer reads before approving: subjects, counts, warnings, preview links."""
    out = [
        f"# {summary.title}",
        "",
        f"Edition `{summary.key}`: {summary.items} items "
        + ", ".join(f"{n} {k}" for k, n in summary.sections.items()),
        "",
        "Items and strings (titles, summaries, the intro) by provenance: human / memory / "
        "machine / source (untranslated).",
        "",
        "| language | subject | items | strings | translated | lint warnings | preview |",
        "|---|---|---|---|---|---|---|",
    ]
    for lang, d in summary.languages.items():
        p, st = d.provenance, d.strings
        kinds = ("human", "memory", "machine", "source")
        out.append(
            f"| {lang} | {d.subject} | {' / '.join(str(p.get(k, 0)) for k in kinds)} | "
            f"{' / '.join(str(st.get(k, 0)) for k in kinds)} | {d.coverage:.0%}"
            f"{' **held back**' if d.held_back else ''} | {d.lint_warnings} | "
            f"[email.html](file://{d.path}) |"
        )
    held = {lang: d.held_back for lang, d in summary.languages.items() if d.held_back}
    if held:
        out += ["", "## Held back", ""]
        out += [f"- **{lang}**: {why}" for lang, why in held.items()]
    warnings = {
        lang: [f for f in fs if f.startswith("warning")] for lang, fs in summary.findings.items()
    }
    if any(warnings.values()):
        out += ["", "## Lint warnings", ""]
        for lang, ws in warnings.items():
            out += [f"- **{lang}** {w}" for w in collapsed(ws)[:20]]
    out += [
        "",
        "Content hashes of these drafts (an approval binds to them; a new draft voids it):",
        "",
        *[f"- `{lang}` `{h}`" for lang, h in summary.hashes.items()],
        "",
        "Approve or reject with the form of this flow run (your name is required; leave the "
        "hashes as they are), or from a shell:",
        f"`hrc-outreach edition approve {summary.key} --by NAME "
        f'--hashes {format_hashes(summary.hashes)}` (`--reject --notes "..."` to reject).',
    ]
    return "\n".join(out)


def send_summary_rows(summary: DraftSummary, sent: dict[str, Any]) -> list[dict[str, Any]]:
    """Per language: subject, recipients, accepted, failed (the run summary artifact)."""
    figures = sent.get("languages", {})
    rows = []
    for lang, d in summary.languages.items():
        f = figures.get(lang, {})
        rows.append(
            {
                "language": lang,
                "subject": d.subject,
                "recipients": f.get("planned", 0),
                "accepted": f.get("accepted", 0),
                "failed": f.get("failed", 0),
                "in_doubt": f.get("in_doubt", 0),
            }
        )
    return rows


def sync_suppressions(settings: Settings, *, provider: str | None = None) -> dict[str, Any]:
    """Pull bounces, complaints and unsubscribes from the provider since the last pull, and suppress
    those addresses. The time of the last pull is kept in ``source_state`` as ``suppressions:<name>``."""
    from datetime import UTC, datetime, timedelta

    from hrc_outreach.audience.consent import apply_suppression
    from hrc_outreach.deliver.providers import open_provider
    from hrc_outreach.store.tables import SourceStateRow

    name = (provider or settings.delivery.provider).lower()
    state_name = f"suppressions:{name}"
    store = open_store(settings)
    started = datetime.now(UTC)
    try:
        with store.session() as s:
            row = s.get(SourceStateRow, state_name)
            since = row.fetched_at if row and row.fetched_at else started - timedelta(days=30)

        async def pull() -> list[Any]:
            async with open_provider(settings, name=name) as prov:
                return await prov.suppressions(since)

        events = asyncio.run(pull())
        applied = 0
        with store.session() as s:
            for event in events:
                applied += bool(apply_suppression(s, event))
            row = s.get(SourceStateRow, state_name) or SourceStateRow(name=state_name)
            row.fetched_at, row.status, row.error = started, "ok", None
            s.add(row)
    finally:
        store.dispose()
    return {
        "provider": name,
        "since": since.isoformat(),
        "events": len(events),
        "suppressed": applied,
    }
