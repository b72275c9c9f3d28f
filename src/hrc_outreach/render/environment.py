"""The Jinja2 environment for every template: autoescape on for markup, gettext for the chrome.

One environment per language (cached): ``jinja2.ext.i18n`` with newstyle gettext, installed from
:func:`hrc_outreach.i18n.catalog.translations_for` before any template is compiled (FACTS.md).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined
from jinja2.bccache import Bucket

from hrc_outreach.i18n.catalog import translations_for
from hrc_outreach.paths import TEMPLATES_DIR

_MARKUP_SUFFIXES = (".mjml.j2", ".html.j2", ".xml.j2")


def _autoescape(name: str | None) -> bool:
    # MJML and HTML are escaped (a stray "<" breaks MJML parsing); plain-text templates are not.
    return bool(name) and str(name).endswith(_MARKUP_SUFFIXES)


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by every language's environment: the compiled code does not
    depend on the catalog (gettext is looked up when rendering), so each template is compiled once
    per process, not once per language."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


@lru_cache(maxsize=32)
def environment(lang: str, templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The template environment for ``lang`` (chrome strings from that language's catalog)."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=_autoescape,
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_BYTECODE,
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.install_gettext_translations(translations_for(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def gettext(lang: str, message: str, **variables: object) -> str:
    """A chrome string in ``lang`` from Python code, e.g. ``gettext("fr", "Upcoming events")``."""
    text = translations_for(lang).gettext(message)
    return text % variables if variables else text
