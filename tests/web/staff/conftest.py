"""The staff pages against a real server: the sample edition gathered and drafted into a temporary
store (en, fr, ar; a French machine translation remembered as DeepL's), three staff accounts, and
the app served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.paths import PROJECT_ROOT
from tests.support.run_env import writes_under

EDITION = "2026-12"
LANGS = ["en", "fr", "ar"]
GATHERED_AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
ACCOUNTS = {"editor": "ed@example.org", "approver": "ap@example.org", "admin": "ad@example.org"}
NAMES = {"editor": "Eda Editor", "approver": "Ana Approver", "admin": "Adi Admin"}
MACHINE_FR = "Titre traduit par la machine"


def environment(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings from the project's outreach.toml with everything written under ``tmp``."""
    import shutil

    editions = tmp / "editions"
    shutil.copytree(PROJECT_ROOT / "editions", editions)
    writes_under(tmp, monkeypatch, secret="staff-test-secret-0123456789abcdef")
    monkeypatch.setenv("HRC_NEWSLETTER__EDITIONS_DIR", str(editions))
    monkeypatch.setenv("HRC_LANGUAGES", ",".join(LANGS))
    monkeypatch.setenv("HRC_APPROVAL__POLL_SECONDS", "1")
    return load_settings(PROJECT_ROOT / "outreach.toml")


def prepare(settings: Settings, *, draft: bool = True) -> str:
    """Gather the samples, remember a French machine translation of one title, add the staff
    accounts, draft the edition; the id of the machine-translated item."""
    from hrc_outreach.i18n import memory
    from hrc_outreach.i18n.po import load_edition
    from hrc_outreach.pipeline import draft as draft_edition
    from hrc_outreach.sources.gather import gather_sync
    from hrc_outreach.staff import add_staff
    from hrc_outreach.store import Store

    store = Store(settings.database_url)
    try:
        assert gather_sync(settings, store, now=GATHERED_AT).ok
        edition = load_edition(store, settings, EDITION)
        item = edition.items[0]
        with store.session() as s:
            # both fields: a half-translated item is shown whole in its source language
            pairs = {item.title: MACHINE_FR, item.summary: f"<p>{MACHINE_FR} (résumé)</p>"}
            memory.record(s, pairs, source_lang="en", target="fr", engine="deepl")
        for role, email in ACCOUNTS.items():
            add_staff(store, email, name=NAMES[role], role=role, password=PASSWORD)
    finally:
        store.dispose()
    if draft:
        draft_edition(settings, EDITION, LANGS)
    return item.id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    settings: Settings
    item: str


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app under uvicorn in a thread on 127.0.0.1; yields its base URL."""
    import uvicorn

    from hrc_outreach.web.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    mp = pytest.MonkeyPatch()
    try:
        settings = environment(tmp_path_factory.mktemp("staff"), mp)
        item = prepare(settings)
        with serve(settings) as url:
            yield Served(url=url, settings=settings, item=item)
    finally:
        mp.undo()


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def login(url: str, role: str) -> httpx.Client:
    """An httpx client signed in as the account of ``role``."""
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    page = client.get("/staff/login")
    assert page.status_code == 200
    r = client.post(
        "/staff/login",
        data={
            "email": ACCOUNTS[role],
            "password": PASSWORD,
            "csrf": csrf_of(page.text),
            "next": "/staff/",
        },
    )
    assert r.status_code == 303, r.text
    return client
