"""Reading a subscriber CSV: encoding, delimiter, header aliases, physical line numbers.

UTF-8 with or without BOM; comma, semicolon or tab (taken from the header line); quoted fields may
hold newlines. Column names match case-insensitively, ignoring spaces, dashes and underscores.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from hrc_outreach.errors import AudienceError

ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "mail", "email address", "e-mail address", "emailaddress"),
    "name": ("name", "full name", "display name", "contact name"),
    "first_name": ("first name", "given name", "firstname", "forename"),
    "last_name": ("last name", "family name", "surname", "lastname"),
    "language": ("language", "lang", "locale", "preferred language"),
    "country": ("country", "country of residence", "residence", "country code"),
    "segments": ("segments", "segment", "tags", "tag", "groups", "lists"),
    "consent_at": (
        "consent date",
        "consent_at",
        "consent at",
        "consented at",
        "opt-in date",
        "optin date",
        "opt in date",
        "consent",
    ),
    "consent_source": ("consent source", "opt-in source", "optin source", "source"),
    "status": ("status", "state", "subscription status"),
}


def _key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


_LOOKUP = {_key(alias): field for field, names in ALIASES.items() for alias in names}


def read_text(path: Path) -> str:
    """The file's text (UTF-8, BOM dropped); AudienceError naming the file and byte if not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudienceError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AudienceError(
            f"{path} is not UTF-8 (byte {exc.start}); save it as 'CSV UTF-8' and import again"
        ) from exc


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def map_header(header: list[str], where: str) -> dict[str, int]:
    """Field name -> column index; AudienceError without an email column."""
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        field = _LOOKUP.get(_key(name))
        if field and field not in columns:
            columns[field] = i
    if "email" not in columns:
        found = ", ".join(repr(h) for h in header) or "none"
        raise AudienceError(
            f"{where}: no email column (found {found}); name one 'email', 'e-mail' or 'mail'"
        )
    return columns


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(physical line where the row starts, field -> value) for every non-blank data row."""
    text = read_text(path)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration:
        raise AudienceError(
            f"{path} is empty; it needs a header line with an email column"
        ) from None
    columns = map_header(header, str(path))
    last = reader.line_num
    try:
        for cells in reader:
            start, last = last + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            yield (
                start,
                {field: cells[i].strip() if i < len(cells) else "" for field, i in columns.items()},
            )
    except csv.Error as exc:
        raise AudienceError(f"{path}, line {last + 1}: unreadable CSV: {exc}") from exc
