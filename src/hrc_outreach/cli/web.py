"""``hrc-outreach serve``: the web app (public pages, webhooks, staff area) under uvicorn."""

from __future__ import annotations

import os

import typer

from hrc_outreach.cli.apps import app, fail, settings


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
    proxy_headers: bool = typer.Option(
        True,
        help="Trust X-Forwarded-For/-Proto from the addresses in FORWARDED_ALLOW_IPS (default "
        "127.0.0.1): the subscribe throttle counts the real client behind a proxy.",
    ),
) -> None:
    """Serve the web app with uvicorn; links point to ``web.base_url``."""
    import uvicorn

    s = settings()  # fail here, with a clear message, rather than in every worker
    if s.config_path is not None:
        os.environ["HRC_CONFIG"] = str(s.config_path)  # what each worker's app_from_env reads
    from hrc_outreach.audience.links import token_secret
    from hrc_outreach.errors import OutreachError

    try:
        token_secret(s)  # refuse to start without a usable token secret
    except OutreachError as exc:
        fail(str(exc))
    uvicorn.run(
        "hrc_outreach.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # uvicorn's access log prints paths, i.e. tokens: ours redacts them
        proxy_headers=proxy_headers,
        log_level="info",
    )
