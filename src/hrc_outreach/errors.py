"""One small hierarchy of errors; every message says what was wrong, where, and what to do."""

from __future__ import annotations


class OutreachError(Exception):
    """Base of every error hrc-outreach raises on purpose."""


class ConfigError(OutreachError):
    """The configuration file or an HRC_* variable is missing or wrong."""


class StoreError(OutreachError):
    """The database could not be opened, migrated or written."""


class SourceError(OutreachError):
    """A source could not be fetched or parsed.

    `source` names the configured source; `retryable` is true for network faults and 5xx/429.
    """

    def __init__(self, message: str, *, source: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.source = source
        self.retryable = retryable

    def __str__(self) -> str:
        msg = super().__str__()
        return f"source {self.source!r}: {msg}" if self.source else msg


class CurateError(OutreachError):
    """An edition could not be planned (bad pins file, empty edition, ...)."""


class EmptyEditionError(CurateError):
    """An edition has no items: it is reported, never sent."""


class TranslationError(OutreachError):
    """A translator failed. `retryable` for 429/5xx; `fatal` (e.g. DeepL 456 quota) stops the engine."""

    def __init__(self, message: str, *, retryable: bool = False, fatal: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.fatal = fatal


class CatalogError(OutreachError):
    """A gettext catalog or a PO file is incomplete or malformed."""


class RenderError(OutreachError):
    """A template or MJML document failed to render."""


class AudienceError(OutreachError):
    """A subscriber operation was refused (bad address, bad token, erased person, ...)."""


class TokenError(AudienceError):
    """A signed link token is forged, truncated, expired or for another purpose."""


class ProviderError(OutreachError):
    """An email provider refused or failed a request.

    `retryable` is true for 429/5xx/network faults; `retry_after` is the provider's hint in seconds;
    `in_doubt` is true when the request may have reached the provider (timeout after sending).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.in_doubt = in_doubt


class ApprovalError(OutreachError):
    """An edition is not approved, or changed since it was approved."""


class DeliveryError(OutreachError):
    """A send job cannot go on as asked (content changed since planning, another provider's job...)."""
