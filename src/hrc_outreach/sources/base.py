"""The small protocol every source kind implements, and what gathering hands to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from hrc_outreach.config import Settings, SourceConfig, SourceKind, Table, read_table
from hrc_outreach.models import ContentItem


class SourceOptions(Table):
    """The keys of a ``[[sources]]`` table beyond the common ones, declared per kind by a subclass
    in the kind's module (unknown keys are errors). Every kind takes ``base_url``."""

    base_url: str = ""  # relative links in a file read from `path` resolve against this


_O = TypeVar("_O", bound=SourceOptions)


def read_options(config: SourceConfig, model: type[_O]) -> _O:
    """``config``'s kind-specific keys as ``model``; a ConfigError naming the source and the key.

    >>> cfg = SourceConfig(name="n", kind="feed", base_url="https://ex.org/")
    >>> read_options(cfg, SourceOptions).base_url
    'https://ex.org/'
    """
    return read_table(model, config.options, f"source {config.name!r} ({config.kind.value})")


@dataclass(frozen=True)
class Document:
    """Bytes read from a URL or a file, with the URL relative links resolve against."""

    content: bytes
    base_url: str
    content_type: str = ""


@dataclass(frozen=True)
class Snapshot:
    """The part of a source this gathering saw whole, so what is missing from it was withdrawn.

    A stored item of the source that was not produced is withdrawn when it lies inside: its
    ``start`` in ``[start, end)`` when those are given (a calendar's expansion window; items
    without a start are then outside), and its key not under any of ``unsure`` (keys, or key
    prefixes ending in "/", of entries the source could not read whole this time). A source
    that only shows part of itself (a feed's latest N entries) gives no snapshot at all.
    """

    start: datetime | None = None
    end: datetime | None = None
    unsure: frozenset[str] = frozenset()

    def covers(self, key: str, start: datetime | None) -> bool:
        """Whether an item with this key and start is inside the snapshot."""
        if self.start is not None or self.end is not None:
            if start is None:
                return False
            if self.start is not None and start < self.start:
                return False
            if self.end is not None and start >= self.end:
                return False
        return not any(key == u or (u.endswith("/") and key.startswith(u)) for u in self.unsure)


@dataclass(frozen=True)
class SourceOutput:
    """What one source produced: items, warnings (reported, not fatal), or "not modified".

    ``cancelled`` are keys the source says are cancelled (an event with STATUS:CANCELLED, an
    occurrence removed by EXDATE); ``snapshot``, when the source is authoritative, says where
    anything not produced counts as withdrawn. Both leave the stored history in place.
    """

    items: tuple[ContentItem, ...] = ()
    warnings: tuple[str, ...] = ()
    not_modified: bool = False
    cancelled: tuple[str, ...] = ()
    snapshot: Snapshot | None = None


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
    read at all.

    A kind whose output depends on the clock as well as on the document (a calendar expanded
    over a window that moves) sets the class attribute ``keeps_document = True``: gathering then
    keeps the last document read in full and hands it over again after a 304 Not Modified.
    """

    kind: ClassVar[SourceKind]
    options_model: ClassVar[type[SourceOptions]]  # its keys in the [[sources]] table

    async def collect(self, config: SourceConfig, ctx: GatherContext) -> SourceOutput: ...
