"""A campaign's steps through the same stages as an edition: drafted (rendered, linted, stored as
the drafts an approval binds to), approved by a person, launched as one send job per step.

Each step is kept under the key ``campaign:<name>:<step>`` (drafts, approvals, send job), so:

- a step's job is planned once, from the audience as it is at launch: relaunching it resumes
  that job and reaches nobody twice, and nobody who joined later;
- a later step plans its own job from the audience as it is then: whoever unsubscribed since
  gets none of the later steps; whoever joined since gets the steps still to come.

>>> drafted = draft_step(settings, Path("campaigns/eu-elections"), "announcement")  # doctest: +SKIP
>>> approve_step(settings, Path("campaigns/eu-elections"), "announcement", by="Ana")  # doctest: +SKIP
>>> launch_step(settings, Path("campaigns/eu-elections"), "announcement").report.totals  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from hrc_outreach import approval
from hrc_outreach.campaigns.model import Campaign, Step
from hrc_outreach.campaigns.render import base_language, cta_groups, recipient_message, render_step
from hrc_outreach.campaigns.validate import load_campaign
from hrc_outreach.config import Settings
from hrc_outreach.deliver.report import JobReport
from hrc_outreach.errors import ApprovalError, ConfigError, DeliveryError, RenderError
from hrc_outreach.models import RenderedMessage, Severity
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import SendJobRow, SubscriberRow


class StepDraft(BaseModel):
    """What drafting a step produced: per language its subject, lint errors and content hash."""

    model_config = ConfigDict(frozen=True)

    key: str
    step: str
    send_at: datetime
    out_dir: Path
    subjects: dict[str, str]
    hashes: dict[str, str]
    lint_errors: dict[str, list[str]]

    @property
    def errors(self) -> int:
        return sum(len(v) for v in self.lint_errors.values())


class StepOutcome(BaseModel):
    """What launching a step did: its send job's report (None for a dry run) or the plan counts."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    key: str
    step: str
    job_id: int | None = None
    provider: str
    report: JobReport | None = None
    dry_run: dict[str, Any] | None = None
    already: bool = False  # the step's job existed before this launch (nobody new planned)
    archive_pages: list[str] = []  # its public web pages, once someone got it
    archive_error: str = ""


def campaign_out_dir(settings: Settings, campaign: Campaign, step: str) -> Path:
    return settings.resolve(settings.out_dir) / "campaigns" / campaign.name / step


def _translator(settings: Settings) -> Any:
    from hrc_outreach.i18n.translators import translator_from_settings

    return translator_from_settings(settings)


def _step(campaign: Campaign, name: str) -> Step:
    try:
        return campaign.step(name)
    except KeyError:
        names = ", ".join(s.name for s in campaign.steps)
        raise ConfigError(
            f"campaign {campaign.name!r} has no step {name!r} (steps: {names})"
        ) from None


def render(
    settings: Settings, directory: Path, step_name: str
) -> tuple[Campaign, Step, dict[str, RenderedMessage]]:
    """The campaign, its step, and the step rendered now in every campaign language (languages
    staff did not write come from the translation memory, else the machine, and are remembered)."""
    campaign = load_campaign(settings, directory)
    step = _step(campaign, step_name)
    translator = _translator(settings)
    store = open_store(settings)
    try:
        return campaign, step, render_step(settings, campaign, step, directory, translator, store)
    finally:
        store.dispose()
        if translator is not None:
            translator.client.close()


