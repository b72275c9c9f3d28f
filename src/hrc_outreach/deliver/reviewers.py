"""Telling reviewers that an edition waits for them: an email through the configured provider when
a monthly run starts waiting, and a reminder a day before the wait times out.

Each notice is claimed in the store before it is sent (``store.notices``), so a replayed run, two
daily runs at once or a crash after sending never mail it twice. The reminder needs no process
that waited a day: the waiting notice records the wait (edition, run, round, deadline, subjects,
coverage), and the daily flow calls :func:`remind_reviewers`, which reminds about every wait that
is still the edition's and ends within a day.
"""

from __future__ import annotations

import asyncio
import html
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hrc_outreach.config import Settings
from hrc_outreach.models import Batch, Recipient, RenderedMessage
from hrc_outreach.store import Store, open_store
from hrc_outreach.store.notices import claim_notice, notices, settle_notice
from hrc_outreach.store.tables import EditionRow

log = logging.getLogger(__name__)
WAITING, REMINDER = "review-waiting", "review-reminder"
REMIND_BEFORE = timedelta(days=1)


@dataclass(frozen=True)
class Wait:
    """One wait for a decision: what reviewers are told about it."""

    key: str
    run: str  # the flow run that waits
    round: int
    deadline: datetime  # when the wait times out
    subjects: dict[str, str]  # language -> subject
    coverage: dict[str, str] = field(default_factory=dict)  # language -> "human 5, machine 2"

    def as_detail(self) -> dict[str, Any]:
        return {
            "key": self.key, "run": self.run, "round": self.round,
            "deadline": self.deadline.isoformat(), "subjects": self.subjects,
            "coverage": self.coverage,
        }  # fmt: skip

    @classmethod
    def from_detail(cls, d: dict[str, Any]) -> Wait:
        return cls(
            key=d["key"], run=d["run"], round=int(d["round"]),
            deadline=datetime.fromisoformat(d["deadline"]), subjects=dict(d["subjects"]),
            coverage=dict(d.get("coverage") or {}),
        )  # fmt: skip

    def notice_key(self, kind: str) -> str:
        return f"{kind}:{self.key}:{self.run}:{self.round}"


def coverage_line(provenance: dict[str, int], untranslated: int = 0) -> str:
    """Items by how their text came to be in this language, e.g. ``human 4, machine 2``.

    >>> coverage_line({"human": 4, "machine": 2, "source": 0}, untranslated=1)
    'human 4, machine 2; 1 untranslated'
    """
    parts = ", ".join(f"{k} {v}" for k, v in sorted(provenance.items()) if v)
    extra = f"; {untranslated} untranslated" if untranslated else ""
    return (parts or "no items") + extra


def reviewer_addresses(settings: Settings, store: Store) -> list[str]:
    """``approval.notify``, or every staff account that can approve."""
    if settings.approval.notify:
        return list(dict.fromkeys(a.strip() for a in settings.approval.notify if a.strip()))
    from hrc_outreach.staff import Role, list_staff

    return [s.email for s in list_staff(store) if s.can(Role.APPROVER)]


def review_links(settings: Settings, key: str, langs: list[str]) -> dict[str, str]:
    """Absolute links to the staff previews of edition ``key``: the edition, then each language."""
    base = (settings.approval.review_base_url or settings.web.base_url).rstrip("/")
    links = {"edition": f"{base}/staff/editions/{key}"}
    links.update({lang: f"{base}/staff/editions/{key}/preview/{lang}" for lang in langs})
    return links


