"""Machine translators behind one protocol, and the factory that builds one from the settings.

Adding an engine: a module here with a class implementing
:class:`~hrc_outreach.i18n.translators.base.Translator`, and one line in :data:`ENGINES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from hrc_outreach.errors import ConfigError
from hrc_outreach.i18n.translators.base import Translator, batches
from hrc_outreach.i18n.translators.deepl import DeepLTranslator
from hrc_outreach.i18n.translators.libretranslate import LibreTranslateTranslator


def _deepl(client: httpx.Client, settings: Any, env: dict[str, str] | None) -> Translator:
    from hrc_outreach.config import secret

    key = secret("DEEPL_API_KEY", env=env)
    if not key:
        raise ConfigError(
            "i18n.translator is 'deepl' but no DeepL key is set: set HRC_DEEPL_API_KEY "
            "(or a Prefect Secret block 'hrc-deepl-api-key'), or set i18n.translator = 'none'"
        )
    return DeepLTranslator(
        client, key, secret("DEEPL_BASE_URL", env=env), formality=settings.i18n.formality,
        retries=settings.fetch.retries, backoff=settings.fetch.backoff_seconds,
    )


def _libretranslate(client: httpx.Client, settings: Any, env: dict[str, str] | None) -> Translator:
    from hrc_outreach.config import secret

    url = secret("LIBRETRANSLATE_BASE_URL", env=env)
    if not url:
        raise ConfigError(
            "i18n.translator is 'libretranslate' but HRC_LIBRETRANSLATE_BASE_URL is not set "
            "(e.g. http://localhost:5000); set it, or set i18n.translator = 'none'"
        )
    return LibreTranslateTranslator(
        client, url, secret("LIBRETRANSLATE_API_KEY", env=env),
        retries=settings.fetch.retries, backoff=settings.fetch.backoff_seconds,
    )


ENGINES: dict[str, Callable[[httpx.Client, Any, dict[str, str] | None], Translator]] = {
    "deepl": _deepl,
    "libretranslate": _libretranslate,
}


def translator_from_settings(
    settings: Any, client: httpx.Client | None = None, *, env: dict[str, str] | None = None
) -> Translator | None:
    """The translator ``settings.i18n.translator`` names (None for ``none``).

    Without ``client`` one is made with the fetch timeout; the caller may close it via
    ``translator.client.close()``. Raises ConfigError when the engine's key or URL is missing.
    """
    engine = settings.i18n.translator
    if engine == "none":
        return None
    if engine not in ENGINES:
        raise ConfigError(f"unknown i18n.translator {engine!r}; known: none, {', '.join(ENGINES)}")
    if client is None:
        client = httpx.Client(timeout=settings.fetch.timeout_seconds,
                              headers={"User-Agent": settings.fetch.user_agent})
    return ENGINES[engine](client, settings, env)


__all__ = [
    "ENGINES",
    "DeepLTranslator",
    "LibreTranslateTranslator",
    "Translator",
    "batches",
    "translator_from_settings",
]
