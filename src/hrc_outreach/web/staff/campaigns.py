"""Campaigns in the staff area: the list, a campaign's steps (send time, decision, delivery),
each step's preview in every language, and the actions: draft a step's preview (editors), approve
or reject it bound to the content hashes shown, launch it now (approvers).

Routes are thin over :mod:`hrc_outreach.campaigns.steps`, the same functions as the CLI.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from hrc_outreach import approval
from hrc_outreach.config import Settings
from hrc_outreach.errors import OutreachError
from hrc_outreach.models import RenderedMessage, Severity
from hrc_outreach.web.staff.common import (
    Viewer,
    approver,
    editor,
    page,
    settings_of,
    staff_router,
    store_of,
)
from hrc_outreach.web.staff.editions import FRAME_CSP

router = staff_router
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def campaigns_root(settings: Settings) -> Path:
    return settings.resolve("campaigns")


def _dir(settings: Settings, name: str) -> Path:
    d = campaigns_root(settings) / name
    if not NAME.match(name) or not (d / "campaign.yaml").is_file():
        raise HTTPException(status_code=404, detail="no such campaign")
    return d


def _drafts(request: Request, key: str) -> dict[str, RenderedMessage]:
    from hrc_outreach.render.output import load_drafts

    try:
        return load_drafts(store_of(request), key)
    except OutreachError:
        return {}


def _refused(request: Request, viewer: Viewer, name: str, error: str) -> Response:
    return page(
        request, "campaign_refused.html.j2", viewer=viewer, name=name, error=error, status=409
    )


def _done(name: str, what: str, detail: str = "") -> RedirectResponse:
    extra = f"&detail={quote(detail[:300])}" if detail else ""
    return RedirectResponse(f"/staff/campaigns/{name}?done={what}{extra}", status_code=303)


@router.get("/campaigns")
def campaigns(request: Request, viewer: Viewer = Depends(editor)) -> Response:
    from hrc_outreach.campaigns.steps import campaign_list

    rows = campaign_list(settings_of(request), campaigns_root(settings_of(request)))
    for r in rows:
        r["slug"] = Path(r["folder"]).name
    return page(request, "campaigns.html.j2", viewer=viewer, rows=rows)


@router.get("/campaigns/{name}")
def campaign(request: Request, name: str, viewer: Viewer = Depends(editor)) -> Response:
    from hrc_outreach.campaigns.steps import step_reports
    from hrc_outreach.campaigns.validate import validate_campaign

    settings = settings_of(request)
    directory = _dir(settings, name)
    problems = validate_campaign(settings, directory, times=False)
    steps: list[dict[str, Any]] = []
    report: dict[str, Any] = {"campaign": name, "title": "", "steps": []}
    if not problems:
        report = step_reports(settings, directory)
        translated = _translated_languages(settings, directory)
        for s in report["steps"]:
            messages = _drafts(request, s["key"])
            hashes = approval.content_hashes(messages)
            holds = False
            if messages:
                try:
                    approval.require_approval(store_of(request), s["key"], messages)
                    holds = True
                except OutreachError:
                    holds = False
            steps.append(
                {**s, "messages": messages, "hashes": hashes, "holds": holds,
                 "hashes_field": approval.format_hashes(hashes, short=False),
                 "translated": translated.get(s["step"], set()),
                 "totals": s["jobs"][0]["totals"] if s["jobs"] else None}
            )  # fmt: skip
    return page(
        request, "campaign.html.j2", viewer=viewer, name=name, title=report["title"],
        problems=problems, steps=steps, done=request.query_params.get("done", ""),
        detail=request.query_params.get("detail", ""),
    )  # fmt: skip


def _translated_languages(settings: Settings, directory: Path) -> dict[str, set[str]]:
    """Step -> the campaign languages staff did not write (translated: they have a review page)."""
    from hrc_outreach.campaigns.render import written_texts
    from hrc_outreach.campaigns.validate import load_campaign

    try:
        campaign = load_campaign(settings, directory)
    except OutreachError:
        return {}
    return {
        step.name: {c for c in campaign.languages if written_texts(step, directory, c) is None}
        for step in campaign.steps
    }


@router.get("/campaigns/{name}/{step}/preview/{lang}")
def preview(
    request: Request, name: str, step: str, lang: str, viewer: Viewer = Depends(editor)
) -> Response:
    directory = _dir(settings_of(request), name)
    messages = _drafts(request, f"campaign:{name}:{step}")
    if lang not in messages:
        raise HTTPException(status_code=404, detail=f"step {step} has no draft in {lang}")
    msg = messages[lang]
    translated = lang in _translated_languages(settings_of(request), directory).get(step, set())
    return page(
        request, "campaign_preview.html.j2", viewer=viewer, name=name, step=step, lang=lang,
        msg=msg, languages=sorted(messages), translated=translated,
        findings=[f for f in msg.lint if f.severity is not Severity.INFO],
    )  # fmt: skip


@router.get("/campaigns/{name}/{step}/frame/{lang}")
def frame(
    request: Request, name: str, step: str, lang: str, viewer: Viewer = Depends(editor)
) -> Response:
    """The message's HTML as is, for the preview's sandboxed iframe."""
    _dir(settings_of(request), name)
    messages = _drafts(request, f"campaign:{name}:{step}")
    if lang not in messages:
        raise HTTPException(status_code=404, detail=f"step {step} has no draft in {lang}")
    return Response(
        messages[lang].html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": FRAME_CSP, "X-Content-Type-Options": "nosniff",
                 "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )  # fmt: skip


@router.post("/campaigns/{name}/{step}/draft")
def draft(request: Request, name: str, step: str, viewer: Viewer = Depends(editor)) -> Response:
    """Render the step in every campaign language now (what an approval then binds to)."""
    from hrc_outreach.campaigns.steps import draft_step

    try:
        drafted = draft_step(settings_of(request), _dir(settings_of(request), name), step)
    except OutreachError as exc:
        return _done(name, "draft-failed", str(exc))
    return _done(name, "drafted", f"{step}: {len(drafted.hashes)}")


@router.post("/campaigns/{name}/{step}/decision")
def decide(
    request: Request,
    name: str,
    step: str,
    decision: str = Form(...),
    hashes: str = Form(""),
    notes: str = Form(""),
    viewer: Viewer = Depends(approver),
) -> Response:
    """Approve (bound to the hashes the page showed) or reject, with the member's name."""
    from hrc_outreach.campaigns.steps import approve_step

    if decision not in ("approve", "reject"):
        raise HTTPException(status_code=400, detail="decision must be approve or reject")
    settings = settings_of(request)
    try:
        shown = approval.parse_hashes(hashes) if decision == "approve" else None
        approve_step(
            settings, _dir(settings, name), step, by=viewer.name, method="web", notes=notes,
            reject=decision == "reject", shown=shown,
        )  # fmt: skip
    except OutreachError as exc:
        return _refused(request, viewer, name, str(exc))
    if decision == "approve":
        return _done(name, "approved", _schedule(settings, _dir(settings, name), step))
    return _done(name, "rejected")


