"""A typo in outreach.toml stops the web app at startup, naming the key: the app factory, uvicorn's
factory mode (what every ``hrc-outreach serve`` worker runs) and ``hrc-outreach serve`` run the
checks the CLI runs (every ``[delivery.<provider>]`` table, every ``[[sources]]`` table's options),
instead of failing later, on the first request that reads the table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hrc_outreach.config import load_settings
from hrc_outreach.errors import ConfigError
from hrc_outreach.web.app import create_app

SECRET = "web-test-secret-0123456789abcdef"

# (what the file says wrong, what the error must name)
BAD = {
    "provider-typo": ("[delivery.smtp]\nprot = 25\n", "[delivery.smtp]: unknown key 'prot'"),
    "provider-value": ('[delivery.brevo]\nlist_unsubscribe = "header"\n', "[delivery.brevo]"),
    "no-such-provider": ('[delivery.mailchump]\napi_key = "k"\n', "[delivery.mailchump]"),
    "source-typo": (
        '[[sources]]\nname = "news"\nkind = "feed"\npath = "news.xml"\nbase_ulr = "x"\n',
        "source 'news' (feed): unknown key 'base_ulr'",
    ),
    "source-value": (
        '[[sources]]\nname = "cal"\nkind = "ical"\npath = "e.ics"\nwindow_days = "soon"\n',
        "source 'cal' (ical)",
    ),
    "disabled-source-typo": (
        '[[sources]]\nname = "old"\nkind = "markdown"\npath = "md"\nenabled = false\n'
        'baseurl = "x"\n',
        "source 'old' (markdown): unknown key 'baseurl'",
    ),
}


def _config(tmp_path: Path, bad: str) -> Path:
    cfg = tmp_path / "outreach.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n{bad}', encoding="utf-8")
    return cfg


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("case", sorted(BAD))
def test_the_app_factory_refuses_a_bad_config_naming_the_key(tmp_path: Path, case: str) -> None:
    bad, named = BAD[case]
    settings = load_settings(_config(tmp_path, bad), env={})  # the top level reads fine
    with pytest.raises(ConfigError) as raised:
        create_app(settings)
    assert named in _flat(str(raised.value))
    assert not (tmp_path / "store.db").exists(), "refused before the store is opened"


def test_the_app_factory_takes_a_good_config(tmp_path: Path) -> None:
    good = '[delivery.smtp]\nport = 2525\n[[sources]]\nname = "news"\nkind = "feed"\npath = "n"\n'
    app = create_app(load_settings(_config(tmp_path, good), env={}))
    assert app.state.settings.delivery.provider == "outbox"
    app.state.store.dispose()


def _env(cfg: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HRC_", "PREFECT_API"))}
    return {**env, "HRC_CONFIG": str(cfg), "HRC_TOKEN_SECRET": SECRET}


def _ends(cmd: list[str], cfg: Path) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``: it must end by itself (a server that starts is killed and the test fails)."""
    try:
        return subprocess.run(
            cmd, env=_env(cfg), cwd=cfg.parent, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{cmd[:4]} started serving a bad configuration") from exc


@pytest.mark.parametrize("case", ["provider-typo", "source-typo"])
def test_uvicorn_factory_mode_exits_at_startup_naming_the_key(tmp_path: Path, case: str) -> None:
    bad, named = BAD[case]
    cfg = _config(tmp_path, bad)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "hrc_outreach.web.app:app_from_env"]
    done = _ends([*cmd, "--host", "127.0.0.1", "--port", "0"], cfg)
    assert done.returncode != 0
    assert named in _flat(done.stderr)
    assert "Traceback" not in done.stderr, "a clear error, not a traceback"


def test_serve_exits_at_startup_naming_the_key(tmp_path: Path) -> None:
    bad, named = BAD["source-typo"]
    cfg = _config(tmp_path, bad)
    exe = Path(sys.executable).parent / "hrc-outreach"
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "hrc_outreach.cli"]
    done = _ends([*cli, "serve", "--host", "127.0.0.1", "--port", "0"], cfg)
    assert done.returncode == 1
    assert named in _flat(done.stderr)
