"""Staff accounts for the web pages: Argon2 passwords, sessions and sign-in throttling in the store.

Nothing that matters lives in process memory, so several web workers (and hosts) share sessions
and throttling counters through the store. A session cookie holds a random token; the store keeps
only its sha256, the account and the session's CSRF token.

>>> add_staff(store, "ana@example.org", name="Ana", role="approver", password="...")  # doctest: +SKIP
>>> staff = authenticate(store, "ana@example.org", "...", client="127.0.0.1")       # doctest: +SKIP
>>> token, csrf = open_session(store, staff)                                        # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select

from hrc_outreach.errors import OutreachError
from hrc_outreach.store import Store
from hrc_outreach.store.tables import StaffLoginFailureRow, StaffRow, StaffSessionRow

SESSION_HOURS = 12
# Sign-in throttling: failures counted over a sliding window, per account and per client address.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_CLIENT = 20
MIN_PASSWORD = 10

_hasher = PasswordHasher()
# Verified against when the address is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class StaffError(OutreachError):
    """A staff account could not be added, found or signed in."""


class ThrottledError(StaffError):
    """Too many failed sign-ins lately; ``retry_after`` seconds until the next try may succeed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Role(StrEnum):
    EDITOR = "editor"  # preview, fix translations, drop items, send tests
    APPROVER = "approver"  # ... and approve, reject, resolve deliveries
    ADMIN = "admin"  # ... and manage subscribers and staff


