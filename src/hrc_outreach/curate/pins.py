"""Staff choices for one edition: ``editions/<key>.yaml`` with ``pin:`` and ``exclude:`` lists.

Each entry is an item id or ``source:source_key``::

    pin:
      - 3f2a9c0d1e2b4a5f6c7d8e9f
      - whrcf-digest:gwangju/1
    exclude:
      - network-news:https://humanrightscities.net/news/old-post
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from hrc_outreach.errors import CurateError
from hrc_outreach.models import ContentItem


@dataclass(frozen=True)
class Choices:
    """What staff pinned and excluded, as written in the file (references, not yet resolved)."""

    pin: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    path: Path | None = None


def load_choices(path: Path) -> Choices:
    """Read a pins file; an absent file means no choices. A bad file raises CurateError naming it."""
    if not path.is_file():
        return Choices()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CurateError(f"{path}: not readable YAML: {exc}; fix or remove the file") from exc
    if data is None:
        return Choices(path=path)
    if not isinstance(data, dict):
        raise CurateError(f"{path}: expected a mapping with 'pin' and/or 'exclude' lists")
    unknown = set(data) - {"pin", "exclude"}
    if unknown:
        raise CurateError(
            f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; only 'pin' and "
            "'exclude' are allowed"
        )
    lists: dict[str, tuple[str, ...]] = {}
    for name in ("pin", "exclude"):
        value = data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CurateError(f"{path}: '{name}' must be a list of item ids or source:source_key")
        lists[name] = tuple(v.strip() for v in value)
    return Choices(pin=lists["pin"], exclude=lists["exclude"], path=path)


def resolve(ref: str, items: dict[str, ContentItem], by_key: dict[str, str]) -> str | None:
    """The item id a reference names (an id, or ``source:source_key``), or None."""
    if ref in items:
        return ref
    return by_key.get(ref)
