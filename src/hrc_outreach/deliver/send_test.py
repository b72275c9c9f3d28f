"""A test send: every language of a draft to one address, marked as a test, outside the ledger.

>>> send_test(settings, "2026-12", "editor@example.org", langs=["fr", "ar"])   # doctest: +SKIP
{'fr': SendResult(...), 'ar': SendResult(...)}
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable

from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import Provider
from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import Batch, Recipient, RenderedMessage, SendResult

TEST_SUBSCRIBER_ID = 0  # no subscriber: the links in a test message lead nowhere harmful


async def asend_test(
    settings: Settings,
    edition_key: str,
    to: str,
    *,
    langs: Iterable[str] | None = None,
    provider: Provider | None = None,
    messages: dict[str, RenderedMessage] | None = None,
) -> dict[str, SendResult]:
    """Send each language (or ``langs``) to ``to`` with ``[TEST]`` in the subject; the ledger is
    not touched, so the real send later still reaches everyone."""
    from hrc_outreach.audience.links import recipient_params
    from hrc_outreach.deliver.providers import provider_for
    from hrc_outreach.render.output import load_drafts
    from hrc_outreach.store import open_store

    if messages is None:
        store = open_store(settings)
        try:
            messages = load_drafts(store, edition_key)
        finally:
            store.dispose()
    wanted = list(dict.fromkeys(langs)) if langs else sorted(messages)
    missing = [lang for lang in wanted if lang not in messages]
    if missing:
        raise DeliveryError(
            f"edition {edition_key!r} has no draft in {', '.join(missing)} "
            f"(drafted: {', '.join(sorted(messages))})"
        )
    own = provider is None
    prov = provider or provider_for(settings)
    results: dict[str, SendResult] = {}
    try:
        for lang in wanted:
            recipient = Recipient(
                subscriber_id=TEST_SUBSCRIBER_ID,
                email=to,
                params=recipient_params(
                    settings, subscriber_id=TEST_SUBSCRIBER_ID, email=to, name="", lang=lang
                ),
            )
            batch = Batch(
                id=0,
                job_id=0,
                lang=lang,
                message=messages[lang],
                recipients=(recipient,),
                idempotency_key=str(uuid.uuid4()),  # a test may be sent again on purpose
                headers={"X-HRC-Edition": edition_key},
                test=True,
            )
            results[lang] = await prov.send(batch)
    finally:
        if own:
            await prov.aclose()
    return results


def send_test(
    settings: Settings,
    edition_key: str,
    to: str,
    *,
    langs: Iterable[str] | None = None,
    provider: Provider | None = None,
    messages: dict[str, RenderedMessage] | None = None,
) -> dict[str, SendResult]:
    """:func:`asend_test` for synchronous callers (the CLI)."""
    return asyncio.run(
        asend_test(settings, edition_key, to, langs=langs, provider=provider, messages=messages)
    )
