"""Each provider reads its own ``[delivery.<name>]`` table, declared in its module: a typo is an
error naming the table and the key; the flat keys of old still work, with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.config import Settings, load_settings
from hrc_outreach.deliver.providers import PROVIDERS, check_settings, provider_class, provider_for
from hrc_outreach.deliver.providers.postmark import PostmarkProvider
from hrc_outreach.deliver.providers.smtp import SmtpProvider
from hrc_outreach.errors import ConfigError


def load(tmp_path: Path, toml: str, env: dict[str, str] | None = None) -> Settings:
    cfg = tmp_path / "outreach.toml"
    cfg.write_text(toml, encoding="utf-8")
    return load_settings(cfg, env=env or {})


def test_a_provider_table_reaches_the_provider(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        '[delivery]\nprovider = "smtp"\n[delivery.smtp]\nhost = "relay.example.org"\nport = 2525\n'
        '[delivery.postmark]\nstream = "news"\n',
    )
    check_settings(settings)
    smtp = SmtpProvider(settings)
    assert (smtp.options.host, smtp.options.port, smtp.options.ssl) == (
        "relay.example.org",
        2525,
        False,
    )
    assert PostmarkProvider(settings, api_key="k").options.stream == "news"


def test_the_environment_reaches_a_provider_table(tmp_path: Path) -> None:
    settings = load(tmp_path, "", env={"HRC_DELIVERY__SMTP__PORT": "2526"})
    assert SmtpProvider(settings).options.port == 2526


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_typo_in_any_provider_table_is_an_error_naming_it(tmp_path: Path, provider: str) -> None:
    settings = load(
        tmp_path, f'[delivery]\nprovider = "{provider}"\n[delivery.{provider}]\nhots = 1\n'
    )
    with pytest.raises(ConfigError, match=rf"\[delivery\.{provider}\]: unknown key 'hots'"):
        check_settings(settings)
    with pytest.raises(ConfigError, match="hots"):
        provider_for(settings, env={f"HRC_{provider.upper()}_API_KEY": "k"})


def test_a_wrong_value_names_the_key(tmp_path: Path) -> None:
    settings = load(tmp_path, '[delivery.brevo]\nlist_unsubscribe = "header"\n')
    with pytest.raises(ConfigError, match=r"\[delivery\.brevo\]: list_unsubscribe: "):
        check_settings(settings)


def test_a_table_for_no_provider_is_an_error(tmp_path: Path) -> None:
    settings = load(tmp_path, '[delivery.smtpp]\nhost = "x"\n')
    with pytest.raises(ConfigError, match=r"\[delivery\.smtpp\]: no provider is called 'smtpp'"):
        check_settings(settings)


def test_an_unknown_provider_is_an_error(tmp_path: Path) -> None:
    settings = load(tmp_path, '[delivery]\nprovider = "mailgun"\n')
    with pytest.raises(ConfigError, match="unknown email provider 'mailgun'"):
        check_settings(settings)


def test_a_flat_typo_in_delivery_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="smtp_hots"):
        load(tmp_path, '[delivery]\nsmtp_hots = "x"\n')


def test_the_flat_keys_of_old_still_work_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(
        FutureWarning,
        match=r"smtp_host -> \[delivery\.smtp\] host; smtp_port -> \[delivery\.smtp\] port",
    ):
        settings = load(tmp_path, '[delivery]\nsmtp_host = "old.example.org"\nsmtp_port = 587\n')
    assert (SmtpProvider(settings).options.host, SmtpProvider(settings).options.port) == (
        "old.example.org",
        587,
    )
    with pytest.warns(FutureWarning, match="postmark_stream"):
        settings = Settings(delivery={"postmark_stream": "old"})
    assert PostmarkProvider(settings, api_key="k").options.stream == "old"


def test_the_table_wins_over_a_flat_key(tmp_path: Path) -> None:
    with pytest.warns(FutureWarning):
        settings = load(tmp_path, "[delivery]\nsmtp_port = 587\n[delivery.smtp]\nport = 465\n")
    assert SmtpProvider(settings).options.port == 465


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_declares_its_settings_and_answers(provider: str) -> None:
    cls = provider_class(provider)
    assert cls.settings_model.model_config.get("extra") == "forbid"
    assert isinstance(cls.idempotent, bool)
    assert cls.idempotency_window_seconds >= 0
    assert callable(cls.lookup)


def test_the_cli_refuses_a_typo_before_doing_anything(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hrc_outreach.cli import app

    cfg = tmp_path / "outreach.toml"
    cfg.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n[delivery.smtp]\nprot = 25\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["--config", str(cfg), "edition", "report", "2026-12"])
    assert result.exit_code == 1
    assert "[delivery.smtp]: unknown key 'prot'" in " ".join(result.output.split())
