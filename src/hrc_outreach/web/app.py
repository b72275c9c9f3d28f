"""The web app: public subscriber pages, provider webhooks, the staff area, ``/healthz``.

Routes are thin: they parse, call a library function, render a template. Nothing that matters
lives in process memory (tokens are signed, CSRF is a signed double submit, throttling counters
are in the store), so several uvicorn workers and several hosts behind a proxy serve the same app.

>>> app = create_app(load_settings())        # doctest: +SKIP
>>> uvicorn.run(app)                          # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.errors import ConfigError
from hrc_outreach.paths import TEMPLATES_DIR
from hrc_outreach.store import Store, open_store
from hrc_outreach.web.limits import BodyLimit
from hrc_outreach.web.security import SecurityHeaders
from hrc_outreach.web.webhooks import WebhookCredentials

STATIC_DIR = TEMPLATES_DIR / "web" / "static"


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """The FastAPI app for ``settings`` (the store is opened, and migrated, unless given).

    The configuration is checked first, as the CLI checks it: a typo in a provider's table or a
    source's options is a ConfigError naming it, at startup rather than on the request that
    reads it."""
    from hrc_outreach.pipeline import check_config

    check_config(settings)
    own_store = store is None
    the_store = store if store is not None else open_store(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if own_store:
                the_store.dispose()

    app = FastAPI(
        title="hrc-outreach",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.webhook_credentials = WebhookCredentials.from_secrets()
    app.add_middleware(BodyLimit)  # inside SecurityHeaders: a 413 carries the headers too
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
    def healthz() -> PlainTextResponse:
        """For a load balancer: the process answers (the store is not queried)."""
        return PlainTextResponse("ok")

    from hrc_outreach.web import public, webhooks
    from hrc_outreach.web.staff import router as staff_router

    app.include_router(public.router)
    app.include_router(webhooks.router)
    app.include_router(staff_router)
    public.mount_archive(app, settings)
    return app


CONFIG_ENV = "HRC_CONFIG"


def app_from_env() -> FastAPI:
    """The app for uvicorn's factory mode (``hrc-outreach serve``): settings from ``HRC_CONFIG``
    (or ./outreach.toml) and the ``HRC_*`` environment, so every worker builds the same app."""
    path = os.environ.get(CONFIG_ENV)
    try:
        return create_app(load_settings(Path(path) if path else None))
    except ConfigError as exc:  # the worker ends with the reason, not a traceback
        raise SystemExit(f"error: {exc}") from None
