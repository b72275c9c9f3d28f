"""The web app served by a real uvicorn on 127.0.0.1 (in a thread), with a fresh SQLite store,
a known token secret, webhook credentials and the outbox in a temporary folder."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.store import Store

SECRET = "web-test-secret-0123456789abcdef"
POSTMARK_AUTH = ("postmark-hook", "pm-password-123")
BREVO_AUTH = ("brevo-hook", "brevo-password-123")
BREVO_TOKEN = "brevo-bearer-token-0123456789"


@dataclass
class Served:
    """A running app: its URL, settings, store and the SendGrid signing key."""

    url: str
    settings: Settings
    store: Store
    sendgrid_key: ec.EllipticCurvePrivateKey
    outbox: Path

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, **kwargs)  # type: ignore[arg-type]


def start_server(app: object) -> tuple[str, uvicorn.Server, threading.Thread]:
    """Serve ``app`` on a free 127.0.0.1 port in a thread; (url, server, thread)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    key = ec.generate_private_key(ec.SECP256R1())
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    env = {
        "HRC_TOKEN_SECRET": SECRET,
        "HRC_SENDGRID_WEBHOOK_PUBLIC_KEY": base64.b64encode(public_der).decode(),
        "HRC_POSTMARK_WEBHOOK_USER": POSTMARK_AUTH[0],
        "HRC_POSTMARK_WEBHOOK_PASSWORD": POSTMARK_AUTH[1],
        "HRC_BREVO_WEBHOOK_USER": BREVO_AUTH[0],
        "HRC_BREVO_WEBHOOK_PASSWORD": BREVO_AUTH[1],
        "HRC_BREVO_WEBHOOK_TOKEN": BREVO_TOKEN,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    from hrc_outreach.web.app import create_app

    outbox = tmp_path / "outbox"
    settings = load_settings(
        env={},
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"},
        out_dir=str(tmp_path / "out"),
        delivery={"outbox_dir": str(outbox)},
        web={"base_url": "https://news.example.org"},
    )
    store = Store(settings.database_url)
    app = create_app(settings, store=store)
    url, server, thread = start_server(app)
    try:
        yield Served(url=url, settings=settings, store=store, sendgrid_key=key, outbox=outbox)
    finally:
        server.should_exit = True
        thread.join(10)
        store.dispose()
