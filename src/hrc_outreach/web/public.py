"""Public subscriber pages: unsubscribe (RFC 8058 one-click), preferences, subscribe and confirm,
and the published archive. Routes parse, call :mod:`hrc_outreach.audience`, render a template.

A page is in the subscriber's language (from the token), else the browser's, else the source
language. Token pages are never cached; tokens and addresses never reach a log line.
"""

from __future__ import annotations

import logging
import mimetypes
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hrc_outreach.audience import consent, preferences
from hrc_outreach.audience.links import links_for
from hrc_outreach.audience.optin import send_confirmation
from hrc_outreach.audience.tokens import make_token, read_token
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError, OutreachError, TokenError
from hrc_outreach.render.archive import ARCHIVE
from hrc_outreach.render.view import language_name
from hrc_outreach.storage import PublishedFiles, StorageError, published_files
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow
from hrc_outreach.web import csrf, throttle
from hrc_outreach.web.limits import BodyTooLarge
from hrc_outreach.web.security import csp_with
from hrc_outreach.web.templating import NO_STORE, render, request_language

log = logging.getLogger(__name__)
router = APIRouter()
MAX_FORM_BYTES = 16_384


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def _secret(request: Request) -> bytes:
    return links_for(_settings(request)).secret


async def read_form(request: Request) -> FormData:
    """The posted form (urlencoded or multipart, as RFC 8058 allows); empty when the body is not
    a form; 413 beyond :data:`MAX_FORM_BYTES`."""
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise _TooLarge()
    try:
        return await request.form(max_files=0, max_fields=50)
    except BodyTooLarge:  # streamed past web.limits' limit (chunked: no Content-Length)
        raise _TooLarge() from None
    except Exception:  # noqa: BLE001 - a malformed body is treated as an empty form
        return FormData()


class _TooLarge(Exception):
    pass


def _invalid(request: Request, status_code: int = 400) -> HTMLResponse:
    return render(
        request,
        "web/public/invalid.html.j2",
        request_language(request),
        status_code=status_code,
        headers=NO_STORE,
    )


def _lookup(request: Request, purpose: str, token: str) -> tuple[int, SubscriberRow | None]:
    sid = read_token(_secret(request), purpose, token)
    with _store(request).session() as s:
        row = s.get(SubscriberRow, sid)
        if row is not None:
            s.expunge(row)
        return sid, row


# ------------------------------------------------------------------------------- unsubscribe