def _schedule(settings: Settings, directory: Path, step: str) -> str:
    """As `campaign approve`: with a Prefect API configured, the approved future step becomes a
    scheduled run of the `campaign` deployment; what happened, for the page."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        return ""
    from hrc_outreach.campaigns.schedule import schedule_step
    from hrc_outreach.campaigns.steps import step_approved
    from hrc_outreach.campaigns.validate import load_campaign

    hashes = step_approved(settings, directory, step)
    if not hashes:
        return ""
    spec = load_campaign(settings, directory)
    try:
        done = schedule_step(spec, spec.step(step), str(directory.resolve()), hashes)
    except Exception as exc:  # noqa: BLE001 - Prefect unreachable or not deployed: say so
        return f"{step}: not scheduled ({exc})"
    return f"{step}: scheduled for {done['at']}" if "at" in done else f"{step}: {done['skipped']}"


@router.post("/campaigns/{name}/{step}/launch")
def launch(request: Request, name: str, step: str, viewer: Viewer = Depends(approver)) -> Response:
    """Send the approved step now (a step already sent reaches nobody again)."""
    from hrc_outreach.campaigns.steps import launch_step

    settings = settings_of(request)
    try:
        out = launch_step(settings, _dir(settings, name), step)
    except OutreachError as exc:
        return _refused(request, viewer, name, str(exc))
    accepted = out.report.totals.accepted if out.report is not None else 0
    return _done(name, "launched", f"{step}: {accepted}")


# ------------------------------------------------------------------------- translation review


def _review_entries(request: Request, name: str, step_name: str, lang: str) -> list[Any]:
    """The step's strings in ``lang`` as the edition review shows an edition's (its ``Entry``):
    source beside the current translation (reviewed = human, else machine), for a language the
    campaign translates (404 for a written one or the source language); a string with no
    translation yet is shown empty, for a person to fill in."""
    from hrc_outreach.campaigns.render import written_texts
    from hrc_outreach.campaigns.translate import step_strings, translated
    from hrc_outreach.campaigns.validate import load_campaign
    from hrc_outreach.i18n.memory import source_hash
    from hrc_outreach.web.staff.review import Entry

    settings = settings_of(request)
    directory = _dir(settings, name)
    try:
        campaign = load_campaign(settings, directory)
        step = campaign.step(step_name)
    except (OutreachError, KeyError):
        raise HTTPException(status_code=404, detail=f"no step {step_name} to review") from None
    if lang not in campaign.languages or written_texts(step, directory, lang) is not None:
        raise HTTPException(status_code=404, detail=f"{lang} is written, not translated")
    source = written_texts(step, directory, campaign.source_language)
    if source is None:  # a step never drafted is reviewable: a string the machine could not
        # translate (it changed a link, the quota ran out) is translated here by a person
        raise HTTPException(status_code=404, detail=f"step {step_name} has no source texts")
    strings = step_strings(source.subject, source.preheader, source.body_markdown, source.cta_label)
    found = translated(
        [s for _, s in strings], source=campaign.source_language, target=lang,
        store=store_of(request),
    )  # fmt: skip
    entries = []
    for field, text in strings:
        hit = found.get(text)
        shown = "source" if hit is None else ("human" if hit.origin == "human" else "machine")
        # the form's names carry the source text's hash: a form opened before the source changed
        # names no string of it (nothing is saved), however its strings moved
        entries.append(
            Entry(
                item_id=f"{campaign.key(step.name)}:{source_hash(text)[:16]}",
                field=field,
                kind="campaign",
                source=text,
                text=hit.text if hit is not None else "",
                origin=shown,
            )
        )
    return entries


def _review_page(
    request: Request, viewer: Viewer, name: str, step: str, lang: str, entries: list[Any],
    errors: list[str], status: int = 200,
) -> Response:  # fmt: skip
    from hrc_outreach.i18n.catalog import text_direction

    base = f"/staff/campaigns/{name}/{step}"
    return page(
        request, "translations.html.j2", viewer=viewer, key=f"{name} / {step}", lang=lang,
        entries=entries, errors=errors, done=request.query_params.get("done", ""),
        action=f"{base}/translations/{lang}", back=f"{base}/preview/{lang}",
        text_dir=text_direction(lang), status=status,
    )  # fmt: skip


@router.get("/campaigns/{name}/{step}/translations/{lang}")
def review_form(
    request: Request, name: str, step: str, lang: str, viewer: Viewer = Depends(editor)
) -> Response:
    """The edition review page for a campaign step's machine-translated strings in ``lang``."""
    return _review_page(
        request, viewer, name, step, lang, _review_entries(request, name, step, lang), []
    )


