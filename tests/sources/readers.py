"""A tiny file Reader for source tests (the production Reader is sources/fetch.py's HttpReader)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hrc_outreach.config import Settings, SourceConfig
from hrc_outreach.errors import SourceError
from hrc_outreach.sources.base import Document, GatherContext


class FileReader:
    """Reads a source's ``path`` from disk, relative to the settings' base folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.reads = 0

    async def read(self, config: SourceConfig) -> Document | None:
        if config.path is None:
            raise SourceError("FileReader reads files only", source=config.name)
        path = self.settings.resolve(config.path)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc}", source=config.name) from exc
        self.reads += 1
        return Document(content=content, base_url=path.resolve().as_uri())

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        raise SourceError(f"FileReader cannot GET {url}")


NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def context_for(base: Path, now: datetime = NOW, **settings: Any) -> GatherContext:
    """A GatherContext whose relative paths resolve under ``base``."""
    s = Settings(config_path=base / "outreach.toml", **settings)
    return GatherContext(settings=s, reader=FileReader(s), now=now)
