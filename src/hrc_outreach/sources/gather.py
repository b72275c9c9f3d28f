"""Gathering: every enabled source, concurrently (bounded), each on its own, into the store.

One source failing never stops the others: its report says which source and why. HTTP validators
(ETag / Last-Modified) are kept per source in ``source_state``, so an unchanged feed costs a 304.

>>> report = gather_sync(load_settings(), open_store(settings))  # doctest: +SKIP
>>> report.ok, report.new  # doctest: +SKIP
(True, 17)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import OutreachError, SourceError
from hrc_outreach.i18n.detect import detect_language
from hrc_outreach.models import ContentItem, GatherReport, GatherStatus, SourceReport
from hrc_outreach.sources.base import Document, GatherContext, Source, SourceOutput
from hrc_outreach.sources.fetch import Deadline, FetchStats, HttpReader, Validators
from hrc_outreach.sources.registry import options_for, source_for
from hrc_outreach.sources.sanitize import html_to_text
from hrc_outreach.store.db import Store
from hrc_outreach.store.items import Upsert, upsert_items, withdraw_items
from hrc_outreach.store.tables import ItemRow, SourceDocumentRow, SourceStateRow

log = logging.getLogger(__name__)
# Writes to the store are serialised within a process: SQLite refuses a write whose read snapshot
# went stale (SQLITE_BUSY_SNAPSHOT) instead of waiting, and Prefect runs tasks in threads.
_WRITES = threading.Lock()
# The reader's own timer names the URL that was late; this one, a moment later, bounds the rest.
_DEADLINE_GRACE_SECONDS = 1.0


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The shared HTTP client for a run (the caller closes it)."""
    n = max(1, settings.fetch.concurrency)
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.fetch.timeout_seconds),
        limits=httpx.Limits(max_connections=n * 2, max_keepalive_connections=n),
        headers={"User-Agent": settings.fetch.user_agent},
    )


def sources_to_gather(settings: Settings, only: str | None = None) -> list[SourceConfig]:
    """The enabled sources, or the one named ``only`` (ConfigError when there is none)."""
    if only is not None:
        return [settings.source(only)]
    return [s for s in settings.sources if s.enabled]


def load_validators(store: Store, name: str) -> Validators:
    with store.session() as s:
        row = s.get(SourceStateRow, name)
        return Validators(row.etag, row.last_modified) if row else Validators()


def _detect_languages(items: Sequence[ContentItem], settings: Settings) -> list[ContentItem]:
    """Items whose language is "unknown" get one detected from their text (when confident)."""
    if not any(i.language == "unknown" for i in items):
        return list(items)
    out = []
    for item in items:
        if item.language == "unknown":
            text = f"{item.title}\n\n{html_to_text(item.summary or item.body)}"
            lang = detect_language(text, settings.i18n.languages, settings.i18n.detect_threshold)
            if lang and lang != item.language:
                item = item.model_copy(update={"language": lang})
        out.append(item)
    return out


def _save_state(
    s: Session, name: str, now: datetime, *, validators: Validators | None, error: str | None
) -> None:
    row = s.get(SourceStateRow, name)
    if row is None:
        row = SourceStateRow(name=name)
        s.add(row)
    row.fetched_at = now
    row.status = GatherStatus.ERROR.value if error else GatherStatus.OK.value
    row.error = error
    if validators is not None:
        row.etag = validators.etag
        row.last_modified = validators.last_modified


class _Replaying:
    """A Reader that hands over the last document read in full when the server answers 304, for
    sources whose output moves with the clock (``keeps_document``): a static calendar still
    yields the occurrences its window has moved onto."""

    def __init__(self, reader: HttpReader, last: Document | None) -> None:
        self.reader, self.last = reader, last
        self.replayed = False
        self.read_in_full: Document | None = None

    async def read(self, config: SourceConfig) -> Document | None:
        doc = await self.reader.read(config)
        if doc is None:
            self.replayed = self.last is not None
            return self.last
        self.read_in_full = doc
        return doc

    async def get_json(
        self, url: str, params: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, str]]:
        return await self.reader.get_json(url, params)


def _load_known(store: Store, name: str, keeps: bool) -> tuple[Validators, Document | None]:
    """The source's validators, and its last document when its kind keeps one. Validators without
    a kept document are dropped: a 304 would leave nothing to re-read."""
    validators = load_validators(store, name)
    if not keeps:
        return validators, None
    with store.session() as s:
        row = s.get(SourceDocumentRow, name)
        if row is None:
            return Validators(), None
        return validators, Document(row.content, row.base_url, row.content_type)