@router.post("/campaigns/{name}/{step}/translations/{lang}")
async def review_save(
    request: Request, name: str, step: str, lang: str, viewer: Viewer = Depends(editor)
) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    submitted = {k: v for k, v in form.items() if k.startswith("t:") and isinstance(v, str)}
    return await run_in_threadpool(_review_save, request, name, step, lang, viewer, submitted)


def _review_save(
    request: Request, name: str, step: str, lang: str, viewer: Viewer, submitted: dict[str, str]
) -> Response:
    """As an edition's review: checked like a PO entry, all or nothing, recorded as a person's
    reviewed translation in the memory; then the step is drafted again, so an approval of the
    old drafts no longer holds (it is bound to their hashes)."""
    from hrc_outreach.campaigns.steps import draft_step
    from hrc_outreach.campaigns.translate import record_reviewed
    from hrc_outreach.campaigns.validate import load_campaign
    from hrc_outreach.web.staff.review import _changes

    settings = settings_of(request)
    current = {e.name: e for e in _review_entries(request, name, step, lang)}
    changes, errors = _changes(current, submitted)
    if errors:
        return _review_page(
            request, viewer, name, step, lang, list(current.values()), errors, status=422
        )
    base = f"/staff/campaigns/{name}/{step}/translations/{lang}"
    if not changes:
        return RedirectResponse(f"{base}?done=unchanged", status_code=303)
    directory = _dir(settings, name)
    source_lang = load_campaign(settings, directory).source_language
    record_reviewed(
        store_of(request), {e.source: text for e, text in changes}, source_lang=source_lang,
        target=lang,
    )  # fmt: skip
    try:
        draft_step(settings, directory, step)
    except OutreachError as exc:
        return _done(name, "draft-failed", str(exc))
    return _done(name, "translated", f"{step}: {lang}")
