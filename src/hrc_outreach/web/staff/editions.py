"""An edition: its languages, the preview of each, and the actions on it (send a test to myself,
drop an item, approve or reject bound to the content hashes shown on the page).

Drafts are read through the library (``pipeline.drafted_messages``); a decision resumes the waiting
monthly flow run through ``workflow.resume_waiting_run`` when one waits (the CLI's path), else it is
recorded directly with ``approval.approve`` / ``approval.reject``.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from hrc_outreach import approval
from hrc_outreach.config import Settings
from hrc_outreach.errors import OutreachError
from hrc_outreach.models import Provenance, RenderedMessage, ReviewState, Severity, Translation
from hrc_outreach.render.output import edition_dir
from hrc_outreach.store import Store
from hrc_outreach.web.staff.common import (
    Viewer,
    approver,
    editor,
    page,
    settings_of,
    staff_router,
    store_of,
)

router = staff_router  # every staff module adds its routes to the one /staff router
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
CARD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\.(png|jpg|jpeg|webp)$")
# The email as a reader's client shows it, in a sandboxed frame: no script, no form, no plugin.
FRAME_CSP = (
    "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "font-src https: data:; frame-ancestors 'self'; sandbox"
)


def checked_key(key: str) -> str:
    if not KEY.match(key):
        raise HTTPException(status_code=404, detail="no such edition")
    return key


def drafts(store: Store, key: str) -> dict[str, RenderedMessage]:
    """The drafted edition as in the store (what is approved and sent); 404 when never drafted."""
    from hrc_outreach.render.output import load_drafts

    try:
        return load_drafts(store, checked_key(key))
    except OutreachError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def one_draft(
    store: Store, key: str, lang: str
) -> tuple[dict[str, RenderedMessage], RenderedMessage]:
    messages = drafts(store, key)
    if lang not in messages:
        raise HTTPException(status_code=404, detail=f"edition {key} has no draft in {lang}")
    return messages, messages[lang]


def origin(t: Translation | None) -> str:
    """Where a shown string came from: human, memory, machine, or source (untranslated)."""
    if t is None:
        return "source"
    if t.provenance is Provenance.MACHINE or (
        t.provenance is Provenance.MEMORY and t.review is ReviewState.UNREVIEWED
    ):
        return "machine"
    return t.provenance.value


@dataclass(frozen=True)
class ItemLine:
    id: str
    kind: str
    source_title: str
    title: str
    origins: dict[str, str]  # field -> origin
    url: str | None
    title_generated: bool = False  # made from the text's first clause: staff may set a headline
    headline: str = ""  # the staff's headline and summary for this edition (editions/<key>.yaml)
    summary: str = ""

    @property
    def origin(self) -> str:
        """The weakest origin of its fields (what the reader gets at worst)."""
        order = ("source", "machine", "memory", "human")
        return min(self.origins.values(), key=order.index) if self.origins else "human"


def item_lines(settings: Settings, store: Store, key: str, lang: str) -> list[ItemLine]:
    """The edition's items in ``lang`` with where each field's text came from."""
    from hrc_outreach.curate.edition import editions_dir
    from hrc_outreach.curate.pins import load_choices
    from hrc_outreach.i18n.po import load_edition
    from hrc_outreach.i18n.policy import FIELDS, resolve_strings

    edition = load_edition(store, settings, key)
    found = resolve_strings(edition, lang, settings=settings, store=store)
    try:
        choices = load_choices(editions_dir(settings) / f"{key}.yaml")
    except OutreachError:
        choices = None  # the draft already reported it; the page still shows the items
    lines = []
    for item in edition.items:
        origins = {f: origin(found.get((item.id, f))) for f in FIELDS if getattr(item, f)}
        t = found.get((item.id, "title"))
        lines.append(
            ItemLine(
                id=item.id,
                kind=item.kind.value,
                source_title=item.title,
                title=t.text if t is not None else item.title,
                origins=origins,
                url=item.url,
                title_generated=item.title_generated,
                headline=choices.headlines.get(item.id, "") if choices else "",
                summary=choices.summaries.get(item.id, "") if choices else "",
            )
        )
    return lines


def _done(key: str, what: str, lang: str = "", detail: str = "") -> RedirectResponse:
    target = f"/staff/editions/{key}" + (f"/preview/{lang}" if lang else "")
    extra = f"&detail={quote(detail[:300])}" if detail else ""
    return RedirectResponse(f"{target}?done={what}{extra}", status_code=303)


@router.get("/editions/{key}")
def overview(request: Request, key: str, viewer: Viewer = Depends(editor)) -> Response:
    settings, store = settings_of(request), store_of(request)
    messages = drafts(store_of(request), key)
    hashes = approval.content_hashes(messages)
    latest = approval.latest_decision(store, key)
    holds, why = approval.approval_holds(store, key, messages)
    from hrc_outreach.pipeline import waiting_flow_run
    from hrc_outreach.social.publishing import social_states

    return page(
        request,
        "edition.html.j2",
        viewer=viewer,
        key=key,
        started=_started(store, settings, key),  # events under way by the time it is sent
        messages=messages,
        hashes=hashes,
        hashes_field=approval.format_hashes(hashes, short=False),
        latest=latest,
        holds=holds,
        why=why,
        waiting=waiting_flow_run(settings, key),
        social=social_states(store, key),  # the publishing ledger (issue 15)
        done=request.query_params.get("done", ""),
        detail=request.query_params.get("detail", ""),
    )


def _started(store: Store, settings: Settings, key: str) -> str | None:
    from hrc_outreach.curate.events import started_in_store

    with store.session() as session:
        return started_in_store(session, settings, key, "approving")


@router.get("/editions/{key}/preview/{lang}")
def preview(request: Request, key: str, lang: str, viewer: Viewer = Depends(editor)) -> Response:
    settings, store = settings_of(request), store_of(request)
    messages, msg = one_draft(store, key, lang)
    lines = item_lines(settings, store, key, lang)
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.origin] = counts.get(line.origin, 0) + 1
    findings = [f for f in msg.lint if f.severity is not Severity.INFO]
    return page(
        request,
        "preview.html.j2",
        viewer=viewer,
        key=key,
        lang=lang,
        msg=msg,
        languages=sorted(messages),
        lines=lines,
        counts=counts,
        findings=findings,
        done=request.query_params.get("done", ""),
        detail=request.query_params.get("detail", ""),
    )


@router.get("/editions/{key}/frame/{lang}")
def frame(request: Request, key: str, lang: str, viewer: Viewer = Depends(editor)) -> Response:
    """The email's HTML as is, for a sandboxed iframe of the preview (its CSP forbids scripts)."""
    _messages, msg = one_draft(store_of(request), key, lang)
    return Response(
        msg.html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": FRAME_CSP,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get("/editions/{key}/cards/{lang}/{name}")
def card(
    request: Request, key: str, lang: str, name: str, viewer: Viewer = Depends(editor)
) -> Response:
    """A social post's image card, from the draft's folder."""
    settings = settings_of(request)
    _messages, msg = one_draft(store_of(request), key, lang)
    if not CARD.match(name) or name not in {p.image for p in msg.social}:
        raise HTTPException(status_code=404, detail="no such card")
    path = edition_dir(settings.resolve(settings.out_dir), key) / lang / name
    if not path.is_file():
        raise HTTPException(status_code=404, detail="no such card")
    return FileResponse(path, headers={"Cache-Control": "no-store"})


@router.post("/editions/{key}/test")
def send_test(
    request: Request, key: str, lang: str = Form("all"), viewer: Viewer = Depends(editor)
) -> Response:
    """Send every language (or one) to the signed-in person, marked [TEST]; the ledger is untouched."""
    from hrc_outreach.deliver.providers import open_provider
    from hrc_outreach.deliver.send_test import asend_test

    settings = settings_of(request)
    messages = drafts(store_of(request), key)
    langs = None if lang == "all" else [lang]
    to = viewer.signed.staff.email

    async def go() -> Any:
        async with open_provider(settings) as prov:
            return await asend_test(
                settings, key, to, langs=langs, provider=prov, messages=messages
            )

    try:
        results = asyncio.run(go())
    except OutreachError as exc:
        return _done(key, "test-failed", detail=str(exc))
    return _done(key, "test-sent", detail=", ".join(sorted(results)))


@router.post("/editions/{key}/drop")
def drop_item(
    request: Request,
    key: str,
    item: str = Form(...),
    lang: str = Form(""),
    viewer: Viewer = Depends(editor),
) -> Response:
    """Leave an item out: a waiting flow run re-drafts and asks again; otherwise the edition is
    drafted again here (either way, any approval no longer holds)."""
    from hrc_outreach.pipeline import add_excludes, draft, waiting_flow_run

    settings = settings_of(request)
    messages = drafts(store_of(request), key)
    if waiting_flow_run(settings, key) is not None and _resume(
        key,
        approve=False,
        by=viewer.name,
        notes=f"dropped item {item}",
        hashes={},
        drop_items=[item],
    ):
        return _done(key, "dropped-flow")
    add_excludes(settings, key, [item])
    try:
        summary = draft(settings, key, sorted(messages))
    except OutreachError as exc:
        return _done(key, "failed", detail=str(exc))
    void_wait(key, summary.voided_run, summary.voided_languages)
    return _done(key, "dropped", lang=lang if lang in messages else "")


def void_wait(key: str, flow_run: str | None, changed: list[str]) -> None:
    """A re-draft replaced drafts a flow run waited on: tell it (it ends sending nothing)."""
    if not flow_run:
        return
    _prefect_env()
    from hrc_outreach.workflow import void_waiting_run

    try:
        void_waiting_run(flow_run, key, changed)
    except Exception:  # noqa: BLE001 - the run refuses the old drafts on its own when answered
        pass


def _prefect_env() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _resume(
    key: str,
    *,
    approve: bool,
    by: str,
    notes: str,
    hashes: dict[str, str],
    drop_items: list[str] | None = None,
) -> str | None:
    """Answer the waiting run's approval form (as `edition approve` does); its name, or None when
    no run waits or Prefect cannot be reached (the decision is then recorded here)."""
    _prefect_env()
    from hrc_outreach.workflow import resume_waiting_run

    try:
        run = resume_waiting_run(
            key, approve=approve, reviewer=by, notes=notes, hashes=hashes, drop_items=drop_items
        )
    except Exception:  # noqa: BLE001 - no Prefect: record the decision directly
        return None
    return run.name if run is not None else None


@router.post("/editions/{key}/decision")
def decide(
    request: Request,
    key: str,
    decision: str = Form(...),
    hashes: str = Form(""),
    notes: str = Form(""),
    viewer: Viewer = Depends(approver),
) -> Response:
    """Approve (bound to the hashes the page showed) or reject, recorded with the member's name."""
    from hrc_outreach.pipeline import waiting_flow_run

    settings, store = settings_of(request), store_of(request)
    if decision not in ("approve", "reject"):
        raise HTTPException(status_code=400, detail="decision must be approve or reject")
    messages = drafts(store_of(request), key)
    current = approval.content_hashes(messages)
    approve = decision == "approve"
    try:
        shown = approval.parse_hashes(hashes) if approve else None
        if shown is not None:
            approval.check_shown(key, shown, messages)
    except OutreachError as exc:
        return page(request, "refused.html.j2", viewer=viewer, key=key, error=str(exc), status=409)
    if waiting_flow_run(settings, key) is not None:
        run = _resume(
            key, approve=approve, by=viewer.name, notes=notes, hashes=current if approve else {}
        )
        if run is not None:
            return _done(key, "approved-flow" if approve else "rejected-flow", detail=run)
    try:
        if approve:
            approval.approve(
                store,
                key,
                messages,
                by=viewer.name,
                method="web",
                notes=notes,
                provider=settings.delivery.provider,
                shown=shown,
            )
        else:
            approval.reject(store, key, messages, by=viewer.name, method="web", notes=notes)
    except OutreachError as exc:
        return page(request, "refused.html.j2", viewer=viewer, key=key, error=str(exc), status=409)
    return _done(key, "approved" if approve else "rejected")


@router.post("/editions/{key}/items/{item}/text")
def set_item_text(
    request: Request,
    key: str,
    item: str,
    headline: str = Form(""),
    summary: str = Form(""),
    lang: str = Form(""),
    viewer: Viewer = Depends(editor),
) -> Response:
    """Set (or clear, with empty fields) an item's headline and summary for this edition, in
    ``editions/<key>.yaml`` beside the pins and excludes; the source is not touched. The edition is
    drafted again (any approval no longer holds)."""
    from hrc_outreach.curate.edition import editions_dir
    from hrc_outreach.curate.pins import save_item_text
    from hrc_outreach.pipeline import draft

    settings = settings_of(request)
    messages = drafts(store_of(request), key)
    if not ITEM.match(item) or item not in {i.id for i in _edition_items(request, key)}:
        raise HTTPException(status_code=404, detail=f"edition {key} has no item {item}")
    back = lang if lang in messages else ""
    try:
        save_item_text(
            editions_dir(settings) / f"{key}.yaml", item, headline=headline, summary=summary
        )
        summary_of = draft(settings, key, sorted(messages))
    except OutreachError as exc:
        return _done(key, "failed", lang=back, detail=str(exc))
    void_wait(key, summary_of.voided_run, summary_of.voided_languages)
    return _done(key, "saved", lang=back)


ITEM = re.compile(r"^[0-9a-f]{24}$")


def _edition_items(request: Request, key: str) -> list[Any]:
    from hrc_outreach.i18n.po import load_edition

    return list(load_edition(store_of(request), settings_of(request), key).items)
