"""Email addresses: one normal form, and the hash that suppressions and erasures keep.

The whole address is lower-cased. RFC 5321 lets a server treat the local part case-sensitively, but
no mainstream mailbox provider does, and a list holding ``Ana@x.org`` and ``ana@x.org`` as two people
would mail one person twice and could not honour an unsubscribe reliably. The hash itself
(:func:`email_hash`) lives in ``models``, so the store's schema uses it without importing audience.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from hrc_outreach.errors import AudienceError
from hrc_outreach.models import email_hash, hash_normalised, quick_normal_form


def normalise_email(email: str, *, sendable: bool = True) -> str:
    """The address checked for syntax (no DNS) and in its normal form; AudienceError if invalid.

    The part before the @ must be ASCII (see below); the domain may be internationalised.
    ``sendable=False`` accepts a non-ASCII part too, for an address we only suppress (by hash).

    >>> normalise_email("  Ana.Silva@Example.ORG ")
    'ana.silva@example.org'
    """
    raw = email.strip()
    local = raw.rpartition("@")[0]
    if sendable and not local.isascii():
        # Only SMTPUTF8 can carry such a mailbox, and the providers we send through do not offer
        # it per message; sent without it, the address would go out as an invalid encoded-word.
        odd = ", ".join(dict.fromkeys(repr(c) for c in local if not c.isascii()))
        raise AudienceError(
            f"email address {raw!r} has non-ASCII characters before the @ ({odd}): it cannot be "
            "delivered without SMTPUTF8, which our providers do not support; refused — ask the "
            "person for an address with only ASCII letters before the @"
        )
    try:
        checked = validate_email(raw, check_deliverability=False, allow_smtputf8=not sendable)
    except EmailNotValidError as exc:
        raise AudienceError(f"invalid email address {raw!r}: {exc}") from exc
    return checked.normalized.lower()


# one implementation, in models, so the store's schema can hash addresses without importing audience
__all__ = ["email_hash", "hash_normalised", "normalise_email", "quick_normal_form"]
