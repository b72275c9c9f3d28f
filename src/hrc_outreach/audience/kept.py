"""Kept copies of sent mail: the outbox's ``.eml`` files (editions, test sends, opt-in emails).

They name their recipient, so erasing a person removes theirs (:func:`erase_kept_copies`), and
none is kept longer than ``[delivery] outbox_retention_days`` (:func:`purge_kept_copies`, run by
the daily flow). Rendered previews are per language, never per person, so they name nobody.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser, HeaderParser
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path

import idna

from hrc_outreach.config import Settings
from hrc_outreach.models import quick_normal_form

log = logging.getLogger(__name__)

RECIPIENT_HEADERS = ("To", "Cc")


def _kept(settings: Settings) -> Iterator[Path]:
    folder = settings.resolve(settings.delivery.outbox_dir)
    if folder.is_dir():
        yield from (p for p in folder.rglob("*.eml") if p.is_file())


# --- One form to compare addresses ---------------------------------------------------------
#
# The project's normal form (``quick_normal_form``: lower-cased, Unicode rules for a non-ASCII
# address) with the domain in every form a mailer may have written it: its Unicode labels and
# its IDNA A-labels (``xn--``), both as IDNA 2003 writes them (Python's codec, which
# ``deliver.mime.address`` uses: ß → ss) and as IDNA 2008/UTS 46 does (``email-validator``).
# Two addresses are the same when their forms meet.

_IDNA_ERRORS = (idna.IDNAError, UnicodeError, ValueError)
_ENCODINGS: tuple[Callable[[str], str], ...] = (
    lambda d: idna.encode(d, uts46=True, transitional=False).decode("ascii"),
    lambda d: d.encode("idna").decode("ascii"),
)


def _domain_forms(domain: str) -> set[str]:
    domain = unicodedata.normalize("NFC", domain).lower().rstrip(".")
    unicode_forms = {domain}
    for decode in (idna.decode, lambda d: d.encode("ascii").decode("idna")):
        try:
            unicode_forms.add(unicodedata.normalize("NFC", decode(domain)).lower())
        except _IDNA_ERRORS:
            pass
    forms = set(unicode_forms)
    for name in unicode_forms:
        for encode in _ENCODINGS:
            try:
                forms.add(encode(name).lower())
            except _IDNA_ERRORS:
                pass
    return forms


def address_forms(email: str) -> frozenset[str]:
    """The forms of ``email`` to compare kept copies' recipients with: its normal form with the
    domain as Unicode and as IDNA A-labels.

    >>> sorted(address_forms("Ana@Bücher.example"))
    ['ana@bücher.example', 'ana@xn--bcher-kva.example']
    """
    normal = quick_normal_form(email)
    local, at, domain = normal.rpartition("@")
    if not at or not local or not domain:
        return frozenset({normal})
    return frozenset(f"{local}@{d}" for d in _domain_forms(domain))


# --- Reading a kept copy's recipients, leniently ----------------------------------------------

_NOT_IN_ADDRESS = re.compile(r"[\s<>()\[\],;:\"\\\ufffd\x00-\x1f\x7f]")


def _is_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and not _NOT_IN_ADDRESS.search(value)


@dataclass(frozen=True)
class _Recipients:
    """A kept copy's recipients as read, and why its recipient headers are damaged (or "")."""

    addresses: frozenset[str]
    damage: str


def _header_block(data: bytes) -> bytes:
    ends = [i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0]
    return data[: min(ends)] if ends else data


def _recipients(data: bytes) -> _Recipients:
    """The addresses a kept message was sent to (To, Cc), each in all its forms, read leniently
    (the raw header text, UTF-8 or not); ``damage`` says what could not be read."""
    block = _header_block(data)
    damage = ""
    try:  # the strict reader, only to learn that a header is broken (it may raise anything)
        strict = BytesHeaderParser(policy=default_policy).parsebytes(block)
        for name in RECIPIENT_HEADERS:
            for value in strict.get_all(name, []):
                _ = value.addresses
    except Exception as exc:
        damage = f"{type(exc).__name__} in the mail parser"
    headers = HeaderParser(policy=compat32).parsestr(block.decode("utf-8", "replace"))
    values = [str(v) for name in RECIPIENT_HEADERS for v in headers.get_all(name, [])]
    try:
        pairs = getaddresses(values)
    except Exception as exc:  # a parser that gives up on one header gives up on the file
        pairs, damage = [], damage or f"{type(exc).__name__} reading its recipients"
    found: set[str] = set()
    for _name, addr in pairs:
        if _is_address(addr.strip()):
            found.update(address_forms(addr.strip()))
        elif not damage:
            # never quoted: the report and the log must not carry anyone's address
            damage = "a recipient that is not an address"
    if not values:
        damage = damage or "no To or Cc header"
    return _Recipients(frozenset(found), damage)


def _names_as_text(data: bytes, forms: frozenset[str]) -> bool:
    """Whether the file holds one of the address ``forms`` as text anywhere (any case), as a
    whole address (``li@example.org`` is not in ``bli@example.org`` nor ``li@example.org.uk``)."""
    text = data.decode("utf-8", "replace").lower()
    return any(re.search(rf"(?<![\w.+\-]){re.escape(form)}(?![\w\-]|\.\w)", text) for form in forms)


@dataclass(frozen=True)
class KeptErasure:
    """What erasing a person from kept copies did: how many were deleted, and the files staff
    should look at (damaged or unreadable), each named with what was done."""

    deleted: int
    to_check: tuple[str, ...]


def erase_kept(settings: Settings, email: str, subscriber_id: int | None = None) -> KeptErasure:
    """Delete every kept message sent to ``email`` (its address compared in all its forms, IDN
    domains too) or to ``subscriber_id`` (by its file name). A file whose recipients cannot be
    read is deleted when it names the address as text anywhere, else kept; either way it is
    named in ``to_check``, and the other files go on."""
    forms = address_forms(email)
    by_id = f"-sub{subscriber_id}.eml" if subscriber_id else None
    removed, to_check = 0, []
    for path in list(_kept(settings)):
        note = ""
        try:
            if by_id and path.name.endswith(by_id):
                hers = True
            else:
                data = path.read_bytes()
                read = _recipients(data)
                hers = bool(forms & read.addresses)
                if read.damage and not hers:
                    hers = _names_as_text(data, forms)
                    note = f"{path}: its recipients could not be read ({read.damage}); " + (
                        "it names the address as text, so it was deleted"
                        if hers
                        else "the address is not in it as text, so it was kept: check "
                        "it by hand and delete it if it was sent to this person"
                    )
                elif read.damage:
                    note = f"{path}: damaged recipient headers ({read.damage}); sent to the address, deleted"
        except Exception as exc:  # one unreadable file never stops the erasure of the others
            to_check.append(f"{path}: could not be read ({exc}); check it by hand")
            log.warning("kept copy %s could not be read during an erasure: %s", path, exc)
            continue
        if note:
            to_check.append(note)
            log.warning("kept copy %s", note)
        if hers:
            try:
                path.unlink()
            except OSError as exc:
                to_check.append(f"{path}: could not be deleted ({exc}); delete it by hand")
                log.error("could not delete the kept copy %s: %s", path, exc)
                continue
            removed += 1
    return KeptErasure(deleted=removed, to_check=tuple(to_check))


def erase_kept_copies(settings: Settings, email: str, subscriber_id: int | None = None) -> int:
    """The number of kept messages :func:`erase_kept` deleted (the files to check are logged)."""
    return erase_kept(settings, email, subscriber_id).deleted


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
