"""The small protocol every source kind implements, and what gathering hands to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from hrc_outreach.config import Settings, SourceConfig, SourceKind
from hrc_outreach.models import ContentItem


@dataclass(frozen=True)
class Document:
    """Bytes read from a URL or a file, with the URL relative links resolve against."""

    content: bytes
    base_url: str
    content_type: str = ""


@dataclass(frozen=True)
class SourceOutput:
    """What one source produced: items, warnings (reported, not fatal), or "not modified"."""

    items: tuple[ContentItem, ...] = ()
    warnings: tuple[str, ...] = ()
    not_modified: bool = False


class Reader(Protocol):
    """How a source reads: gathering implements it over httpx (conditional GET, retries, limits)."""

    async def read(self, config: SourceConfig) -> Document | None:
        """The source's ``url`` or ``path``; None when the server answered 304 Not Modified."""
        ...

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        """GET ``url`` as JSON, returning (data, response headers). For paginated APIs."""
        ...


@dataclass(frozen=True)
class GatherContext:
    settings: Settings
    reader: Reader
    now: datetime
    extra: dict[str, Any] = field(default_factory=dict)


class Source(Protocol):
    """A source kind: turns one configured source into content items. Never raises for one bad
    entry (that is a warning); raises :class:`~hrc_outreach.errors.SourceError` when nothing can be
    read at all."""

    kind: ClassVar[SourceKind]

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput: ...
