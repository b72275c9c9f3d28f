"""Staff choices for one edition: ``editions/<key>.yaml`` with ``pin:`` and ``exclude:`` lists,
and ``headlines:`` and ``summaries:`` that this edition shows instead of the source's own (plain
text; the source is never touched).

Each entry is an item id or ``source:source_key``::

    pin:
      - 3f2a9c0d1e2b4a5f6c7d8e9f
      - whrcf-digest:gwangju/1
    exclude:
      - network-news:https://humanrightscities.net/news/old-post
    headlines:
      whrcf-digest:gwangju/1: Gwangju opens a human rights office
    summaries:
      whrcf-digest:gwangju/1: The office takes complaints in six languages.
"""

from __future__ import annotations

import fcntl
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hrc_outreach.errors import CurateError
from hrc_outreach.models import ContentItem
from hrc_outreach.yamlfiles import load_staff_yaml


@dataclass(frozen=True)
class Choices:
    """What staff pinned and excluded, as written in the file (references, not yet resolved)."""

    pin: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    path: Path | None = None
    headlines: dict[str, str] = field(default_factory=dict)  # reference -> plain text
    summaries: dict[str, str] = field(default_factory=dict)


_KEYS = ("pin", "exclude", "headlines", "summaries")
# A headline is one line; a summary a few paragraphs at most (the edition cuts it to its limit).
MAX_HEADLINE = 300
MAX_SUMMARY = 5000


def load_choices(path: Path) -> Choices:
    """Read a pins file; an absent file means no choices. A bad file raises CurateError naming it."""
    if not path.is_file():
        return Choices()
    try:
        data = load_staff_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CurateError(f"{path}: not readable YAML: {exc}; fix or remove the file") from exc
    return choices_from(path, data)


def choices_from(path: Path, data: object) -> Choices:
    """The choices in ``data`` (a pins file's YAML); CurateError naming ``path`` when wrong."""
    if data is None:
        return Choices(path=path)
    if not isinstance(data, dict):
        raise CurateError(f"{path}: expected a mapping with 'pin' and/or 'exclude' lists")
    unknown = set(data) - set(_KEYS)
    if unknown:
        raise CurateError(
            f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; only "
            f"{', '.join(repr(k) for k in _KEYS)} are allowed"
        )
    lists: dict[str, tuple[str, ...]] = {}
    for name in ("pin", "exclude"):
        value = data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CurateError(f"{path}: '{name}' must be a list of item ids or source:source_key")
        lists[name] = tuple(v.strip() for v in value)
    return Choices(
        pin=lists["pin"],
        exclude=lists["exclude"],
        path=path,
        headlines=_texts(path, data, "headlines", MAX_HEADLINE),
        summaries=_texts(path, data, "summaries", MAX_SUMMARY),
    )


def _texts(path: Path, data: dict[object, object], name: str, limit: int) -> dict[str, str]:
    """``name:`` as {reference: text}; a wrong shape raises CurateError naming the entry."""
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise CurateError(f"{path}: '{name}' must map item ids (or source:source_key) to text")
    out: dict[str, str] = {}
    for ref, text in value.items():
        if not isinstance(ref, str) or not ref.strip() or not isinstance(text, str):
            raise CurateError(f"{path}: '{name}' entry {ref!r} must be a reference and a text")
        if name == "headlines":
            text = " ".join(text.split())
        if len(text) > limit:
            raise CurateError(
                f"{path}: {name} of {ref!r} has {len(text)} characters; at most {limit}"
            )
        if text.strip() and not any(map(_visible, text)):
            raise CurateError(
                f"{path}: {name} of {ref!r} has no visible character (only "
                f"{', '.join(sorted({f'U+{ord(c):04X}' for c in text if not c.isspace()}))}): "
                "write the text, or remove the entry to show the source's own"
            )
        if text.strip():
            out[ref.strip()] = text.strip()
    return out


# Letters that draw nothing: Hangul fillers (the rest of the invisible ones are in the categories
# below: format characters such as zero-width spaces and bidi marks, lone combining marks).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def _visible(c: str) -> bool:
    """True when ``c`` draws something: not white space, a format character (Cf), a combining
    mark on its own (Mn, Me), a control character, or a filler."""
    return not (
        c.isspace() or unicodedata.category(c) in ("Cf", "Mn", "Me", "Cc") or c in _BLANK_LETTERS
    )


def save_item_text(path: Path, ref: str, *, headline: str, summary: str) -> Choices:
    """Set (or, with "", remove) the headline and summary of item ``ref`` in the choices file
    ``path``, keeping its pins and excludes; returns what the file now holds.

    Raises CurateError when the file is not readable or the texts are too long. The file is
    written whole (comments in it are not kept).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Two people saving at once: one after the other, neither change lost.
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _save_item_text(path, ref, headline=headline, summary=summary)


def _save_item_text(path: Path, ref: str, *, headline: str, summary: str) -> Choices:
    load_choices(path)  # a broken file is reported, never overwritten
    data: dict[str, object] = {}
    if path.is_file():
        data = load_staff_yaml(path.read_text(encoding="utf-8")) or {}
    for name, text in (("headlines", " ".join(headline.split())), ("summaries", summary.strip())):
        entries = dict(data.get(name) or {})  # type: ignore[call-overload]
        entries.pop(ref, None)
        if text:
            entries[ref] = text
        if entries:
            data[name] = entries
        else:
            data.pop(name, None)
    choices = choices_from(path, data)  # too long a text: refused before anything is written
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # whole or not at all
    return choices


def resolve(ref: str, items: dict[str, ContentItem], by_key: dict[str, str]) -> str | None:
    """The item id a reference names (an id, or ``source:source_key``), or None."""
    if ref in items:
        return ref
    return by_key.get(ref)
