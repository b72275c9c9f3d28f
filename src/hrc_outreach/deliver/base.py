"""The small interface the sending engine needs from an email provider.

Every provider receives the same :class:`~hrc_outreach.models.Batch`: one rendered message (with
neutral ``[[placeholder]]`` per-recipient parts) and up to ``max_recipients`` recipients whose
``params`` fill those placeholders. A provider either turns the placeholders into its own syntax
(Brevo ``params``, SendGrid substitutions) or fills them in locally (SMTP, outbox, Postmark batch).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol

from hrc_outreach.models import Batch, Frozen, SendResult


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "bounced"
    COMPLAINT = "complained"
    UNSUBSCRIBED = "unsubscribed"


class SuppressionEvent(Frozen):
    """A provider told us an address must not be mailed again."""

    email: str
    reason: SuppressionReason
    at: datetime
    provider: str
    detail: str = ""


class Provider(Protocol):
    name: ClassVar[str]
    max_recipients: ClassVar[int]  # per request (FACTS.md)
    idempotent: ClassVar[bool]  # True: an in-doubt batch may be resent with the same idempotency key

    async def send(self, batch: Batch) -> SendResult:
        """Submit one batch. Raises :class:`~hrc_outreach.errors.ProviderError` (``retryable``,
        ``retry_after``, ``in_doubt``) when the provider did not clearly accept it."""
        ...

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        """Bounces, complaints and unsubscribes the provider recorded since ``since``."""
        ...

    async def aclose(self) -> None: ...
