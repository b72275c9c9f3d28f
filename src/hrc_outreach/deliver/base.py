"""The small interface the sending engine needs from an email provider.

Every provider receives the same :class:`~hrc_outreach.models.Batch`: one rendered message (with
neutral ``[[placeholder]]`` per-recipient parts) and up to ``max_recipients`` recipients whose
``params`` fill those placeholders. A provider either turns the placeholders into its own syntax
(Brevo ``params``, SendGrid substitutions) or fills them in locally (SMTP, outbox, Postmark batch).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol

from hrc_outreach.models import Batch, SendResult, SuppressionEvent, SuppressionReason

__all__ = ["Provider", "SuppressionEvent", "SuppressionReason"]  # the values live in models


class Provider(Protocol):
    """What the send ledger needs of a provider.

    A provider declares its own idempotency: ``idempotent`` with the window
    ``idempotency_window_seconds`` during which it drops a repeated key (Brevo: 15-30 min), or
    none (SendGrid, Postmark, SMTP). Its errors say which answers are safe to retry
    (``ProviderError.retryable`` without ``in_doubt``); an in-doubt answer is resent only within
    the key window, otherwise it is looked up (:meth:`lookup`) or left to a person.
    """

    name: ClassVar[str]
    max_recipients: ClassVar[int]  # per request (FACTS.md)
    idempotent: ClassVar[
        bool
    ]  # True: an in-doubt batch may be resent with the same idempotency key
    idempotency_window_seconds: ClassVar[float]  # how long a key is remembered (0: no keys)

    async def send(self, batch: Batch) -> SendResult:
        """Submit one batch. Raises :class:`~hrc_outreach.errors.ProviderError` (``retryable``,
        ``retry_after``, ``in_doubt``) when the provider did not clearly accept it; a batch it took
        in part comes back with per-recipient outcomes (``failed``, ``in_doubt``, ``not_sent``)."""
        ...

    async def lookup(self, batch: Batch) -> dict[int, str] | None:
        """Subscriber id -> message id of what the provider's own log shows it accepted of a batch
        (matched by the metadata we sent); None when the provider offers no such look-up."""
        ...

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        """Bounces, complaints and unsubscribes the provider recorded since ``since``."""
        ...

    async def aclose(self) -> None: ...
