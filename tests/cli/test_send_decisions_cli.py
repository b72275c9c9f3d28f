"""`edition send` refuses contradictory decisions about failed or in-doubt recipients at once:
exit 1 naming both options, before any draft is read and with nothing sent or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app

KEY = "2026-12"
ENV = {"HRC_TOKEN_SECRET": "cli-send-decisions-secret-0123456789"}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cfg = tmp_path / "outreach.toml"
    cfg.write_text(
        f'out_dir = "out"\n[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
        '[i18n]\nlanguages = ["en"]\n[delivery]\nprovider = "outbox"\n',
        encoding="utf-8",
    )
    return cfg


@pytest.mark.parametrize(
    ("both", "named"),
    [
        (
            ("--resend-in-doubt", "--mark-in-doubt-sent"),
            "--resend-in-doubt and --mark-in-doubt-sent",
        ),
        (("--retry-failed", "--give-up-failed"), "--retry-failed and --give-up-failed"),
    ],
)
@pytest.mark.parametrize("dry_run", [(), ("--dry-run",)])
def test_contradictory_decisions_end_the_send_before_anything_is_read(
    config: Path, both: tuple[str, str], named: str, dry_run: tuple[str, ...]
) -> None:
    r = CliRunner().invoke(
        app, ["--config", str(config), "edition", "send", KEY, *both, *dry_run], env=ENV
    )
    assert r.exit_code == 1, r.output
    assert f"choose one of {named}" in r.stderr
    # the edition has no draft: the decisions were refused before the drafts were looked for
    assert "draft" not in r.stderr
    # nothing written: not even the store is created (a send without a draft creates it)
    assert sorted(p.name for p in config.parent.iterdir()) == ["outreach.toml"]
