"""Rendered messages, recipients and batches for the provider tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from hrc_outreach.models import Batch, Recipient, RenderedMessage

T = TypeVar("T")

HTML = (
    '<html lang="fr"><body><p>Bonjour [[name]],</p><p>Les villes des droits humains.</p>'
    '<p><a href="[[preferences_url]]">Préférences</a> · '
    '<a href="[[unsubscribe_url]]">Se désabonner</a></p></body></html>'
)
TEXT = (
    "Bonjour [[name]],\n\nLes villes des droits humains.\n\n"
    "Préférences : [[preferences_url]]\nSe désabonner : [[unsubscribe_url]]\n"
)


def message(lang: str = "fr", *, subject: str = "Nouvelles de décembre", html: str = HTML,
            text: str = TEXT) -> RenderedMessage:  # fmt: skip
    return RenderedMessage(
        edition_key="2026-12", lang=lang, subject=subject, preheader="", html=html, text=text
    )


def recipient(i: int, *, email: str | None = None, name: str | None = None) -> Recipient:
    name = f"Ana {i} & <Co>" if name is None else name
    email = email or f"reader{i}@example.org"
    return Recipient(
        subscriber_id=i,
        email=email,
        name=name,
        params={
            "name": name,
            "email": email,
            "unsubscribe_url": f"https://outreach.example.org/u/tok{i}.sig?x=1&y=2",
            "preferences_url": f"https://outreach.example.org/p/tok{i}.sig",
        },
    )


def batch(n: int = 3, *, start: int = 1, msg: RenderedMessage | None = None, test: bool = False,
          recipients: tuple[Recipient, ...] | None = None, batch_id: int = 7) -> Batch:  # fmt: skip
    return Batch(
        id=batch_id,
        job_id=3,
        lang=(msg or message()).lang,
        message=msg or message(),
        recipients=recipients or tuple(recipient(i) for i in range(start, start + n)),
        idempotency_key=f"job3-batch{batch_id}-5f0c2a",
        headers={"X-HRC-Job": "3"},
        test=test,
    )


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
