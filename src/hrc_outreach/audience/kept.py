"""Kept copies of sent mail: the outbox's ``.eml`` files (editions, test sends, opt-in emails).

They name their recipient, so erasing a person removes theirs (:func:`erase_kept_copies`), and
none is kept longer than ``[delivery] outbox_retention_days`` (:func:`purge_kept_copies`, run by
the daily flow). Rendered previews are per language, never per person, so they name nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path

from hrc_outreach.config import Settings
from hrc_outreach.models import quick_normal_form

log = logging.getLogger(__name__)


def _kept(settings: Settings) -> Iterator[Path]:
    folder = settings.resolve(settings.delivery.outbox_dir)
    if folder.is_dir():
        yield from (p for p in folder.rglob("*.eml") if p.is_file())


def _recipients(path: Path) -> set[str]:
    """The addresses a kept message was sent to (To, Cc), normalised; empty if unreadable."""
    try:
        with path.open("rb") as fh:
            headers = BytesHeaderParser(policy=default_policy).parse(fh)
    except OSError:
        return set()
    fields = [str(v) for k in ("To", "Cc") for v in headers.get_all(k, [])]
    return {quick_normal_form(addr) for _name, addr in getaddresses(fields) if addr}


def erase_kept_copies(settings: Settings, email: str, subscriber_id: int | None = None) -> int:
    """Delete every kept message sent to ``email`` (or to ``subscriber_id``, by its file name);
    the number deleted. A file that cannot be deleted is logged, and the rest go on."""
    address = quick_normal_form(email)
    by_id = f"-sub{subscriber_id}.eml" if subscriber_id else None
    removed = 0
    for path in list(_kept(settings)):
        if (by_id and path.name.endswith(by_id)) or address in _recipients(path):
            try:
                path.unlink()
            except OSError as exc:
                log.error("could not delete the kept copy %s: %s", path, exc)
                continue
            removed += 1
    return removed


def purge_kept_copies(settings: Settings, *, now: datetime | None = None) -> int:
    """Delete kept messages older than ``[delivery] outbox_retention_days``; the number deleted."""
    days = settings.delivery.outbox_retention_days
    if days <= 0:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    removed = 0
    for path in list(_kept(settings)):
        try:
            if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
                path.unlink()
                removed += 1
        except OSError as exc:
            log.error("could not purge the kept copy %s: %s", path, exc)
    return removed
