from __future__ import annotations

import os
import stat
from pathlib import Path
from urllib.parse import unquote

import pytest

from hrc_outreach.audience.links import (
    list_unsubscribe_headers,
    recipient_params,
    token_secret,
    unsubscribe_mailto,
)
from hrc_outreach.audience.tokens import read_token
from hrc_outreach.config import DeliverySettings, Settings, StoreSettings, WebSettings
from hrc_outreach.errors import ConfigError
from hrc_outreach.models import PLACEHOLDERS


@pytest.fixture
def no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HRC_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)


def test_params_fill_every_placeholder_with_working_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRC_TOKEN_SECRET", "s" * 32)
    cfg = Settings(web=WebSettings(base_url="https://example.org/news/"))
    params = recipient_params(
        cfg, subscriber_id=77, email="a@example.org", name="Ana", lang="pt_PT"
    )
    assert set(params) == set(PLACEHOLDERS)
    assert params["name"] == "Ana" and params["email"] == "a@example.org"
    u = params["unsubscribe_url"]
    assert u.startswith("https://example.org/news/u/")
    assert read_token(b"s" * 32, "unsubscribe", u.rsplit("/", 1)[1]) == 77
    p = params["preferences_url"]
    assert p.startswith("https://example.org/news/p/")
    assert read_token(b"s" * 32, "preferences", p.rsplit("/", 1)[1]) == 77


def test_mailto_and_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRC_TOKEN_SECRET", "s" * 32)
    cfg = Settings()
    mailto = unsubscribe_mailto(cfg, subscriber_id=3)
    assert mailto.startswith("mailto:unsubscribe@humanrightscities.net?subject=unsubscribe")
    token = unquote(mailto.split("subject=")[1]).split(" ")[1]
    assert read_token(b"s" * 32, "unsubscribe", token) == 3
    headers = list_unsubscribe_headers(cfg, subscriber_id=3)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        headers["List-Unsubscribe"].startswith("<https://")
        and "<mailto:" in headers["List-Unsubscribe"]
    )


def test_outbox_generates_a_private_secret_once(tmp_path: Path, no_secret: None) -> None:
    cfg = Settings(store=StoreSettings(url=f"sqlite:///{tmp_path}/var/outreach.db"))
    first = token_secret(cfg)
    path = tmp_path / "var" / "token-secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert token_secret(cfg) == first and len(first) >= 32


def test_real_provider_without_secret_is_refused(tmp_path: Path, no_secret: None) -> None:
    cfg = Settings(
        store=StoreSettings(url=f"sqlite:///{tmp_path}/o.db"),
        delivery=DeliverySettings(provider="brevo"),
    )
    with pytest.raises(ConfigError, match="HRC_TOKEN_SECRET"):
        token_secret(cfg)
    assert not (tmp_path / "token-secret").exists()


def test_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRC_TOKEN_SECRET", "short")
    with pytest.raises(ConfigError, match="at least 16"):
        token_secret(Settings())
