"""A staff working directory for CLI tests: outreach.toml over a SQLite store with items in it.

>>> config = write_config(tmp_path, ("en", "fr"))
>>> store_with(tmp_path / "store.db", leuven_news()).dispose()
>>> cli(config, "edition", "draft", "-e", "2026-12")
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner, Result

from hrc_outreach.cli import app
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items


def write_config(
    home: Path,
    languages: Sequence[str],
    *,
    db: Path | None = None,
    i18n: str = "",
    delivery: bool = True,
    extra: str = "",
) -> Path:
    """``home/outreach.toml``: out/, the store at ``db`` (default ``home/store.db``), ``languages``
    (plus ``i18n`` lines), editions/, the outbox provider in outbox/ (unless not ``delivery``),
    then ``extra`` sections."""
    langs = ", ".join(f'"{lang}"' for lang in languages)
    config = home / "outreach.toml"
    config.write_text(
        f'out_dir = "out"\n[store]\nurl = "sqlite:///{db or home / "store.db"}"\n'
        f"[i18n]\nlanguages = [{langs}]\n"
        + (f"{i18n}\n" if i18n else "")
        + '[newsletter]\neditions_dir = "editions"\n'
        + ('[delivery]\noutbox_dir = "outbox"\n' if delivery else "")
        + extra,
        encoding="utf-8",
    )
    return config


def leuven_news(url: str = "https://humanrightscities.net/news/leuven") -> ContentItem:
    """One English news item, published 2026-11-15: enough for the 2026-12 edition."""
    return ContentItem(
        id=item_id("news", "leuven"),
        source="news",
        source_key="leuven",
        kind=ItemKind.NEWS,
        title="Leuven joins the network",
        summary="<p>Our newest human rights city.</p>",
        url=url,
        language="en",
        published_at=datetime(2026, 11, 15, tzinfo=UTC),
    )


def store_with(db: Path, *items: ContentItem) -> Store:
    """The SQLite store at ``db`` (created if new) holding ``items``; the caller disposes of it."""
    store = Store(f"sqlite:///{db}")
    with store.session() as s:
        upsert_items(s, list(items))
    return store


def cli(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """The real Typer app run with ``--config config`` and ``args``."""
    return CliRunner().invoke(app, ["--config", str(config), *args], env=env)


def flat(text: str) -> str:
    """``text`` with all whitespace runs as one space (Rich wraps long lines)."""
    return " ".join(text.split())
