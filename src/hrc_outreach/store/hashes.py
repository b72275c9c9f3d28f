"""The key of the address hash, bound to the store that keeps the hashes.

A store records the fingerprint of the key its hashes were made with (``store_meta``): a process
with another key (a changed ``HRC_TOKEN_SECRET`` or ``HRC_EMAIL_HASH_KEY``) would no longer
recognise a single suppression and would mail people who unsubscribed or were erased, so it is
refused when it first hashes an address. A store from before keyed hashes (plain sha256 hex) is
converted once, in one transaction, row by row without the addresses (see ``models``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from hrc_outreach.errors import ConfigError
from hrc_outreach.models import KEYED_HASH_PREFIX, rekey_legacy_hash, use_email_hash_key
from hrc_outreach.store.tables import (
    ConsentEventRow,
    SendRecipientRow,
    StoreMetaRow,
    SubscriberRow,
    SuppressionRow,
)

log = logging.getLogger(__name__)
FINGERPRINT_KEY = "email_hash_key"
_HASHED = (
    (SubscriberRow.__table__, "email_hash"),
    (SuppressionRow.__table__, "email_hash"),
    (ConsentEventRow.__table__, "email_hash"),
)


def fingerprint(key: bytes) -> str:
    """Names the key without revealing it."""
    return "hmac-sha256:" + hmac.new(key, b"fingerprint", hashlib.sha256).hexdigest()[:32]


def _refusing(exc: ConfigError) -> Callable[[], bytes]:
    def refuse() -> bytes:
        raise exc

    return refuse


def bind_email_hash_key(session: Session, key_of: Callable[[], bytes], where: str) -> int:
    """Key the address hash for this store: the key from ``key_of`` (ConfigError: raised when an
    address is first hashed, so commands that hash none still run), checked against the store's
    fingerprint (recorded on first use); legacy hashes converted. The number of rows converted."""
    try:
        key = key_of()
    except ConfigError as exc:
        use_email_hash_key(_refusing(exc))
        return 0
    mark = fingerprint(key)
    recorded = session.get(StoreMetaRow, FINGERPRINT_KEY)
    if recorded is not None and recorded.value != mark:
        use_email_hash_key(
            _refusing(
                ConfigError(
                    f"the store at {where} keeps address hashes made with another key "
                    f"({recorded.value}, this process has {mark}): HRC_TOKEN_SECRET or "
                    "HRC_EMAIL_HASH_KEY changed, and with it no suppression or erasure would be "
                    "recognised; restore the old secret (set HRC_EMAIL_HASH_KEY to keep it apart "
                    "from a rotated token secret)"
                )
            )
        )
        return 0
    use_email_hash_key(key)
    if recorded is not None:
        return 0
    session.add(StoreMetaRow(key=FINGERPRINT_KEY, value=mark))
    session.flush()  # a concurrent first open fails here (primary key) and converts nothing
    converted = convert_legacy_hashes(session)
    if converted:
        log.warning(
            "converted %d plain sha256 address hashes to keyed ones in %s", converted, where
        )
    return converted


def convert_legacy_hashes(session: Session) -> int:
    """Replace every plain sha256 address hash by its keyed form; the number of rows changed."""
    changed = 0
    for table, name in _HASHED:
        column = table.c[name]
        changed += _rekey(session, table, column, ~column.startswith(KEYED_HASH_PREFIX))
    recipients = SendRecipientRow.__table__
    email = recipients.c.email  # an erased person's send records hold their hash instead
    changed += _rekey(session, recipients, email, ~email.contains("@") & (func.length(email) == 64))
    return changed


def _rekey(session: Session, table: Any, column: Any, legacy: Any) -> int:
    olds = list(session.scalars(select(column).where(legacy).distinct()))
    if not olds:
        return 0
    statement = (
        update(table).where(column == bindparam("old")).values({column.key: bindparam("new")})
    )
    result = session.execute(statement, [{"old": o, "new": rekey_legacy_hash(o)} for o in olds])
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
