"""Each source kind declares its own options: a typo or a wrong value in a ``[[sources]]`` table is
a ConfigError naming the source and the key, when the configuration is read and when gathering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import Settings, SourceConfig, SourceKind, load_settings
from hrc_outreach.errors import ConfigError
from hrc_outreach.sources.gather import gather
from hrc_outreach.sources.registry import check_sources, options_for, source_for
from hrc_outreach.store import Store
from tests.conftest import ROOT


def load(tmp_path: Path, sources: str) -> Settings:
    cfg = tmp_path / "outreach.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "s.db"}"\n{sources}', encoding="utf-8")
    return load_settings(cfg, env={})


@pytest.mark.parametrize(
    ("kind", "typo"),
    [
        ("feed", "base_ulr"),
        ("ical", "window_day"),
        ("wordpress", "perpage"),
        ("spreadsheet", "column"),
        ("markdown", "baseurl"),
        ("digest", "publish"),
    ],
)
def test_a_typo_names_the_source_and_the_key(tmp_path: Path, kind: str, typo: str) -> None:
    settings = load(
        tmp_path, f'[[sources]]\nname = "mine"\nkind = "{kind}"\npath = "x"\n{typo} = "1"\n'
    )
    with pytest.raises(ConfigError, match=rf"source 'mine' \({kind}\): unknown key '{typo}'"):
        check_sources(settings)


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [
        ("ical", "window_days", '"soon"'),
        ("ical", "max_events", "1.5"),
        ("wordpress", "max_pages", "[1]"),
        ("spreadsheet", "columns", '"Practice"'),
        ("spreadsheet", "columns", "{ title = 3 }"),
        ("digest", "event", "{ a = 1 }"),
        ("feed", "base_url", "7"),
    ],
)
def test_a_wrong_value_names_the_source_and_the_key(
    tmp_path: Path, kind: str, key: str, value: str
) -> None:
    settings = load(
        tmp_path, f'[[sources]]\nname = "mine"\nkind = "{kind}"\npath = "x"\n{key} = {value}\n'
    )
    with pytest.raises(ConfigError, match=rf"source 'mine' \({kind}\): {key}"):
        check_sources(settings)


def test_every_bad_source_is_named_at_once(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        '[[sources]]\nname = "a"\nkind = "ical"\npath = "x"\nwindow = 3\n'
        '[[sources]]\nname = "ok"\nkind = "feed"\npath = "x"\n'
        '[[sources]]\nname = "b"\nkind = "digest"\npath = "x"\nevnt = "x"\n',
    )
    with pytest.raises(ConfigError) as err:
        check_sources(settings)
    assert "source 'a' (ical): unknown key 'window'" in str(err.value)
    assert "source 'b' (digest): unknown key 'evnt'" in str(err.value)
    assert "'ok'" not in str(err.value)


def test_the_options_are_typed(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        '[[sources]]\nname = "cal"\nkind = "ical"\npath = "x"\nwindow_days = "90"\n'
        'timezone = "Europe/Brussels"\n',
    )
    check_sources(settings)
    options = options_for(settings.source("cal"))
    assert (options.window_days, options.timezone) == (90, "Europe/Brussels")  # type: ignore[attr-defined]


def test_the_shipped_configuration_is_valid() -> None:
    check_sources(load_settings(ROOT / "outreach.toml", env={}))


@pytest.mark.parametrize("kind", list(SourceKind))
def test_every_kind_declares_strict_options(kind: SourceKind) -> None:
    model = source_for(kind).options_model
    assert model.model_config.get("extra") == "forbid"
    assert "base_url" in model.model_fields


def test_gathering_reports_the_typo_and_gathers_the_rest(tmp_path: Path) -> None:
    (tmp_path / "news.xml").write_text(
        "<rss version='2.0'><channel><title>t</title><item><title>A</title>"
        "<link>https://ex.org/a</link><guid>a</guid></item></channel></rss>",
        encoding="utf-8",
    )
    settings = load(
        tmp_path,
        f'[[sources]]\nname = "bad"\nkind = "feed"\npath = "{tmp_path / "news.xml"}"\nbase = "x"\n'
        f'[[sources]]\nname = "good"\nkind = "feed"\npath = "{tmp_path / "news.xml"}"\n',
    )
    store = Store(settings.database_url)
    try:
        report = asyncio.run(gather(settings, store, now=datetime(2026, 12, 1, tzinfo=UTC)))
    finally:
        store.dispose()
    by_name = {r.name: r for r in report.sources}
    assert "unknown key 'base'" in (by_name["bad"].error or "")
    assert by_name["good"].error is None and by_name["good"].new == 1


def test_a_source_config_built_in_code_is_checked_too() -> None:
    config = SourceConfig(name="x", kind=SourceKind.WORDPRESS, url="https://ex.org", per_pag=5)
    with pytest.raises(ConfigError, match="source 'x' \\(wordpress\\): unknown key 'per_pag'"):
        options_for(config)
