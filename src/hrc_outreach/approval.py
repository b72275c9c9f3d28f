"""Approval binds to bytes: a person approves the content hash of every language of an edition.

If anything changes after approval (a subject, a line of HTML, a social post), the approval no
longer holds and sending is refused until someone approves again. The latest decision wins.

>>> approve(store, "2026-12", messages, by="Ana")               # doctest: +SKIP
>>> require_approval(store, "2026-12", messages).by             # doctest: +SKIP
'Ana'
"""

from __future__ import annotations

from sqlalchemy import select

from hrc_outreach.errors import ApprovalError
from hrc_outreach.models import RenderedMessage
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ApprovalRow

DEMO_METHOD = "demo auto-approval"
METHODS = ("cli", "flow", "web", DEMO_METHOD)


def content_hashes(messages: dict[str, RenderedMessage]) -> dict[str, str]:
    """language -> sha256 of what is approved (subject, HTML, text, social posts)."""
    return {lang: m.content_hash() for lang, m in sorted(messages.items())}


def _check_demo(method: str, provider: str | None) -> None:
    if method == DEMO_METHOD and provider not in (None, "outbox"):
        raise ApprovalError(
            f"a demo auto-approval is only for the outbox provider, and {provider!r} is configured: "
            "a person must approve with `hrc-outreach edition approve KEY --by NAME`"
        )


def _record(
    store: Store,
    edition_key: str,
    messages: dict[str, RenderedMessage],
    *,
    decision: str,
    by: str,
    method: str,
    notes: str,
) -> ApprovalRow:
    if not by.strip():
        raise ApprovalError(f"say who decides on edition {edition_key!r} (--by NAME)")
    if method not in METHODS:
        raise ApprovalError(f"unknown approval method {method!r}; one of {', '.join(METHODS)}")
    if not messages:
        raise ApprovalError(f"edition {edition_key!r} has no rendered language to {decision[:-1]}")
    row = ApprovalRow(
        edition_key=edition_key,
        decision=decision,
        by=by.strip(),
        notes=notes,
        method=method,
        hashes=content_hashes(messages),
    )
    with store.session() as s:
        s.add(row)
    return row


def approve(
    store: Store,
    edition_key: str,
    messages: dict[str, RenderedMessage],
    *,
    by: str,
    method: str = "cli",
    notes: str = "",
    provider: str | None = None,
) -> ApprovalRow:
    """Record that ``by`` approved exactly these messages (their content hashes).

    ``provider`` is the configured provider: a demo auto-approval is refused unless it is the outbox.
    """
    _check_demo(method, provider)
    return _record(
        store, edition_key, messages, decision="approved", by=by, method=method, notes=notes
    )


def reject(
    store: Store,
    edition_key: str,
    messages: dict[str, RenderedMessage],
    *,
    by: str,
    notes: str = "",
    method: str = "cli",
) -> ApprovalRow:
    """Record that ``by`` rejected the edition (with notes saying what to change)."""
    return _record(
        store, edition_key, messages, decision="rejected", by=by, method=method, notes=notes
    )


def latest_decision(store: Store, edition_key: str) -> ApprovalRow | None:
    with store.session() as s:
        return s.scalars(
            select(ApprovalRow)
            .where(ApprovalRow.edition_key == edition_key)
            .order_by(ApprovalRow.at.desc(), ApprovalRow.id.desc())
            .limit(1)
        ).first()


def require_approval(
    store: Store,
    edition_key: str,
    messages: dict[str, RenderedMessage],
    *,
    provider: str | None = None,
) -> ApprovalRow:
    """The approval that covers exactly these messages; ApprovalError when there is none.

    Refused: never approved; the latest decision is a rejection; any language changed, added or
    removed since approval (named in the message); a demo auto-approval for a real provider.
    """
    row = latest_decision(store, edition_key)
    approve_cmd = f"`hrc-outreach edition approve {edition_key} --by NAME`"
    if row is None:
        raise ApprovalError(
            f"edition {edition_key!r} was never approved; review the drafts, then run {approve_cmd}"
        )
    if row.decision != "approved":
        notes = f" ({row.notes})" if row.notes else ""
        raise ApprovalError(
            f"edition {edition_key!r} was rejected by {row.by} on {row.at:%Y-%m-%d %H:%M} UTC{notes}; "
            f"draft it again and have it approved ({approve_cmd})"
        )
    now = content_hashes(messages)
    changed = sorted(k for k in now.keys() & row.hashes.keys() if now[k] != row.hashes[k])
    added = sorted(now.keys() - row.hashes.keys())
    removed = sorted(row.hashes.keys() - now.keys())
    if changed or added or removed:
        parts = []
        if changed:
            parts.append(f"changed: {', '.join(changed)}")
        if added:
            parts.append(f"not approved: {', '.join(added)}")
        if removed:
            parts.append(f"no longer drafted: {', '.join(removed)}")
        raise ApprovalError(
            f"edition {edition_key!r} changed since {row.by} approved it on {row.at:%Y-%m-%d %H:%M} "
            f"UTC ({'; '.join(parts)}); review and approve again ({approve_cmd})"
        )
    _check_demo(row.method, provider)
    return row