_RANK = {Role.EDITOR: 1, Role.APPROVER: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class Staff:
    """A signed-in (or listed) staff member."""

    id: int
    email: str
    name: str
    role: Role

    def can(self, needed: Role) -> bool:
        """Whether this member's role includes ``needed`` (admin > approver > editor)."""
        return _RANK[self.role] >= _RANK[needed]


def _now() -> datetime:
    return datetime.now(UTC)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normal_email(email: str) -> str:
    """The address as accounts are keyed: trimmed and lower-cased."""
    return email.strip().lower()


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise StaffError(
            f"unknown role {value!r}; one of {', '.join(r.value for r in Role)}"
        ) from None


def _staff(row: StaffRow) -> Staff:
    return Staff(id=row.id, email=row.email, name=row.name, role=Role(row.role))


def add_staff(store: Store, email: str, *, name: str, role: str, password: str) -> Staff:
    """Add a staff account, or update the name, role and password of an existing one."""
    address = normal_email(email)
    if "@" not in address or any(c.isspace() for c in address) or len(address) > 320:
        raise StaffError(f"{email!r} is not an email address")
    if not name.strip():
        raise StaffError(f"a name is required for {address}: it is recorded with decisions")
    level = parse_role(role)
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")
    hashed = _hasher.hash(password)
    with store.session() as s:
        row = s.scalars(select(StaffRow).where(StaffRow.email == address)).first()
        if row is None:
            row = StaffRow(email=address, name=name.strip(), role=level.value, password_hash=hashed)
            s.add(row)
        else:
            row.name, row.role, row.password_hash = name.strip(), level.value, hashed
            s.execute(delete(StaffSessionRow).where(StaffSessionRow.staff_id == row.id))
        s.flush()
        return _staff(row)


def list_staff(store: Store) -> list[Staff]:
    with store.session() as s:
        return [_staff(r) for r in s.scalars(select(StaffRow).order_by(StaffRow.email))]


def remove_staff(store: Store, email: str) -> bool:
    """Remove an account and end its sessions; False when there was none."""
    with store.session() as s:
        row = s.scalars(select(StaffRow).where(StaffRow.email == normal_email(email))).first()
        if row is None:
            return False
        s.execute(delete(StaffSessionRow).where(StaffSessionRow.staff_id == row.id))
        s.delete(row)
    return True


def _throttle_keys(email: str, client: str) -> tuple[str, str]:
    return f"email:{_sha(normal_email(email))}", f"ip:{_sha(client)}"


def _check_throttle(
    store: Store, email: str, client: str, now: datetime, *, including: int = 0
) -> None:
    """ThrottledError when the account or the address has used up its failures (``including``:
    attempts of this very request already counted among them)."""
    account, address = _throttle_keys(email, client)
    since = now - THROTTLE_WINDOW
    with store.session() as s:
        s.execute(delete(StaffLoginFailureRow).where(StaffLoginFailureRow.at < since))
        counts: dict[str, int] = dict(
            s.execute(  # type: ignore[arg-type]
                select(StaffLoginFailureRow.key, func.count())
                .where(
                    StaffLoginFailureRow.key.in_([account, address]),
                    StaffLoginFailureRow.at >= since,
                )
                .group_by(StaffLoginFailureRow.key)
            ).all()
        )
        oldest = s.scalar(
            select(func.min(StaffLoginFailureRow.at)).where(
                StaffLoginFailureRow.key.in_([account, address])
            )
        )
    if counts.get(account, 0) >= MAX_FAILURES_PER_ACCOUNT + including or (
        counts.get(address, 0) >= MAX_FAILURES_PER_CLIENT + including
    ):
        wait = THROTTLE_WINDOW - (now - oldest) if oldest is not None else THROTTLE_WINDOW
        raise ThrottledError(
            "too many failed sign-ins; try again later", max(1, int(wait.total_seconds()))
        )


def authenticate(store: Store, email: str, password: str, *, client: str) -> Staff:
    """The account whose password this is; StaffError (same message whatever was wrong), or
    ThrottledError after too many failures for the account or the client address.

    The attempt is recorded (committed) before the password is checked, and counted with the
    others: parallel guesses cannot all pass the check before any of them is recorded.
    """
    now = _now()
    _check_throttle(store, email, client, now)
    with store.session() as s:
        rows = [StaffLoginFailureRow(key=key, at=now) for key in _throttle_keys(email, client)]
        s.add_all(rows)
        s.flush()
        mine = [r.id for r in rows]
    _check_throttle(store, email, client, now, including=1)
    with store.session() as s:
        row = s.scalars(select(StaffRow).where(StaffRow.email == normal_email(email))).first()
        ok: bool = False
        try:
            ok = bool(_hasher.verify(row.password_hash if row else _DUMMY_HASH, password))
        except (VerificationError, InvalidHashError):
            ok = False
        staff: Staff | None
        if row is None or not ok:
            staff = None  # the attempt stays recorded as a failure
        else:
            account = _throttle_keys(email, client)[0]
            s.execute(delete(StaffLoginFailureRow).where(StaffLoginFailureRow.key == account))
            s.execute(delete(StaffLoginFailureRow).where(StaffLoginFailureRow.id.in_(mine)))
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            staff = _staff(row)
    if staff is None:
        raise StaffError("unknown address or wrong password")
    return staff


def open_session(store: Store, staff: Staff, *, hours: int = SESSION_HOURS) -> tuple[str, str]:
    """A new session for ``staff``: (cookie token, CSRF token). Expired sessions are swept."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = _now()
    with store.session() as s:
        s.execute(delete(StaffSessionRow).where(StaffSessionRow.expires_at < now))
        s.add(
            StaffSessionRow(
                token_hash=_sha(token),
                staff_id=staff.id,
                csrf=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return token, csrf


@dataclass(frozen=True)
class SignedIn:
    staff: Staff
    csrf: str


def session_staff(store: Store, token: str) -> SignedIn | None:
    """Who the session cookie ``token`` belongs to, with its CSRF token; None when unknown or
    expired."""
    if not token:
        return None
    with store.session() as s:
        sess = s.get(StaffSessionRow, _sha(token))
        if sess is None or sess.expires_at < _now():
            return None
        row = s.get(StaffRow, sess.staff_id)
        if row is None:
            return None
        return SignedIn(staff=_staff(row), csrf=sess.csrf)


def close_session(store: Store, token: str) -> None:
    with store.session() as s:
        s.execute(delete(StaffSessionRow).where(StaffSessionRow.token_hash == _sha(token)))


def same_token(expected: str, given: str) -> bool:
    """Constant-time comparison of CSRF tokens (an empty one never matches; bytes, because
    ``compare_digest`` raises on a str that is not ASCII)."""
    return (
        bool(expected)
        and bool(given)
        and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
    )