@router.get("/u/{token}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: str) -> Response:
    """What will happen, and a button (a GET never unsubscribes: link scanners follow links)."""
    try:
        sid, row = await run_in_threadpool(_lookup, request, "unsubscribe", token)
    except TokenError:
        return _invalid(request)
    lang = request_language(request, row.language if row else None)
    active = row is not None and row.state in consent.ACTIVE
    prefs = f"/p/{make_token(_secret(request), 'preferences', sid)}" if active else ""
    return render(
        request,
        "web/public/unsubscribe.html.j2",
        lang,
        headers=NO_STORE,
        done=False,
        already=not active,
        preferences_url=prefs,
    )


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe_post(request: Request, token: str) -> Response:
    """RFC 8058 one-click (and the page's button): 200, no redirect, no cookie or CSRF token
    needed — the signed token is the proof; idempotent."""
    try:
        form = await read_form(request)
    except _TooLarge:
        return Response(status_code=413)
    one_click = form.get("List-Unsubscribe") == "One-Click"
    settings = _settings(request)

    def work() -> str | None:
        with _store(request).session() as s:
            sub = consent.unsubscribe(
                s, settings, token, method="one-click" if one_click else "link"
            )
            return sub.language if sub else None

    try:
        lang_of = await run_in_threadpool(work)
    except TokenError:
        return _invalid(request)
    lang = request_language(request, lang_of)
    return render(
        request,
        "web/public/unsubscribe.html.j2",
        lang,
        headers=NO_STORE,
        done=True,
        already=False,
        preferences_url="",
    )


# ------------------------------------------------------------------------------- preferences


def _preferences_context(
    request: Request, sid: int, row: SubscriberRow, paused: date | None
) -> dict[str, Any]:
    settings = _settings(request)
    offered = preferences.public_segments(settings)
    tags = set(row.segments or ())
    today = datetime.now(UTC).date()
    return {
        "subscriber": consent.to_subscriber(row),
        "topics": preferences.TOPICS,
        "segments": [(seg, bool(tags.intersection(seg.tags))) for seg in offered],
        "paused_until": paused.isoformat() if paused else "",
        "tomorrow": (today + timedelta(days=1)).isoformat(),
        "latest": (today + timedelta(days=preferences.MAX_PAUSE_DAYS)).isoformat(),
        "unsubscribe_path": f"/u/{make_token(_secret(request), 'unsubscribe', sid)}",
    }


def _form_page(
    request: Request, template: str, lang: str, *, status_code: int = 200, **context: Any
) -> Response:
    """A page with a form: never stored, a fresh CSRF token in the form and in its cookie."""
    token = csrf.token_for(request, _secret(request))
    response = render(
        request, template, lang, status_code=status_code, headers=NO_STORE, csrf=token, **context
    )
    csrf.set_cookie(request, response, token)
    return response


def _preferences_page(
    request: Request,
    sid: int,
    row: SubscriberRow,
    *,
    status_code: int = 200,
    saved: bool = False,
    error: bool = False,
) -> Response:
    paused = row.paused_until.date() if row.paused_until else None
    return _form_page(
        request,
        "web/public/preferences.html.j2",
        request_language(request, row.language),
        status_code=status_code,
        saved=saved,
        error=error,
        **_preferences_context(request, sid, row, paused),
    )


@router.get("/p/{token}", response_class=HTMLResponse)
async def preferences_page(request: Request, token: str) -> Response:
    """The subscriber's language, topics, public segments and pause, and an unsubscribe button."""
    try:
        sid, row = await run_in_threadpool(_lookup, request, "preferences", token)
    except TokenError:
        return _invalid(request)
    if row is None or row.state not in consent.ACTIVE:
        return _gone(request, row)
    return _preferences_page(request, sid, row)


@router.post("/p/{token}", response_class=HTMLResponse)
async def preferences_post(request: Request, token: str) -> Response:
    """Save the preferences form (CSRF-checked); 400 with the form again when a value is wrong."""
    try:
        form = await read_form(request)
    except _TooLarge:
        return Response(status_code=413)
    try:
        sid, row = await run_in_threadpool(_lookup, request, "preferences", token)
    except TokenError:
        return _invalid(request)
    if not csrf.check(request, _secret(request), _str(form.get(csrf.FIELD))):
        return _forbidden(request)
    if row is None or row.state not in consent.ACTIVE:
        return _gone(request, row)
    settings = _settings(request)
    paused_raw = _str(form.get("paused_until")).strip()

    def work() -> SubscriberRow:
        paused = date.fromisoformat(paused_raw) if paused_raw else None
        with _store(request).session() as s:
            preferences.save_preferences(
                s,
                settings,
                token,
                language=_str(form.get("language")) or row.language,
                topics=[_str(v) for v in form.getlist("topics")],
                segments=[_str(v) for v in form.getlist("segments")],
                paused_until=paused,
            )
            fresh = s.get(SubscriberRow, sid)
            assert fresh is not None
            s.expunge(fresh)
            return fresh

    try:
        fresh = await run_in_threadpool(work)
    except (AudienceError, ValueError) as exc:
        log.info("preferences not saved: %s", type(exc).__name__)
        return _preferences_page(request, sid, row, status_code=400, error=True)
    return _preferences_page(request, sid, fresh, saved=True)


def _gone(request: Request, row: SubscriberRow | None) -> Response:
    lang = request_language(request, row.language if row else None)
    return render(
        request,
        "web/public/unsubscribe.html.j2",
        lang,
        status_code=410,
        headers=NO_STORE,
        done=False,
        already=True,
        preferences_url="",
    )


def _forbidden(request: Request) -> Response:
    lang = request_language(request)
    return render(request, "web/public/forbidden.html.j2", lang, status_code=403, headers=NO_STORE)


# ------------------------------------------------------------------------- subscribe, confirm


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _subscribe_page(
    request: Request,
    lang: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    values: dict[str, Any] = {
        "sent": False,
        "throttled": False,
        "error": "",
        "form_email": "",
        "form_name": "",
    }
    values.update(context)
    return _form_page(
        request, "web/public/subscribe.html.j2", lang, status_code=status_code, **values
    )


@router.get("/subscribe", response_class=HTMLResponse)
async def subscribe_page(request: Request) -> Response:
    """The subscribe form with the privacy notice and an explicit consent checkbox."""
    return _subscribe_page(request, request_language(request))


@router.post("/subscribe", response_class=HTMLResponse)
async def subscribe_post(request: Request) -> Response:
    """Sign up as pending and mail the confirmation link; the same answer whether or not the
    address is known; 429 past the per-address limit (counted in the store)."""
    settings = _settings(request)
    store = _store(request)
    client = _client(request)

    def counted() -> bool:
        with store.session() as s:
            return throttle.allow(
                s,
                "subscribe",
                client,
                limit=throttle.SUBSCRIBE_LIMIT,
                window_seconds=throttle.SUBSCRIBE_WINDOW_SECONDS,
            )

    lang = request_language(request)
    if not await run_in_threadpool(counted):
        return _subscribe_page(request, lang, status_code=429, throttled=True)
    try:
        form = await read_form(request)
    except _TooLarge:
        return Response(status_code=413)
    if not csrf.check(request, _secret(request), _str(form.get(csrf.FIELD))):
        return _forbidden(request)
    email, name = _str(form.get("email")).strip(), _str(form.get("name")).strip()
    chosen = _str(form.get("language")) or lang
    if chosen in settings.i18n.languages:
        lang = chosen
    again = {"form_email": email, "form_name": name}
    if form.get("consent") != "yes":
        return _subscribe_page(request, lang, status_code=400, error="consent", **again)

    def work() -> tuple[Any, str | None]:
        with store.session() as s:
            return consent.subscribe(s, settings, email, name, lang, source="web:/subscribe")

    try:
        subscriber, token = await run_in_threadpool(work)
    except AudienceError:
        return _subscribe_page(request, lang, status_code=400, error="email", **again)
    if subscriber is not None and token is not None:
        try:
            await send_confirmation(settings, subscriber, token)
        except OutreachError as exc:  # the person sees the same page; staff see the log
            log.error("confirmation email not sent (subscriber %s): %s", subscriber.id, exc)
    return _subscribe_page(request, lang, sent=True)


def _confirm_response(
    request: Request, lang: str, *, status_code: int = 200, **context: Any
) -> Response:
    values: dict[str, Any] = {
        "done": False,
        "refused": False,
        "preferences_url": "",
        "language_label": "",
    }
    values.update(context)
    return render(
        request,
        "web/public/confirm.html.j2",
        lang,
        status_code=status_code,
        headers=NO_STORE,
        **values,
    )


@router.get("/confirm/{token}", response_class=HTMLResponse)
@router.get("/c/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_page(request: Request, token: str) -> Response:
    """A button that confirms (a GET changes nothing: mail scanners open links)."""
    try:
        sid, row = await run_in_threadpool(_lookup, request, "confirm", token)
    except TokenError:
        return _invalid(request)
    lang = request_language(request, row.language if row else None)
    if row is None:
        return _confirm_response(request, lang, status_code=410, refused=True)
    if row.state == "confirmed":
        return _confirmed(request, sid, row.language, lang)
    if row.state != "pending":
        return _confirm_response(request, lang, status_code=410, refused=True)
    return _confirm_response(request, lang)


@router.post("/confirm/{token}", response_class=HTMLResponse)
@router.post("/c/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_post(request: Request, token: str) -> Response:
    """Confirm the subscription and log the consent (when, how, from which page); idempotent."""
    settings = _settings(request)
    page = "web:" + request.url.path.split("/", 2)[1]

    def work() -> Any:
        with _store(request).session() as s:
            return consent.confirm(s, settings, token, source=page)

    try:
        subscriber = await run_in_threadpool(work)
    except TokenError:
        return _invalid(request)
    except AudienceError:
        return _confirm_response(request, request_language(request), status_code=410, refused=True)
    return _confirmed(request, subscriber.id, subscriber.language, None)


def _confirmed(request: Request, sid: int, sub_lang: str, lang: str | None) -> Response:
    page_lang = lang or request_language(request, sub_lang)
    prefs = f"/p/{make_token(_secret(request), 'preferences', sid)}"
    return _confirm_response(
        request,
        page_lang,
        done=True,
        preferences_url=prefs,
        language_label=language_name(sub_lang, page_lang),
    )


# ----------------------------------------------------------------------------------- archive

# Archive pages carry their own inline styles and the editions' images, so their CSP allows
# those (still no script, no form).
ARCHIVE_CSP = csp_with(
    style_src="'self' 'unsafe-inline'", img_src="'self' data: https:", form_action="'none'"
)
_ARCHIVE_HEADERS = {"content-security-policy": ARCHIVE_CSP, "cache-control": "public, max-age=300"}
_MAX_ARCHIVE_PATH = 512


def _archive_answer(files: PublishedFiles, path: str) -> tuple[str, bytes | str | None]:
    """What ``/archive/<path>`` is in the published files: ("file", bytes), ("folder", the path
    with its slash), or ("missing", None). A path leaving the archive is missing."""
    if len(path) > _MAX_ARCHIVE_PATH or "\x00" in path or "\\" in path:
        return "missing", None
    target = f"{ARCHIVE}/{path}"
    if path == "" or path.endswith("/"):
        target += "index.html"
    try:
        if files.exists(target):
            return "file", files.read_bytes(target)
        if path and not path.endswith("/") and files.exists(f"{ARCHIVE}/{path}/index.html"):
            return "folder", f"/archive/{path}/"
    except (StorageError, FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass  # not a path inside the published files (``..``, empty parts), or gone meanwhile
    return "missing", None


def mount_archive(app: FastAPI, settings: Settings) -> None:
    """Serve the published archive (``archive/`` under ``publish.url``, through
    :class:`~hrc_outreach.storage.PublishedFiles`) under ``/archive/``: what every publishing
    machine wrote, read at each request; a page that says so while nothing is published."""
    files = published_files(settings)

    @app.api_route("/archive", methods=["GET", "HEAD"], include_in_schema=False)
    async def archive_bare() -> Response:
        return RedirectResponse("/archive/", status_code=308)  # its links are relative

    @app.api_route("/archive/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def archive_file(request: Request, path: str) -> Response:
        try:
            kind, found = await run_in_threadpool(_archive_answer, files, path)
        except OSError as exc:  # the store is unreachable: say so, do not pretend it is empty
            log.error("archive: could not read %s: %s", files.location(ARCHIVE), exc)
            return PlainTextResponse("archive unavailable, try again later", status_code=503)
        if kind == "folder":
            return RedirectResponse(str(found), status_code=308)
        if (kind == "missing" or not isinstance(found, bytes)) and path == "":
            lang = request_language(request)
            return render(request, "web/public/archive_missing.html.j2", lang, status_code=404)
        if kind == "missing" or not isinstance(found, bytes):
            return PlainTextResponse("Not Found", status_code=404)
        name = path.rsplit("/", 1)[-1] if path and not path.endswith("/") else "index.html"
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media.startswith("text/") or media.endswith("+xml"):
            media += "; charset=utf-8"
        return Response(found, media_type=media, headers=_ARCHIVE_HEADERS)


# ----------------------------------------------------------------------------------- helpers


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
