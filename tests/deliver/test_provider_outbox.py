"""The outbox provider: one parseable .eml per recipient, stable names, registry defaults."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.deliver.providers import PROVIDERS, provider_for
from hrc_outreach.deliver.providers.outbox import OutboxProvider
from hrc_outreach.errors import ConfigError, ProviderError
from tests.support.provider_data import batch, run


def settings_in(tmp_path: Path) -> Settings:
    cfg = tmp_path / "outreach.toml"
    cfg.write_text('[delivery]\noutbox_dir = "mail/outbox"\n', encoding="utf-8")
    return load_settings(cfg, env={})


def test_writes_one_parseable_eml_per_recipient(tmp_path: Path) -> None:
    provider = provider_for(settings_in(tmp_path), env={})
    assert isinstance(provider, OutboxProvider)
    b = batch(3)
    result = run(provider.send(b))
    folder = tmp_path / "mail" / "outbox" / "2026-12"  # resolved against the config's folder
    files = sorted(folder.glob("*.eml"))
    assert [f.name for f in files] == [
        "job3-fr-batch7-sub1.eml", "job3-fr-batch7-sub2.eml", "job3-fr-batch7-sub3.eml",
    ]  # fmt: skip
    assert result.accepted and set(result.message_ids) == {1, 2, 3}
    for f, r in zip(files, b.recipients, strict=True):
        m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        assert m["To"].addresses[0].addr_spec == r.email
        assert m["Message-ID"] == result.message_ids[r.subscriber_id]
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = m.get_body(("plain",))
        assert text is not None and r.params["unsubscribe_url"] in text.get_content()
        assert m["X-HRC-Job"] == "3"
    assert not list(folder.glob(".tmp-*"))


def test_retry_overwrites_instead_of_duplicating(tmp_path: Path) -> None:
    provider = provider_for(settings_in(tmp_path), env={})
    first = run(provider.send(batch(2)))
    second = run(provider.send(batch(2)))
    files = list((tmp_path / "mail" / "outbox" / "2026-12").glob("*.eml"))
    assert len(files) == 2
    assert first.message_ids == second.message_ids  # stable Message-IDs across retries


def test_test_sends_are_named_apart(tmp_path: Path) -> None:
    provider = provider_for(settings_in(tmp_path), env={})
    run(provider.send(batch(1, test=True)))
    (f,) = (tmp_path / "mail" / "outbox" / "2026-12").glob("*.eml")
    assert f.name.startswith("test-")
    m = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
    assert m["Subject"].startswith("[TEST] ")


def test_unwritable_outbox_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    provider = OutboxProvider(Settings(), directory=blocker)
    with pytest.raises(ProviderError, match="outbox_dir"):
        run(provider.send(batch(1)))


def test_registry_names_and_missing_keys() -> None:
    assert PROVIDERS == ("outbox", "brevo", "sendgrid", "postmark", "smtp")
    with pytest.raises(ConfigError, match="HRC_BREVO_API_KEY"):
        provider_for(Settings(), name="brevo", env={})
    with pytest.raises(ConfigError, match="unknown email provider 'mailchimp'"):
        provider_for(Settings(), name="mailchimp", env={})
    with pytest.raises(ConfigError, match="HRC_SMTP_PASSWORD"):
        provider_for(Settings(delivery={"smtp": {"username": "u"}}), name="smtp", env={})


def test_registry_reads_base_url_and_key_from_the_environment() -> None:
    env = {"HRC_POSTMARK_API_KEY": "secret-token", "HRC_POSTMARK_BASE_URL": "http://127.0.0.1:9/"}
    p = provider_for(Settings(), name="postmark", env=env)
    assert p.name == "postmark"
    assert p.base_url == "http://127.0.0.1:9"  # type: ignore[attr-defined]
    assert "secret-token" not in repr(p)
    settings = load_settings(env={"HRC_PROVIDER": "sendgrid", "HRC_SENDGRID_API_KEY": "k"})
    assert provider_for(settings, env={"HRC_SENDGRID_API_KEY": "k"}).name == "sendgrid"
    run(p.aclose())
