"""The monthly job's steps as plain functions over typed values, for the flows and the CLI.

Flows in ``flows/`` only orchestrate these; nothing here imports Prefect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from hrc_outreach.approval import format_hashes
from hrc_outreach.config import Settings
from hrc_outreach.models import RenderedMessage, Severity
from hrc_outreach.render.output import edition_dir, load_drafts
from hrc_outreach.store import open_store


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
    from hrc_outreach.i18n.translators import translator_from_settings
    from hrc_outreach.render.draft import draft_edition

    store = open_store(settings)
    out_dir = settings.resolve(settings.out_dir)
    translator = translator_from_settings(settings)
    try:
        result = draft_edition(
            settings, store, key, list(languages), out_dir, today=today, translator=translator
        )
    finally:
        store.dispose()
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
        )
        for lang, m in result.messages.items()
    }
    findings = {
        lang: [f"{f.severity.value} {f.rule}: {f.message}" for f in m.lint
               if f.severity is not Severity.INFO]
        for lang, m in result.messages.items()
    }
    return DraftSummary(
        key=key,
        title=result.edition.title,
        items=len(result.edition.items),
        sections={s.kind.value: len(s.items) for s in result.edition.sections},
        out_dir=edition_dir(out_dir, key),
        archive_dir=out_dir / "archive",
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


def send_edition(
    settings: Settings, key: str, *, provider: str | None = None,
    approved: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send the approved edition (plan, then submit; resumes a job already planned), then publish
    its archive pages when someone got it.

    ``approved``: the hashes a person approved in this run; the drafts read now must be those
    (EditionChangedError otherwise, before anything is planned or sent).
    """
    from hrc_outreach import approval
    from hrc_outreach.deliver.planner import plan_job
    from hrc_outreach.deliver.providers import open_provider
    from hrc_outreach.deliver.runner import arun_job
    from hrc_outreach.publish import publish_archive

    name = (provider or settings.delivery.provider).lower()
    messages = drafted_messages(settings, key)
    if approved is not None:
        approval.check_shown(key, approved, messages)
    store = open_store(settings)
    try:
        row = approval.require_approval(store, key, messages, provider=name)
        job_id = plan_job(store, settings, key, messages, name, approval_id=row.id)

        async def go() -> Any:
            async with open_provider(settings, name=name) as prov:
                return await arun_job(store, settings, job_id, prov, messages=messages)

        report = asyncio.run(go())
        published = publish_archive(settings, store, key, provider=name)
    finally:
        store.dispose()
    # who did not get it stays in the ledger (`edition report`), not in flow results and logs
    figures = {k: v for k, v in report.as_json().items() if k != "missed"}
    return {"job": job_id, "provider": name, "missed": len(report.missed), **figures,
            "archive_pages": [str(p.page) for p in published]}


def lint_report_markdown(summary: DraftSummary) -> str:
    lines = [f"# Edition {summary.key}: lint errors block sending", ""]
    for lang, found in summary.findings.items():
        errors = [f for f in found if f.startswith("error")]
        if errors:
            lines.append(f"## {lang}")
            lines += [f"- {f}" for f in errors]
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
        "| language | subject | human | memory | machine | source | lint warnings | preview |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lang, d in summary.languages.items():
        p = d.provenance
        out.append(
            f"| {lang} | {d.subject} | {p.get('human', 0)} | {p.get('memory', 0)} | "
            f"{p.get('machine', 0)} | {p.get('source', 0)} | {d.lint_warnings} | "
            f"[email.html](file://{d.path}) |"
        )
    warnings = {lang: [f for f in fs if f.startswith("warning")] for lang, fs in summary.findings.items()}
    if any(warnings.values()):
        out += ["", "## Lint warnings", ""]
        for lang, ws in warnings.items():
            out += [f"- **{lang}** {w}" for w in ws[:20]]
    out += [
        "",
        "Content hashes of these drafts (an approval binds to them; a new draft voids it):",
        "",
        *[f"- `{lang}` `{h}`" for lang, h in summary.hashes.items()],
        "",
        "Approve or reject with the form of this flow run (your name is required; leave the "
        "hashes as they are), or from a shell:",
        f"`hrc-outreach edition approve {summary.key} --by NAME "
        f"--hashes {format_hashes(summary.hashes)}` (`--reject --notes \"...\"` to reject).",
    ]
    return "\n".join(out)


def send_summary_rows(summary: DraftSummary, sent: dict[str, Any]) -> list[dict[str, Any]]:
    """Per language: subject, recipients, accepted, failed (the run summary artifact)."""
    figures = sent.get("languages", {})
    rows = []
    for lang, d in summary.languages.items():
        f = figures.get(lang, {})
        rows.append({
            "language": lang, "subject": d.subject, "recipients": f.get("planned", 0),
            "accepted": f.get("accepted", 0), "failed": f.get("failed", 0),
            "in_doubt": f.get("in_doubt", 0),
        })
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
    return {"provider": name, "since": since.isoformat(), "events": len(events), "suppressed": applied}
