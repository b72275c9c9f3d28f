"""Source kinds by name. Adding a kind: its module, its test, one line here, a README row."""

from __future__ import annotations

import importlib

from hrc_outreach.config import Settings, SourceConfig, SourceKind
from hrc_outreach.errors import ConfigError
from hrc_outreach.sources.base import Source, SourceOptions, read_options

_MODULES: dict[SourceKind, str] = {
    SourceKind.FEED: "hrc_outreach.sources.feed:FeedSource",
    SourceKind.ICAL: "hrc_outreach.sources.ical:ICalSource",
    SourceKind.WORDPRESS: "hrc_outreach.sources.wordpress:WordPressSource",
    SourceKind.SPREADSHEET: "hrc_outreach.sources.spreadsheet:SpreadsheetSource",
    SourceKind.MARKDOWN: "hrc_outreach.sources.markdown:MarkdownSource",
    SourceKind.DIGEST: "hrc_outreach.sources.digest:DigestSource",
}


def source_for(kind: SourceKind | str) -> Source:
    """An instance of the source class for ``kind``."""
    try:
        target = _MODULES[SourceKind(kind)]
    except (KeyError, ValueError) as exc:
        known = ", ".join(k.value for k in SourceKind)
        raise ConfigError(f"unknown source kind {kind!r} (known: {known})") from exc
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)()  # type: ignore[no-any-return]


def options_for(config: SourceConfig) -> SourceOptions:
    """The source's kind-specific keys, read by its kind's own options model.

    Raises :class:`ConfigError` naming the source and the key (a typo, a wrong value).
    """
    return read_options(config, source_for(config.kind).options_model)


def check_sources(settings: Settings) -> None:
    """Every configured source's options (disabled ones too); one ConfigError saying all that is
    wrong, source by source."""
    problems = []
    for config in settings.sources:
        try:
            options_for(config)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("; ".join(problems))
