"""Translation review in the browser: every item string of an edition in one language, its source
text beside its current translation. Saving records a human translation exactly as a PO import does
(``memory.record_item_translation`` after ``po.check_entry``), drafts that language again (so an
approval of it no longer holds) and voids a flow run that waited on the old drafts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from hrc_outreach.config import Settings
from hrc_outreach.errors import OutreachError
from hrc_outreach.models import Edition
from hrc_outreach.store import Store
from hrc_outreach.web.staff.common import Viewer, editor, page, settings_of, staff_router, store_of
from hrc_outreach.web.staff.editions import checked_key, drafts, origin, void_wait

router = staff_router  # every staff module adds its routes to the one /staff router


@dataclass(frozen=True)
class Entry:
    item_id: str
    field: str
    kind: str
    source: str
    text: str
    origin: str

    @property
    def name(self) -> str:
        return f"t:{self.item_id}:{self.field}"


def entries(settings: Settings, store: Store, key: str, lang: str) -> list[Entry]:
    """Every item field of the edition that needs a translation in ``lang``."""
    from hrc_outreach.i18n.po import load_edition, to_translate
    from hrc_outreach.i18n.policy import resolve_strings

    edition = load_edition(store, settings, key)
    found = resolve_strings(edition, lang, settings=settings, store=store)
    out = [
        Entry(
            item_id=item.id,
            field=f,
            kind=item.kind.value,
            source=source,
            text=t.text if t is not None else "",
            origin=origin(t),
        )
        for item, f, source, t in to_translate(edition, found)
    ]
    intro = _intro_entry(settings, store, edition, lang)
    return out + ([intro] if intro is not None else [])


def _intro_entry(settings: Settings, store: Store, edition: Edition, lang: str) -> Entry | None:
    """The edition's intro, when it has one (Markdown; staff's own per-language file wins)."""
    from hrc_outreach.i18n.policy import INTRO_FIELD, intro_id, intro_translation

    if not edition.intro_markdown:
        return None
    t = intro_translation(edition, lang, settings=settings, store=store)
    return Entry(
        item_id=intro_id(edition.key),
        field=INTRO_FIELD,
        kind="edition",
        source=edition.intro_markdown,
        text=t.text if t is not None else "",
        origin=origin(t),
    )


def _language(settings: Settings, store: Store, key: str, lang: str) -> None:
    checked_key(key)
    if lang not in settings.i18n.languages or lang == settings.i18n.source_language:
        raise HTTPException(status_code=404, detail=f"{lang} is not a language to translate into")
    if lang not in drafts(store, key):
        raise HTTPException(status_code=404, detail=f"edition {key} has no draft in {lang}")


def _form(
    request: Request,
    viewer: Viewer,
    key: str,
    lang: str,
    shown: list[Entry],
    errors: Sequence[str] = (),
    *,
    done: str = "",
    status: int = 200,
) -> Response:
    """The review form of one language: its strings, what was wrong with the last save."""
    return page(
        request,
        "translations.html.j2",
        viewer=viewer,
        key=key,
        lang=lang,
        entries=shown,
        errors=list(errors),
        done=done,
        status=status,
    )


@router.get("/editions/{key}/translations/{lang}")
def review_form(
    request: Request, key: str, lang: str, viewer: Viewer = Depends(editor)
) -> Response:
    settings, store = settings_of(request), store_of(request)
    _language(settings, store, key, lang)
    return _form(
        request,
        viewer,
        key,
        lang,
        entries(settings, store, key, lang),
        done=request.query_params.get("done", ""),
    )


@router.post("/editions/{key}/translations/{lang}")
async def review_save(
    request: Request, key: str, lang: str, viewer: Viewer = Depends(editor)
) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    submitted = {k: v for k, v in form.items() if k.startswith("t:") and isinstance(v, str)}
    return await run_in_threadpool(_save, request, key, lang, viewer, submitted)


def _save(
    request: Request, key: str, lang: str, viewer: Viewer, submitted: dict[str, str]
) -> Response:
    from hrc_outreach.pipeline import draft

    settings, store = settings_of(request), store_of(request)
    _language(settings, store, key, lang)
    current = {e.name: e for e in entries(settings, store, key, lang)}
    changes, errors = _changes(current, submitted)
    if errors:  # all or nothing, as a PO import: nothing recorded, the form shown again
        return _form(request, viewer, key, lang, list(current.values()), errors, status=422)
    if not changes:
        return RedirectResponse(
            f"/staff/editions/{key}/translations/{lang}?done=unchanged", status_code=303
        )
    _record(store, lang, changes, settings.i18n.source_language)
    try:
        summary = draft(settings, key, [lang])
    except OutreachError as exc:
        return _form(
            request, viewer, key, lang, entries(settings, store, key, lang), [str(exc)], status=500
        )
    void_wait(key, summary.voided_run, summary.voided_languages)
    return RedirectResponse(
        f"/staff/editions/{key}/preview/{lang}?done=translated", status_code=303
    )


def _changes(
    current: dict[str, Entry], submitted: dict[str, str]
) -> tuple[list[tuple[Entry, str]], list[str]]:
    """The strings a reviewer changed, each with its new text, and what is wrong with the rest."""
    from hrc_outreach.i18n.po import check_entry

    changes: list[tuple[Entry, str]] = []
    errors: list[str] = []
    for name, value in submitted.items():
        entry = current.get(name)
        if entry is None:
            errors.append(f"{name[2:]}: not a string of this edition")
            continue
        text = value.replace("\r\n", "\n").strip()
        if not text or text == entry.text.strip():
            continue
        problems = check_entry(entry.source, text)
        if problems:
            errors.extend(f"{entry.item_id}:{entry.field}: {p}" for p in problems)
            continue
        changes.append((entry, text))
    return changes, errors


def _record(store: Store, lang: str, changes: list[tuple[Entry, str]], source_lang: str) -> None:
    """The reviewed translations into the translation memory, as a person's, in one transaction."""
    from hrc_outreach.i18n import memory
    from hrc_outreach.i18n.policy import INTRO_FIELD, record_intro

    with store.session() as s:
        for entry, text in changes:
            if entry.field == INTRO_FIELD:
                record_intro(s, source=entry.source, text=text, lang=lang, source_lang=source_lang)
                continue
            memory.record_item_translation(
                s,
                item_id=entry.item_id,
                field=entry.field,
                lang=lang,
                source_text=entry.source,
                text=text,
                source_lang=source_lang,
            )
