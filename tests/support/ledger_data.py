"""Test data for the send ledger: subscribers inserted in bulk, an edition's rendered messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from hrc_outreach.audience.addresses import hash_normalised
from hrc_outreach.config import Settings
from hrc_outreach.models import RenderedMessage
from hrc_outreach.render.output import save_drafts
from hrc_outreach.store import Store
from hrc_outreach.store.tables import (
    BatchRow,
    EditionRow,
    SendJobRow,
    SendRecipientRow,
    SubscriberRow,
)

LANGS11 = ("en", "fr", "nl", "de", "es", "it", "pt_PT", "pl", "hu", "uk", "ar")


def message(key: str, lang: str, *, subject: str | None = None) -> RenderedMessage:
    return RenderedMessage(
        edition_key=key,
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        subject=subject or f"The Human Rights Readers {key} ({lang})",
        preheader="Good practices of human rights cities",
        html=f"<html lang='{lang}'><body><p>Hello [[name]]</p>"
        f"<a href='[[unsubscribe_url]]'>unsubscribe</a></body></html>",
        text=f"Hello [[name]] ({lang})\nUnsubscribe: [[unsubscribe_url]]\n",
    )


def messages(key: str, langs: Sequence[str] = ("en", "fr")) -> dict[str, RenderedMessage]:
    return {lang: message(key, lang) for lang in langs}


def approved(
    store: Store, key: str, msgs: dict[str, RenderedMessage], by: str = "Test Reviewer"
) -> dict[str, RenderedMessage]:
    """``msgs``, approved by a person exactly as they are: planning a send job requires it."""
    from hrc_outreach.approval import approve, content_hashes

    approve(store, key, msgs, by=by, shown=content_hashes(msgs))
    return msgs


def write_draft(store: Store, msgs: dict[str, RenderedMessage]) -> None:
    """``msgs`` as the edition's drafts in the store (what approval and sending read)."""
    save_drafts(store, msgs.values())


def add_edition(store: Store, key: str) -> None:
    with store.session() as s:
        s.add(
            EditionRow(
                key=key,
                title=f"Edition {key}",
                issue_number=1,
                edition_date=date(2026, 12, 1).isoformat(),
            )
        )


def email_of(i: int) -> str:
    return f"reader{i:06d}@example.org"


def add_subscribers(
    store: Store,
    n: int,
    langs: Sequence[str] = ("en", "fr"),
    *,
    state: str = "confirmed",
    start: int = 0,
) -> None:
    """``n`` subscribers ``reader000000@example.org``..., languages in turn, in one bulk insert."""
    now = datetime.now(UTC)
    rows = [
        {
            "email": email_of(i),
            "email_hash": hash_normalised(email_of(i)),
            "name": f"Reader {i}",
            "language": langs[i % len(langs)],
            "segments": [],
            "topics": [],
            "state": state,
            "consent_at": now,
            "consent_source": "test",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(start, start + n)
    ]
    with store.session() as s:
        for i in range(0, len(rows), 5000):
            s.execute(insert(SubscriberRow), rows[i : i + 5000])


def planned_job(
    store: Store,
    settings: Settings,
    n: int,
    provider: str,
    langs: Sequence[str] = ("en",),
    *,
    key: str = "2026-12",
    **plan: Any,
) -> tuple[int, dict[str, RenderedMessage]]:
    """``n`` confirmed subscribers reading ``langs`` in turn, the edition approved in those
    languages and its send job planned for ``provider`` (``plan``: e.g. ``max_recipients``):
    (the job's id, the approved messages)."""
    from hrc_outreach.deliver.planner import plan_job

    add_subscribers(store, n, langs)
    msgs = approved(store, key, messages(key, langs))
    return plan_job(store, settings, key, msgs, provider, **plan), msgs


def add_accepted(
    s: Session,
    key: str,
    lang: str,
    *,
    subscriber_id: int,
    email: str,
    name: str = "",
    batch_key: str = "k1",
    message_id: str | None = None,
) -> None:
    """One recipient the outbox accepted, in a one-batch send job of edition ``key``: someone's
    send history (``email`` may be the hash an erasure left)."""
    job = SendJobRow(edition_key=key, provider="outbox")
    s.add(job)
    s.flush()
    batch = BatchRow(job_id=job.id, seq=1, lang=lang, idempotency_key=batch_key, state="accepted")
    s.add(batch)
    s.flush()
    s.add(
        SendRecipientRow(
            job_id=job.id,
            batch_id=batch.id,
            subscriber_id=subscriber_id,
            email=email,
            name=name,
            lang=lang,
            state="accepted",
            message_id=message_id,
        )
    )
