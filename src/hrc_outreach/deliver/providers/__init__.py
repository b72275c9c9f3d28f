"""The email providers, one module each, and :func:`provider_for` that builds the configured one.

Adding a provider: its module here (the class, with its own ``settings_model`` for its
``[delivery.<name>]`` table and its idempotency answers), one line in ``_CLASSES``, a test and a
README row.

>>> from hrc_outreach.config import Settings
>>> provider_for(Settings()).name
'outbox'
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from hrc_outreach.config import Settings, secret
from hrc_outreach.deliver.base import Provider
from hrc_outreach.errors import ConfigError

# name -> "module:Class" (imported on demand: a provider's module loads only when used)
_CLASSES: dict[str, str] = {
    "outbox": "hrc_outreach.deliver.providers.outbox:OutboxProvider",
    "brevo": "hrc_outreach.deliver.providers.brevo:BrevoProvider",
    "sendgrid": "hrc_outreach.deliver.providers.sendgrid:SendGridProvider",
    "postmark": "hrc_outreach.deliver.providers.postmark:PostmarkProvider",
    "smtp": "hrc_outreach.deliver.providers.smtp:SmtpProvider",
}
PROVIDERS: tuple[str, ...] = tuple(_CLASSES)
HTTP_PROVIDERS: tuple[str, ...] = ("brevo", "sendgrid", "postmark")


def provider_class(name: str) -> type[Any]:
    """The class of the provider called ``name``."""
    if name not in _CLASSES:
        raise ConfigError(
            f"unknown email provider {name!r}; choose one of {', '.join(PROVIDERS)} "
            "([delivery] provider or HRC_PROVIDER)"
        )
    module, _, cls = _CLASSES[name].partition(":")
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


def provider_for(
    settings: Settings,
    client: httpx.AsyncClient | None = None,
    *,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Provider:
    """The provider ``name`` (default ``[delivery] provider``), with its URL and key from the
    environment (``HRC_<NAME>_BASE_URL``, ``HRC_<NAME>_API_KEY``) or a Prefect Secret block.

    ``client`` is used for HTTP providers; without one, the provider opens its own and closes it
    in ``aclose()``. A missing key raises :class:`ConfigError` naming the variable.
    """
    name = (name or settings.delivery.provider).lower()
    cls = provider_class(name)
    env_d = dict(env) if env is not None else None
    if name in HTTP_PROVIDERS:
        var = f"{name.upper()}_API_KEY"
        key = secret(var, env=env_d)
        if not key:
            raise ConfigError(
                f"provider {name!r} needs an API key: set HRC_{var} (or a Prefect Secret block "
                f"'hrc-{var.lower().replace('_', '-')}')"
            )
        base_url = secret(f"{name.upper()}_BASE_URL", env=env_d) or cls.default_base_url
        return cls(settings, client, base_url=base_url, api_key=key)  # type: ignore[no-any-return]
    if name == "smtp":
        password = None
        if settings.delivery.provider_settings(name, cls.settings_model).username:
            password = secret("SMTP_PASSWORD", env=env_d)
            if not password:
                raise ConfigError(
                    "[delivery.smtp] username is set but HRC_SMTP_PASSWORD is not: set it, or "
                    "empty username for a relay without AUTH"
                )
        return cls(settings, password=password)  # type: ignore[no-any-return]
    return cls(settings, client)  # type: ignore[no-any-return]


def check_settings(settings: Settings) -> None:
    """The ``[delivery]`` provider and every ``[delivery.<provider>]`` table, each read by its
    provider's own model: an unknown provider or key is a :class:`ConfigError` naming it."""
    provider_class(settings.delivery.provider)
    for name in settings.delivery.providers:
        if name not in _CLASSES:
            raise ConfigError(
                f"[delivery.{name}]: no provider is called {name!r} "
                f"(providers: {', '.join(PROVIDERS)})"
            )
        settings.delivery.provider_settings(name, provider_class(name).settings_model)


__all__ = ["HTTP_PROVIDERS", "PROVIDERS", "check_settings", "provider_class", "provider_for"]


@asynccontextmanager
async def open_provider(settings: Settings, *, name: str | None = None) -> AsyncIterator[Provider]:
    """:func:`provider_for`, closed when the block ends.

    >>> async with open_provider(settings) as provider:  # doctest: +SKIP
    ...     await provider.send(batch)
    """
    provider = provider_for(settings, name=name)
    try:
        yield provider
    finally:
        await provider.aclose()
