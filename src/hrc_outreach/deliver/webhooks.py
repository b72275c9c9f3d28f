"""Provider webhook payloads -> suppression events (processing only; the web app exposes them).

Hard bounces, spam complaints and unsubscribes suppress an address; soft bounces, blocks and
deferrals do not.

>>> parse_webhook("brevo", b'{"event": "hard_bounce", "email": "a@example.org", "ts": 0}')[0].reason
<SuppressionReason.HARD_BOUNCE: 'bounced'>
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hrc_outreach.deliver.base import SuppressionEvent
from hrc_outreach.errors import ProviderError


def _parsers() -> dict[str, Callable[[Any], list[SuppressionEvent]]]:
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
    parsers = _parsers()
    if provider_name not in parsers:
        raise ProviderError(
            f"no webhook parser for provider {provider_name!r}; known: {', '.join(parsers)}",
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
    try:
        return parsers[provider_name](data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError(
            f"{provider_name} webhook: unexpected event format ({type(exc).__name__}: {exc})",
            provider=provider_name,
        ) from exc
