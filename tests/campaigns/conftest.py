"""A copy of the sample campaign and the project's settings on a temporary store and outbox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hrc_outreach.audience.importer import import_csv
from hrc_outreach.config import Settings, load_settings
from hrc_outreach.paths import PROJECT_ROOT, SUBSCRIBERS_DIR
from hrc_outreach.store import open_store

SAMPLE = PROJECT_ROOT / "campaigns" / "eu-elections"


@pytest.fixture
def campaign_dir(tmp_path: Path) -> Path:
    d = tmp_path / "campaigns" / "eu-elections"
    shutil.copytree(SAMPLE, d)
    return d


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The project's outreach.toml with the example subscribers in a temporary store."""
    monkeypatch.setenv("HRC_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("HRC_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("HRC_DELIVERY__OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("HRC_DELIVERY__PROVIDER", "outbox")
    monkeypatch.setenv("HRC_TOKEN_SECRET", "campaign-test-secret-0123456789abcdef")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    cfg = load_settings(PROJECT_ROOT / "outreach.toml")
    store = open_store(cfg)
    with store.session() as s:
        import_csv(s, cfg, SUBSCRIBERS_DIR / "example.csv", source="test")
    store.dispose()
    return cfg


def outbox_recipients(settings: Settings, key: str) -> dict[str, str]:
    """address -> language of the outbox messages of ``key`` (one file per recipient; the
    message's call-to-action variant, ``@BE``, left out: see :func:`outbox_messages`)."""
    from email import message_from_bytes

    root = settings.resolve(settings.delivery.outbox_dir) / key
    out: dict[str, str] = {}
    for f in sorted(root.glob("*.eml")) if root.is_dir() else []:
        msg = message_from_bytes(f.read_bytes())
        assert str(msg["To"]).count("@") == 1
        out[str(msg["To"]).split("<")[-1].rstrip(">")] = f.name.split("-")[1].split("@")[0]
    return out


def outbox_messages(settings: Settings, key: str) -> dict[str, str]:
    """address -> the whole plain-text body each recipient of ``key`` got in the outbox."""
    from email import message_from_bytes, policy

    root = settings.resolve(settings.delivery.outbox_dir) / key
    out: dict[str, str] = {}
    for f in sorted(root.glob("*.eml")) if root.is_dir() else []:
        msg = message_from_bytes(f.read_bytes(), policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        assert body is not None
        out[str(msg["To"]).split("<")[-1].rstrip(">")] = body.get_content()
    return out


def unsubscribe_email(settings: Settings, email: str) -> None:
    """``email`` unsubscribes through its own unsubscribe link's token."""
    from sqlalchemy import select

    from hrc_outreach.audience.consent import unsubscribe
    from hrc_outreach.audience.links import links_for
    from hrc_outreach.audience.tokens import make_token
    from hrc_outreach.store.tables import SubscriberRow

    store = open_store(settings)
    try:
        with store.session() as s:
            sid = s.scalar(select(SubscriberRow.id).where(SubscriberRow.email == email))
            assert sid is not None
            unsubscribe(s, settings, make_token(links_for(settings).secret, "unsubscribe", sid))
    finally:
        store.dispose()