def _keep_document(s: Session, name: str, doc: Document, now: datetime) -> None:
    row = s.get(SourceDocumentRow, name)
    if row is None:
        row = SourceDocumentRow(name=name)
        s.add(row)
    row.content, row.base_url, row.content_type = doc.content, doc.base_url, doc.content_type
    row.fetched_at = now


def _withdraw(s: Session, name: str, output: SourceOutput, now: datetime) -> int:
    """Items the source reports cancelled, or no longer has where it showed itself whole."""
    if output.snapshot is None and not output.cancelled:
        return 0
    return withdraw_items(
        s,
        name,
        present={i.source_key for i in output.items},
        cancelled=output.cancelled,
        covers=output.snapshot.covers if output.snapshot is not None else None,
        now=now,
    )


def _store_output(
    store: Store,
    config: SourceConfig,
    output: SourceOutput,
    reader: HttpReader,
    now: datetime,
    document: Document | None = None,
) -> SourceReport:
    """Items, withdrawals and the source's new validators in one transaction: a 304 never hides
    lost items."""
    with _WRITES, store.session() as s:
        if output.not_modified and not output.items and output.snapshot is None:
            unchanged = s.scalar(
                select(func.count()).select_from(ItemRow).where(ItemRow.source == config.name)
            )
            _save_state(s, config.name, now, validators=None, error=None)
            return SourceReport(
                name=config.name,
                kind=config.kind.value,
                status=GatherStatus.OK,
                unchanged=unchanged or 0,
                not_modified=True,
                warnings=output.warnings,
            )
        # One SELECT puts the stored versions in the session, so the upsert's lookups cost no
        # query; without autoflush the new rows go in as one batch.
        ids = list({i.id for i in output.items})
        for chunk in range(0, len(ids), 500):
            list(s.scalars(select(ItemRow).where(ItemRow.id.in_(ids[chunk : chunk + 500]))))
        with s.no_autoflush:
            counts = upsert_items(s, output.items)
        withdrawn = _withdraw(s, config.name, output, now)
        if document is not None:
            _keep_document(s, config.name, document, now)
        _save_state(s, config.name, now, validators=reader.fetched.get(config.name), error=None)
    return SourceReport(
        name=config.name,
        kind=config.kind.value,
        status=GatherStatus.OK,
        new=counts[Upsert.NEW],
        updated=counts[Upsert.UPDATED],
        unchanged=counts[Upsert.UNCHANGED],
        withdrawn=withdrawn,
        not_modified=output.not_modified,
        warnings=output.warnings,
    )


def _save_error(store: Store, name: str, now: datetime, message: str) -> None:
    with _WRITES, store.session() as s:
        _save_state(s, name, now, validators=None, error=message)


@contextlib.asynccontextmanager
async def _slot(limit: asyncio.Semaphore | None, run_deadline: Deadline | None) -> AsyncIterator[None]:
    """One of the ``fetch.concurrency`` slots, waited for no later than the run's deadline."""
    if limit is None:
        yield
        return
    try:
        async with asyncio.timeout_at(run_deadline.at if run_deadline else None):
            await limit.acquire()
    except TimeoutError:
        assert run_deadline is not None
        raise SourceError(
            f"not started: the {run_deadline.describe()} passed while it waited for other sources",
            retryable=True,
        ) from None
    try:
        yield
    finally:
        limit.release()


async def _collect_within(
    source: Source, config: SourceConfig, ctx: GatherContext, deadline: Deadline
) -> SourceOutput:
    """The source's output, or SourceError once its deadline has passed.

    The reader keeps the same deadline for its requests and names the URL; this timer, a moment
    later, also bounds what is not a request (parsing, reading files, pagination between pages).
    """
    timer = asyncio.timeout_at(deadline.at + _DEADLINE_GRACE_SECONDS)
    try:
        async with timer:
            return await source.collect(config, ctx)
    except TimeoutError:
        if not timer.expired():
            raise
        raise SourceError(f"took longer than the {deadline.describe()}", retryable=True) from None


