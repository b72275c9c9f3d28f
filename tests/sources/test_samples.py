"""The bundled outreach.toml loads, and every sample source it declares gathers cleanly."""

from __future__ import annotations

import asyncio
import re
import tomllib

import httpx
import pytest
from pydantic import BaseModel

from hrc_outreach.config import Settings, SourceConfig, load_settings
from hrc_outreach.sources.base import GatherContext, SourceOutput
from hrc_outreach.sources.fetch import HttpReader
from hrc_outreach.sources.registry import source_for
from tests.conftest import ROOT
from tests.sources.readers import NOW, FileReader

CONFIG = ROOT / "outreach.toml"
SETTINGS = load_settings(CONFIG, env={})
# Commented settings lines ("# key = value" or "# [section]"), not prose.
_SETTING_LINE = re.compile(r"^# (\[[a-z0-9_.]+\]|[a-z_]+ = .*)$")


def test_outreach_toml_declares_every_kind_of_sample() -> None:
    kinds = {s.kind.value for s in SETTINGS.sources}
    assert kinds == {"digest", "markdown", "ical", "feed", "spreadsheet"}
    for source in SETTINGS.sources:
        assert source.path is not None and SETTINGS.resolve(source.path).exists(), source.name


async def _collect_with_production_reader(config: SourceConfig) -> SourceOutput:
    async with httpx.AsyncClient() as client:
        ctx = GatherContext(settings=SETTINGS, reader=HttpReader(client, SETTINGS), now=NOW)
        return await source_for(config.kind).collect(config, ctx)


@pytest.mark.parametrize("name", [s.name for s in SETTINGS.sources])
def test_each_sample_source_gathers_without_warnings(name: str) -> None:
    config = SETTINGS.source(name)
    out = asyncio.run(_collect_with_production_reader(config))
    assert out.warnings == ()
    assert len(out.items) >= 1
    assert all(i.source == name and i.kind.value == config.item_kind for i in out.items)
    for item in out.items:
        for url in (item.url, item.image_url, item.online_url, item.registration_url):
            assert url is None or url.startswith("https://"), url


def test_sample_events_fill_the_december_and_january_editions() -> None:
    config = SETTINGS.source("network-events")
    ctx = GatherContext(settings=SETTINGS, reader=FileReader(SETTINGS), now=NOW)
    items = asyncio.run(source_for(config.kind).collect(config, ctx)).items
    months = {i.start.strftime("%Y-%m") for i in items if i.start}
    assert {"2026-12", "2027-01"} <= months
    assert any(i.timezone == "Europe/Brussels" for i in items)
    assert any(i.online_url for i in items)
    assert sum(1 for i in items if "community-of-practice" in i.source_key) >= 2  # recurring


def test_commented_defaults_in_outreach_toml_are_the_real_defaults() -> None:
    # Only the settings part (the commented [[sources]] examples are not defaults).
    head = CONFIG.read_text(encoding="utf-8").split("[[sources]]")[0]
    data = tomllib.loads("\n".join(line[2:] for line in head.splitlines()
                                   if _SETTING_LINE.match(line)))
    documented = Settings.model_validate(data)
    defaults = Settings()
    # the providers' own tables: each is its provider's defaults, read by its own model
    from hrc_outreach.deliver.providers import provider_class

    for name, table in documented.delivery.providers.items():
        model = provider_class(name).settings_model
        assert model.model_validate(table) == model(), f"[delivery.{name}]"
    documented = documented.model_copy(
        update={"delivery": documented.delivery.model_copy(update={"providers": {}})}
    )
    for section in data:
        assert getattr(documented, section) == getattr(defaults, section), section
    sections = {n for n, v in defaults if isinstance(v, BaseModel)}
    assert sections == set(data), "document every settings section in outreach.toml"