def write_copies(
    out: Path,
    messages: dict[str, RenderedMessage],
    settings: Settings,
    subtitles: dict[str, str] | None = None,
) -> None:
    """A copy for people: ``<out>/<lang>/email.html, email.txt, message.json, social.json`` and
    the social posts' image cards (``subtitles``: the call to action per language)."""
    subtitles = subtitles or {}
    for lang, msg in messages.items():
        d = out / lang
        d.mkdir(parents=True, exist_ok=True)
        (d / "email.html").write_text(msg.html, encoding="utf-8")
        (d / "email.txt").write_text(msg.text, encoding="utf-8")
        meta = {
            "key": msg.edition_key, "lang": lang, "dir": msg.dir, "subject": msg.subject,
            "preheader": msg.preheader, "sha256": msg.content_hash(),
            "lint": [f.model_dump(mode="json") for f in msg.lint],
        }  # fmt: skip
        (d / "message.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
        posts = [p.model_dump(mode="json") for p in msg.social]
        (d / "social.json").write_text(json.dumps(posts, ensure_ascii=False, indent=2) + "\n")
        _draw_cards(d, msg, settings, subtitle=subtitles.get(lang, ""))


_SIZE = re.compile(r"-(\d+)x(\d+)\.png$")


def _draw_cards(
    folder: Path, msg: RenderedMessage, settings: Settings, *, subtitle: str
) -> list[Path]:
    """The image cards the message's social posts name, drawn beside its copy (once per size)."""
    from hrc_outreach.render.cards import Card, card_logo, write_card

    drawn = []
    nl = settings.newsletter
    for name in sorted({p.image for p in msg.social if p.image}):
        m = _SIZE.search(name)
        if m is None:
            continue
        card = Card(
            title=msg.subject, subtitle=subtitle, footer=nl.organisation, lang=msg.lang,
            logo=card_logo(),
        )  # fmt: skip
        size = (int(m.group(1)), int(m.group(2)))
        drawn.append(write_card(card, size, nl.brand_color, nl.accent_color, folder / name))
    return drawn


def draft_step(settings: Settings, directory: Path, step_name: str) -> StepDraft:
    """Render ``step_name`` in every campaign language, store the drafts (what is approved and
    sent), and write a copy for people under ``out/campaigns/<name>/<step>/``."""
    from hrc_outreach.render.output import save_drafts

    campaign, step, messages = render(settings, directory, step_name)
    out = campaign_out_dir(settings, campaign, step.name)
    labels = {
        key: (step.cta.label.get(base_language(key), "") if step.cta else "") for key in messages
    }
    write_copies(out, messages, settings, labels)
    store = open_store(settings)
    try:
        save_drafts(store, messages.values())
    finally:
        store.dispose()
    return StepDraft(
        key=campaign.key(step.name),
        step=step.name,
        send_at=step.send_time(campaign.date, campaign.zone),
        out_dir=out,
        subjects={lang: m.subject for lang, m in messages.items()},
        hashes=approval.content_hashes(messages),
        lint_errors={
            lang: [f"{f.rule}: {f.message}" for f in m.lint if f.severity is Severity.ERROR]
            for lang, m in messages.items()
        },
    )


def _current(
    settings: Settings, directory: Path, step_name: str
) -> tuple[Campaign, Step, dict[str, RenderedMessage]]:
    """The step's stored drafts, which must still be what the campaign files render to now."""
    from hrc_outreach.render.output import load_drafts

    campaign, step, fresh = render(settings, directory, step_name)
    key = campaign.key(step.name)
    store = open_store(settings)
    try:
        try:
            stored = load_drafts(store, key)
        except RenderError:
            raise ApprovalError(
                f"step {step.name!r} of campaign {campaign.name!r} was never previewed; run "
                f"`hrc-outreach campaign preview {directory} --step {step.name}` first"
            ) from None
    finally:
        store.dispose()
    changed = approval.differences(approval.content_hashes(stored), approval.content_hashes(fresh))
    if changed:
        what = "; ".join(f"{k}: {_languages(v)}" for k, v in changed.items())
        raise ApprovalError(
            f"step {step.name!r} of campaign {campaign.name!r} changed since it was previewed "
            f"({what}); preview it again (`hrc-outreach campaign preview {directory} --step "
            f"{step.name}`) and have that approved"
        )
    return campaign, step, stored


def _languages(keys: list[str]) -> str:
    """Message keys said by language: ``fr (+11 country links), nl``."""
    count: dict[str, int] = {}
    for key in keys:
        lang = base_language(key)
        count[lang] = count.get(lang, 0) + (key != lang)
    return ", ".join(f"{lang} (+{n} country links)" if n else lang for lang, n in count.items())


def approve_step(
    settings: Settings,
    directory: Path,
    step_name: str,
    *,
    by: str,
    method: str = "cli",
    notes: str = "",
    reject: bool = False,
    shown: dict[str, str] | None = None,
) -> dict[str, str]:
    """Record ``by``'s decision on the step's drafts as previewed (their hashes); refused when the
    files changed since the preview, when ``shown`` (the hashes a page showed) are not those
    drafts', or (to approve) a language has lint errors."""
    campaign, step, messages = _current(settings, directory, step_name)
    key = campaign.key(step.name)
    if not reject:
        errors = sorted(lang for lang, m in messages.items() if m.lint_errors)
        if errors:
            raise ApprovalError(
                f"step {step.name!r} has lint errors in {', '.join(errors)}; they block "
                "approval and sending (see the preview's message.json)"
            )
    store = open_store(settings)
    try:
        if reject:
            approval.reject(store, key, messages, by=by, notes=notes, method=method)
        else:
            approval.approve(
                store, key, messages, by=by, method=method, notes=notes,
                provider=settings.delivery.provider, shown=shown,
            )  # fmt: skip
    finally:
        store.dispose()
    return approval.content_hashes(messages)


# ---------------------------------------------------------------------------------- the audience


def _tags(session: Session) -> dict[int, tuple[list[str], list[str], str | None]]:
    rows = session.execute(
        select(
            SubscriberRow.id, SubscriberRow.segments, SubscriberRow.topics, SubscriberRow.country
        )
    )
    return {
        sid: (segs or [], topics or [], country) for sid, segs, topics, country in rows.tuples()
    }


def campaign_audience(
    session: Session, settings: Settings, campaign: Campaign, step: Step | None = None
) -> Iterator[tuple[int, str, str, str]]:
    """Who the campaign reaches now, as ``(id, email, name, message)``: confirmed, not suppressed,
    not paused, in one of its segments, living in one of its countries (when given), reading one
    of its audience languages (when given), holding its consent topic (when given). Languages are
    the campaign's; a reader of another gets the campaign's source language. ``message`` is the
    language, or (with ``step``) the key of the language's message carrying the call to action of
    the reader's country of residence (``de@BE``, see :func:`~.render.cta_groups`)."""
    from hrc_outreach.audience.segments import load_segments, segments_path
    from hrc_outreach.audience.snapshot import iter_audience

    defined = load_segments(segments_path(settings))
    chosen = [defined[n] for n in campaign.audience.segments if n in defined]
    countries = set(campaign.audience.countries)
    languages = set(campaign.audience.languages)
    consent = campaign.audience.consent
    info = _tags(session)
    groups = cta_groups(step) if step is not None else {}
    for sid, email, name, lang in iter_audience(
        session, languages=list(campaign.languages), fallback_language=campaign.source_language
    ):
        segs, topics, country = info.get(sid, ([], [], None))
        if not any(s.matches(tags=segs, language=lang, country=country) for s in chosen):
            continue
        if countries and country not in countries:
            continue
        if languages and lang not in languages:
            continue
        if consent and consent not in topics and consent not in segs:
            continue
        yield sid, email, name, recipient_message(groups, lang, country)


# -------------------------------------------------------------------------------------- launching


def launch_step(
    settings: Settings,
    directory: Path,
    step_name: str,
    *,
    provider: str | None = None,
    dry_run: bool = False,
) -> StepOutcome:
    """Send the approved step now: plan its job from the campaign's audience (or resume the job
    planned before), send its batches, settle it. ``dry_run``: the counts only, nothing written."""
    from hrc_outreach.deliver.planner import _Batcher, find_job, plan_job, provider_max
    from hrc_outreach.deliver.runner import finish_job

    name = (provider or settings.delivery.provider).lower()
    campaign, step, messages = _current(settings, directory, step_name)
    key = campaign.key(step.name)
    errors = sorted(lang for lang, m in messages.items() if m.lint_errors)
    if errors:
        raise DeliveryError(f"step {step.name!r} has lint errors in {', '.join(errors)}: not sent")
    store = open_store(settings)
    try:
        with store.session() as s:
            existing = find_job(s, key, name)
        if dry_run:
            dealer = _Batcher(messages, campaign.source_language, provider_max(name), None)
            if existing is None:
                with store.session() as s:
                    for member in campaign_audience(s, settings, campaign, step):
                        dealer.add(member)
                    s.rollback()
            return StepOutcome(
                key=key, step=step.name, provider=name, dry_run=dealer.close(),
                already=existing is not None, job_id=existing.id if existing else None,
            )  # fmt: skip
        job_id = plan_job(
            store, settings, key, messages, name,
            audience=lambda s: campaign_audience(s, settings, campaign, step),
            source_language=campaign.source_language,
        )  # fmt: skip
    finally:
        store.dispose()
    _send(settings, job_id, name, messages)
    store = open_store(settings)
    try:
        report = finish_job(store, job_id, lease=settings.delivery.claim_lease_seconds)
    finally:
        store.dispose()
    pages, error = _publish(settings, campaign, step, directory, report)
    return StepOutcome(
        key=key, step=step.name, job_id=job_id, provider=name, report=report,
        already=existing is not None, archive_pages=pages, archive_error=error,
    )  # fmt: skip


def _publish(
    settings: Settings, campaign: Campaign, step: Step, directory: Path, report: JobReport
) -> tuple[list[str], str]:
    """The step's public pages once someone got it; a failure to publish is reported, never
    undoes the send."""
    from hrc_outreach.campaigns.archive import publish_step
    from hrc_outreach.errors import OutreachError

    if not report.totals.accepted:
        return [], ""
    translator = _translator(settings)
    store = open_store(settings)
    try:
        return publish_step(settings, campaign, step, directory, translator, store), ""
    except (OutreachError, OSError) as exc:
        return [], str(exc)
    finally:
        store.dispose()
        if translator is not None:
            translator.client.close()


def _send(
    settings: Settings, job_id: int, provider: str, messages: dict[str, RenderedMessage]
) -> None:
    """Claim and send the job's batches in this process (other senders may claim beside it)."""
    import asyncio

    from hrc_outreach.deliver.providers import open_provider
    from hrc_outreach.deliver.runner import arun_job

    store = open_store(settings)

    async def go() -> None:
        async with open_provider(settings, name=provider) as prov:
            await arun_job(store, settings, job_id, prov, messages=messages)

    try:
        asyncio.run(go())
    finally:
        store.dispose()


def due_steps(campaign: Campaign, now: datetime | None = None) -> list[Step]:
    """The steps whose send time has come."""
    now = now or datetime.now(UTC)
    return [s for s in campaign.steps if s.send_time(campaign.date, campaign.zone) <= now]


def step_reports(settings: Settings, directory: Path) -> dict[str, Any]:
    """Per step: when it goes out, the latest decision, and its send job's figures (if any)."""
    from hrc_outreach.deliver.report import report_for_job

    campaign = load_campaign(settings, directory)
    out: dict[str, Any] = {"campaign": campaign.name, "title": campaign.title, "steps": []}
    store = open_store(settings)
    try:
        for step in campaign.steps:
            key = campaign.key(step.name)
            decision = approval.latest_decision(store, key)
            entry: dict[str, Any] = {
                "step": step.name,
                "key": key,
                "send_at": step.send_time(campaign.date, campaign.zone).isoformat(),
                "decision": None
                if decision is None
                else {
                    "decision": decision.decision,
                    "by": decision.by,
                    "at": decision.at.isoformat(),
                },
                "jobs": [],
            }
            with store.session() as s:
                for job in s.scalars(select(SendJobRow).where(SendJobRow.edition_key == key)):
                    rep = report_for_job(s, job)
                    entry["jobs"].append({"job": job.id, "provider": job.provider, **rep.as_json()})
            out["steps"].append(entry)
    finally:
        store.dispose()
    return out


def campaign_list(settings: Settings, root: Path) -> list[dict[str, Any]]:
    """Every campaign folder under ``root``: name, title, date, steps, and how many problems."""
    from hrc_outreach.campaigns.load import read_campaign
    from hrc_outreach.campaigns.validate import validate_campaign

    out = []
    for d in sorted(p for p in root.glob("*/campaign.yaml")):
        folder = d.parent
        problems = validate_campaign(settings, folder)
        try:
            data = read_campaign(folder).data
        except ConfigError:
            data = {}
        steps = [s.get("name", "?") for s in data.get("steps") or [] if isinstance(s, dict)]
        out.append({
            "folder": str(folder), "name": str(data.get("name", folder.name)),
            "title": str(data.get("title", "")), "date": str(data.get("date", "")),
            "steps": steps, "problems": len(problems),
        })  # fmt: skip
    return out


def step_approved(settings: Settings, directory: Path, step_name: str) -> dict[str, str] | None:
    """The hashes of the step's approved drafts when its approval holds for the files as they are
    now; None otherwise (never previewed, not approved, rejected, or changed since)."""
    try:
        campaign, step, messages = _current(settings, directory, step_name)
    except ApprovalError:
        return None
    store = open_store(settings)
    try:
        approval.require_approval(store, campaign.key(step.name), messages)
    except ApprovalError:
        return None
    finally:
        store.dispose()
    return approval.content_hashes(messages)
