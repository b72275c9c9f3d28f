"""Provider webhook payloads -> suppression events (processing only; the web app exposes them).

Hard bounces, spam complaints and unsubscribes suppress an address; soft bounces, blocks and
deferrals do not.

>>> parse_webhook("brevo", b'{"event": "hard_bounce", "email": "a@example.org", "ts": 0}')[0].reason
<SuppressionReason.HARD_BOUNCE: 'bounced'>
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from hrc_outreach.deliver.base import SuppressionEvent
from hrc_outreach.errors import ProviderError

log = logging.getLogger(__name__)


@cache
def parsers() -> dict[str, Callable[[Any], list[SuppressionEvent]]]:
    """Each provider's webhook parser by name (imported on first use: a web app calls this when
    it starts, so the first delivery does not pay for the imports)."""
    from hrc_outreach.deliver.providers import brevo, postmark, sendgrid

    return {
        "brevo": brevo.parse_webhook,
        "sendgrid": sendgrid.parse_webhook,
        "postmark": postmark.parse_webhook,
    }


def parse_webhook(
    provider_name: str, payload: bytes | str | dict[str, Any] | list[Any]
) -> list[SuppressionEvent]:
    """The suppressions in one webhook delivery from ``provider_name``."""
    known = parsers()
    if provider_name not in known:
        raise ProviderError(
            f"no webhook parser for provider {provider_name!r}; known: {', '.join(known)}",
            provider=provider_name,
        )
    data: Any = payload
    if isinstance(payload, bytes | str):
        try:
            data = json.loads(payload)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProviderError(
                f"{provider_name} webhook: the body is not JSON ({exc})", provider=provider_name
            ) from exc
    parse = known[provider_name]
    if not isinstance(data, list):
        return _one(provider_name, parse, data)
    # a batch (SendGrid): a malformed event is logged and skipped, the valid ones are kept
    out: list[SuppressionEvent] = []
    for i, event in enumerate(data):
        try:
            out += _one(provider_name, parse, event)
        except ProviderError as exc:
            log.warning("event %d skipped: %s", i, exc)
    return out


def _one(
    provider_name: str, parse: Callable[[Any], list[SuppressionEvent]], event: Any
) -> list[SuppressionEvent]:
    try:
        return parse(event)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError(
            f"{provider_name} webhook: unexpected event format ({type(exc).__name__}: {exc})",
            provider=provider_name,
        ) from exc
