"""Approval binds to bytes: a person approves the content hash of every language of an edition.

If anything changes after approval (a subject, a line of HTML, a social post), the approval no
longer holds and sending is refused until someone approves again. The latest decision wins.

A person approves what they were shown: the approval carries the hashes of the drafts they
reviewed (``shown``), and is refused when the drafts on disk are no longer those.

>>> shown = parse_hashes("en=1a2b3c4d5e6f,fr=0f9e8d7c6b5a")         # doctest: +SKIP
>>> approve(store, "2026-12", messages, by="Ana", shown=shown)    # doctest: +SKIP
>>> require_approval(store, "2026-12", messages).by               # doctest: +SKIP
'Ana'
"""

from __future__ import annotations

from sqlalchemy import select

from hrc_outreach.errors import ApprovalError, OutreachError
from hrc_outreach.models import ApprovalDecision, RenderedMessage
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ApprovalRow

DEMO_METHOD = "demo auto-approval"
METHODS = ("cli", "flow", "web", DEMO_METHOD)
# A hash the reviewer copies may be shortened, like a git commit id; shorter is refused.
SHORT_HASH = 12
_HEX = frozenset("0123456789abcdef")


class EditionChangedError(ApprovalError):
    """The drafts are no longer the ones the reviewer was shown; ``languages`` names what differs."""

    def __init__(self, message: str, *, languages: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.languages = languages


def content_hashes(messages: dict[str, RenderedMessage]) -> dict[str, str]:
    """language -> sha256 of what is approved (subject, HTML, text, social posts)."""
    return {lang: m.content_hash() for lang, m in sorted(messages.items())}


def format_hashes(hashes: dict[str, str], *, short: bool = True) -> str:
    """The form a reviewer passes back: ``en=1a2b3c4d5e6f,fr=...`` (sorted by language)."""
    return ",".join(
        f"{lang}={h[:SHORT_HASH] if short else h}" for lang, h in sorted(hashes.items())
    )


def parse_hashes(text: str) -> dict[str, str]:
    """``en=1a2b3c4d5e6f,fr=...`` (commas or spaces between pairs) -> {lang: hash prefix}.

    >>> parse_hashes("en=1A2B3C4D5E6F7A, fr=0f9e8d7c6b5a")
    {'en': '1a2b3c4d5e6f7a', 'fr': '0f9e8d7c6b5a'}
    """
    out: dict[str, str] = {}
    for part in text.replace(",", " ").split():
        lang, sep, value = part.partition("=")
        lang, value = lang.strip(), value.strip().lower()
        if not sep or not lang or not value:
            raise ApprovalError(
                f"--hashes: {part!r} is not LANG=HASH (e.g. en=1a2b3c4d5e6f); copy the line "
                "that `hrc-outreach edition approve KEY --show` prints"
            )
        if len(value) < SHORT_HASH or not set(value) <= _HEX:
            raise ApprovalError(
                f"--hashes: the hash of {lang!r} must be at least {SHORT_HASH} hexadecimal "
                f"characters, got {value!r}"
            )
        if lang in out and out[lang] != value:
            raise ApprovalError(f"--hashes: {lang!r} is given twice with different hashes")
        out[lang] = value
    if not out:
        raise ApprovalError("--hashes is empty; copy the line `edition approve KEY --show` prints")
    return out


def differences(shown: dict[str, str], current: dict[str, str]) -> dict[str, list[str]]:
    """What differs between the hashes a reviewer saw (full or shortened) and the current ones:
    {"changed": [...], "not shown": [...], "no longer drafted": [...]}, empty lists left out."""
    changed = sorted(
        lang
        for lang in shown.keys() & current.keys()
        if not current[lang].startswith(shown[lang]) or len(shown[lang]) < SHORT_HASH
    )
    diff = {
        "changed": changed,
        "not shown": sorted(current.keys() - shown.keys()),
        "no longer drafted": sorted(shown.keys() - current.keys()),
    }
    return {k: v for k, v in diff.items() if v}


def check_shown(
    edition_key: str, shown: dict[str, str], messages: dict[str, RenderedMessage]
) -> None:
    """EditionChangedError unless ``messages`` are exactly the drafts whose hashes were ``shown``.

    The message names the languages and says what to do; nothing is recorded.
    """
    diff = differences(shown, content_hashes(messages))
    if not diff:
        return
    parts = "; ".join(f"{what}: {', '.join(langs)}" for what, langs in diff.items())
    raise EditionChangedError(
        f"edition {edition_key!r} changed since the reviewer was shown it ({parts}); nothing was "
        f"approved and nothing sent. Review the drafts as they are now "
        f"(`hrc-outreach edition approve {edition_key} --show`), then approve those with "
        f"`hrc-outreach edition approve {edition_key} --by NAME --hashes ...`",
        languages=tuple(sorted({lang for langs in diff.values() for lang in langs})),
    )


def _check_demo(method: str, provider: str | None) -> None:
    if method == DEMO_METHOD and provider not in (None, "outbox"):
        raise ApprovalError(
            f"a demo auto-approval is only for the outbox provider, and {provider!r} is configured: "
            "a person must approve with `hrc-outreach edition approve KEY --by NAME`"
        )


def require_name(edition_key: str, by: str) -> str:
    """The reviewer's name, stripped; ApprovalError when it is blank."""
    if not by.strip():
        raise ApprovalError(
            f"a name is required: say who decides on edition {edition_key!r} (--by NAME); "
            "a blank name is refused"
        )
    return by.strip()


def _record(
    store: Store,
    edition_key: str,
    messages: dict[str, RenderedMessage],
    *,
    decision: ApprovalDecision,
    by: str,
    method: str,
    notes: str,
) -> ApprovalRow:
    require_name(edition_key, by)
    if method not in METHODS:
        raise ApprovalError(f"unknown approval method {method!r}; one of {', '.join(METHODS)}")
    if not messages:
        raise ApprovalError(f"edition {edition_key!r} has no rendered language to {decision.verb}")
    row = ApprovalRow(
        edition_key=edition_key,
        decision=decision.value,
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
    shown: dict[str, str] | None = None,
) -> ApprovalRow:
    """Record that ``by`` approved exactly these messages (their content hashes).

    ``shown``: the hashes of the drafts the reviewer was shown (full or shortened); when they are
    not those of ``messages``, EditionChangedError and nothing is recorded. ``provider`` is the
    configured provider: a demo auto-approval is refused unless it is the outbox.
    """
    _check_demo(method, provider)
    require_name(edition_key, by)
    if shown is not None:
        check_shown(edition_key, shown, messages)
    return _record(
        store,
        edition_key,
        messages,
        decision=ApprovalDecision.APPROVED,
        by=by,
        method=method,
        notes=notes,
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
        store,
        edition_key,
        messages,
        decision=ApprovalDecision.REJECTED,
        by=by,
        method=method,
        notes=notes,
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
    approve_cmd = (
        f"`hrc-outreach edition approve {edition_key} --by NAME --hashes ...`; "
        f"`edition approve {edition_key} --show` prints the hashes"
    )
    if row is None:
        raise ApprovalError(
            f"edition {edition_key!r} was never approved; review the drafts, then run {approve_cmd}"
        )
    if row.decision != ApprovalDecision.APPROVED:
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


def approval_holds(
    store: Store, edition_key: str, messages: dict[str, RenderedMessage]
) -> tuple[bool, str]:
    """``(True, "")`` when :func:`require_approval` accepts these messages, else ``(False, why)``:
    what status pages show."""
    try:
        require_approval(store, edition_key, messages)
    except OutreachError as exc:
        return False, str(exc)
    return True, ""