def review_message(settings: Settings, wait: Wait, *, reminder: bool) -> RenderedMessage:
    """The email to reviewers (plain text, and the same as simple HTML)."""
    due = f"{wait.deadline:%Y-%m-%d %H:%M} UTC"
    subject = (
        f"Reminder: edition {wait.key} still waits for approval (times out {due})"
        if reminder
        else f"Edition {wait.key} waits for your approval"
    )
    links = review_links(settings, wait.key, sorted(wait.subjects))
    lines = [
        f"Edition {wait.key} of {settings.newsletter.name} waits for a decision until {due};"
        " without one, nothing is sent.",
        "",
        f"Review it: {links['edition']}",
        "",
    ]
    for lang, subj in sorted(wait.subjects.items()):
        cov = wait.coverage.get(lang)
        lines.append(f"[{lang}] {subj}" + (f" — {cov}" if cov else ""))
        lines.append(f"    {links[lang]}")
    lines += [
        "",
        f"Approve: hrc-outreach edition approve {wait.key} --by NAME (or in the staff pages).",
    ]
    text = "\n".join(lines) + "\n"
    body = "".join(
        f'<p><a href="{html.escape(part[len("Review it: ") :])}">{html.escape(part)}</a></p>'
        if part.startswith("Review it: ")
        else f"<p>{html.escape(part)}</p>"
        for part in lines
        if part
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head><body>{body}</body></html>"
    )
    return RenderedMessage(
        edition_key=f"{REMINDER if reminder else WAITING}-{wait.key}",
        lang="en",
        subject=subject,
        preheader="",
        html=page,
        text=text,
    )


def _send(settings: Settings, message: RenderedMessage, addresses: list[str]) -> str | None:
    """Send ``message`` to each address; None, or why it (partly) failed."""
    from hrc_outreach.deliver.providers import provider_for

    async def run() -> str | None:
        prov = provider_for(settings)
        errors: list[str] = []
        try:
            # one message each; a distinct id each, so the outbox keeps one file per reviewer
            for n, address in enumerate(addresses, start=1):
                batch = Batch(
                    id=0, job_id=0, lang=message.lang, message=message,
                    recipients=(Recipient(subscriber_id=n, email=address),),
                    idempotency_key=str(uuid.uuid4()), headers={"X-HRC-Message": "review"},
                    test=False,
                )  # fmt: skip
                result = await prov.send(batch)
                if not result.accepted or result.failed:
                    errors.append(f"{address}: {result.detail or result.failed}")
        finally:
            await prov.aclose()
        return "; ".join(errors) or None

    return asyncio.run(run())


def _notify(settings: Settings, store: Store, wait: Wait, kind: str) -> bool:
    """Claim the notice, send it, record how it went; False if it was sent (or claimed) before."""
    key = wait.notice_key(kind)
    if not claim_notice(store, key, kind, wait.as_detail()):
        return False
    addresses = reviewer_addresses(settings, store)
    if not addresses:
        error: str | None = (
            "nobody to tell: set approval.notify or add a staff account with the approver role"
        )
    else:
        try:
            error = _send(
                settings, review_message(settings, wait, reminder=kind == REMINDER), addresses
            )
        except Exception as exc:  # noqa: BLE001 - a notice failing never stops the run
            error = f"{type(exc).__name__}: {exc}"
    settle_notice(store, key, sent=error is None, detail={"to": len(addresses), "error": error})
    if error:
        log.warning("edition %s: reviewers not told (%s): %s", wait.key, kind, error)
    return error is None


def notify_waiting(settings: Settings, wait: Wait) -> bool:
    """Tell reviewers that ``wait`` started (once per run and round); True if told now."""
    store = open_store(settings)
    try:
        return _notify(settings, store, wait, WAITING)
    finally:
        store.dispose()


def remind_reviewers(settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Remind reviewers about every wait that is still its edition's and times out within a day
    (once per wait: claimed in the store); the edition keys reminded now. For the daily flow."""
    now = now or datetime.now(UTC)
    store = open_store(settings)
    reminded: list[str] = []
    try:
        for notice in notices(store, f"{WAITING}:"):
            wait = Wait.from_detail(notice.detail)
            if not (wait.deadline - REMIND_BEFORE <= now < wait.deadline):
                continue
            with store.session() as s:
                row = s.get(EditionRow, wait.key)
                still = row is not None and row.waiting_flow_run == wait.run
            if still and _notify(settings, store, wait, REMINDER):
                reminded.append(wait.key)
    finally:
        store.dispose()
    return reminded