def _error_message(config: SourceConfig, exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        if not exc.source:
            exc.source = config.name
        return str(exc)
    if isinstance(exc, OutreachError):
        return f"source {config.name!r}: {exc}"
    # A bug or a library surprise: still one source's error, never the end of the run.
    return f"source {config.name!r}: unexpected {type(exc).__name__}: {exc}"


async def gather_one(
    config: SourceConfig,
    settings: Settings,
    store: Store,
    client: httpx.AsyncClient,
    now: datetime | None = None,
    *,
    stats: FetchStats | None = None,
    limit: asyncio.Semaphore | None = None,
    run_deadline: Deadline | None = None,
) -> SourceReport:
    """Gather one source into the store; never raises for the source's own faults.

    ``limit`` bounds the sources reading at once; it is held while reading and parsing only, so
    a slow store never holds up the network. Reading and parsing end by
    ``fetch.source_deadline_seconds`` after the source got its slot, or by ``run_deadline``.
    """
    now = now or datetime.now(UTC)
    try:
        # The store's work runs in a thread so the other sources' fetches go on meanwhile.
        source = source_for(config.kind)
        options_for(config)  # a typo in the source's keys: this source's ConfigError, not a crash
        # (a file is read whole every time: only a URL can answer 304)
        keeps = bool(getattr(source, "keeps_document", False)) and config.url is not None
        known, last = await asyncio.to_thread(_load_known, store, config.name, keeps)
        async with _slot(limit, run_deadline):
            deadline = _source_deadline(settings, run_deadline)
            reader = HttpReader(
                client,
                settings,
                validators={config.name: known},
                source=config.name,
                stats=stats,
                deadline=deadline,
            )
            replay = _Replaying(reader, last)
            ctx = GatherContext(settings=settings, reader=replay if keeps else reader, now=now)
            output = await _collect_within(source, config, ctx, deadline)
        items = await asyncio.to_thread(_detect_languages, output.items, settings)
        output = dataclasses.replace(
            output, items=tuple(items), not_modified=output.not_modified or replay.replayed
        )
        document = replay.read_in_full if keeps else None
        report = await asyncio.to_thread(
            _store_output, store, config, output, reader, now, document
        )
    except Exception as exc:
        return await _failed(config, store, now, exc)
    for warning in report.warnings:
        log.warning("gather: source %r: %s", config.name, warning)
    return report


def _source_deadline(settings: Settings, run_deadline: Deadline | None) -> Deadline:
    """When this source's reading and parsing end: its own deadline, or the run's if sooner."""
    deadline = Deadline.after(settings.fetch.source_deadline_seconds, "source_deadline_seconds")
    if run_deadline is not None and run_deadline.at < deadline.at:
        return run_deadline
    return deadline


async def _failed(
    config: SourceConfig, store: Store, now: datetime, exc: Exception
) -> SourceReport:
    """The error report of a source that failed, its error recorded in the store if it can be."""
    message = _error_message(config, exc)
    log.warning("gather: %s", message)
    try:
        await asyncio.to_thread(_save_error, store, config.name, now, message)
    except Exception as store_exc:  # the store itself is down: the report still says why
        log.error("gather: cannot record the error of %s: %s", config.name, store_exc)
    retryable = isinstance(exc, SourceError) and exc.retryable
    return SourceReport(
        name=config.name,
        kind=config.kind.value,
        status=GatherStatus.ERROR,
        error=message,
        retryable=retryable,
    )


async def gather(
    settings: Settings,
    store: Store,
    *,
    only: str | None = None,
    client: httpx.AsyncClient | None = None,
    now: datetime | None = None,
    stats: FetchStats | None = None,
) -> GatherReport:
    """Gather every enabled source (or the one named ``only``) concurrently into ``store``."""
    configs = sources_to_gather(settings, only)
    now = now or datetime.now(UTC)
    own = client is None
    http = client or make_client(settings)
    limit = asyncio.Semaphore(max(1, settings.fetch.concurrency))
    run_deadline = Deadline.after(settings.fetch.run_deadline_seconds, "run_deadline_seconds")

    try:
        reports = await asyncio.gather(
            *(
                gather_one(
                    c, settings, store, http, now, stats=stats, limit=limit, run_deadline=run_deadline
                )
                for c in configs
            )
        )
    finally:
        if own:
            await http.aclose()
    return GatherReport(sources=tuple(reports))


def gather_sync(
    settings: Settings,
    store: Store,
    *,
    only: str | None = None,
    client: httpx.AsyncClient | None = None,
    now: datetime | None = None,
) -> GatherReport:
    """:func:`gather` for code that is not async (the CLI)."""
    return asyncio.run(gather(settings, store, only=only, client=client, now=now))


def report_as_dict(report: GatherReport) -> dict[str, object]:
    """The JSON shape ``hrc-outreach gather --json`` prints."""
    return {
        "sources": [
            {
                "name": s.name,
                "kind": s.kind,
                "status": s.status.value,
                "new": s.new,
                "updated": s.updated,
                "unchanged": s.unchanged,
                "error": s.error,
            }
            for s in report.sources
        ],
        "new": report.new,
        "updated": report.updated,
    }
