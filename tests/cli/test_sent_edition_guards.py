"""Guards around what was sent, through the real Typer app: a re-draft of a sent edition goes to an
"after send" folder and leaves its published archive alone; a dry run of a sent edition says so;
sending refuses languages with subscribers but no approved draft unless staff say
``--fallback-source``; a command run with no outreach.toml says which defaults it uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.store import Store
from tests.support.cli_setup import cli, flat, leuven_news, store_with, write_config
from tests.support.ledger_data import add_subscribers

KEY = "2026-12"


def _setup(tmp_path: Path, languages: tuple[str, ...] = ("en", "fr")) -> Path:
    config = write_config(tmp_path, languages)
    store_with(tmp_path / "store.db", leuven_news()).dispose()
    return config


def _approve(config: Path) -> None:
    show = json.loads(cli(config, "edition", "approve", KEY, "--show", "--json").stdout)
    r = cli(config, "edition", "approve", KEY, "--by", "Ana", "--hashes", show["hashes_arg"])
    assert r.exit_code == 0, r.output


def _sent(tmp_path: Path, config: Path) -> None:
    """Drafted in en and fr, approved, sent to en and fr subscribers."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    add_subscribers(store, 4, ("en", "fr"))
    store.dispose()
    r = cli(config, "edition", "draft", "-e", KEY)
    assert r.exit_code == 0, r.output
    _approve(config)
    r = cli(config, "edition", "send", KEY)
    assert r.exit_code == 0, r.output


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_redraft_of_a_sent_edition_goes_to_an_after_send_folder(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    _sent(tmp_path, config)
    out = tmp_path / "out"
    archive = _tree(out / "archive")
    assert f"en/{KEY}.html" in archive
    drafts_before = _tree(out / "editions" / KEY)
    show_before = json.loads(cli(config, "edition", "approve", KEY, "--show", "--json").stdout)
    # staff change the intro after the send, then draft again
    (tmp_path / "editions").mkdir(exist_ok=True)
    (tmp_path / "editions" / f"{KEY}.md").write_text("A correction after the send.\n", "utf-8")

    r = cli(config, "edition", "draft", "-e", KEY, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    after = out / "editions" / KEY / "after-send"
    assert data["after_send"] is True
    assert [Path(x["path"]) for x in data["languages"]] == [after / "en", after / "fr"]
    assert "A correction after the send." in (after / "en" / "email.html").read_text("utf-8")
    assert "was sent" in flat(r.stderr) and "after-send" in flat(r.stderr)
    # the published archive, the drafts that were sent and what an approval binds to: unchanged
    assert _tree(out / "archive") == archive
    now = _tree(out / "editions" / KEY)
    assert {k: v for k, v in now.items() if not k.startswith("after-send/")} == drafts_before
    show = json.loads(cli(config, "edition", "approve", KEY, "--show", "--json").stdout)
    assert show["hashes"] == show_before["hashes"]
    # the library's draft (the flows, the web app) says it too
    from hrc_outreach.config import load_settings
    from hrc_outreach.pipeline import draft

    summary = draft(load_settings(config), KEY, ["en"])
    assert summary.after_send and summary.out_dir == after
    assert _tree(out / "archive") == archive
    # and the table form says the same
    r = cli(config, "edition", "draft", "-e", KEY)
    assert r.exit_code == 0, r.output
    assert "after-send" in flat(r.stdout + r.stderr)
    assert _tree(out / "archive") == archive


def test_a_dry_run_of_a_sent_edition_says_it_was_sent(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    _sent(tmp_path, config)
    r = cli(config, "edition", "send", KEY, "--dry-run")
    assert r.exit_code == 0, r.output
    assert f"edition {KEY} was sent" in flat(r.stdout + r.stderr)
    r = cli(config, "edition", "send", KEY, "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["sent"] is True and "was sent" in data["sent_note"]


def test_a_dry_run_of_an_unsent_edition_does_not_claim_it_was_sent(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    r = cli(config, "edition", "draft", "-e", KEY)
    assert r.exit_code == 0, r.output
    r = cli(config, "edition", "send", KEY, "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["sent"] is False


def test_send_refuses_languages_with_subscribers_but_no_draft(tmp_path: Path) -> None:
    config = _setup(tmp_path, ("en", "fr", "ar"))
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    add_subscribers(store, 6, ("en", "fr", "ar"))
    store.dispose()
    r = cli(config, "edition", "draft", "-e", KEY, "-l", "en,fr")  # Arabic not drafted
    assert r.exit_code == 0, r.output
    _approve(config)
    r = cli(config, "edition", "send", KEY)
    assert r.exit_code == 1
    err = flat(r.stderr)
    assert "ar (2 subscribers)" in err and "--fallback-source" in err
    assert not (tmp_path / "outbox").exists(), "nothing may be sent"
    r = cli(config, "edition", "send", KEY, "--dry-run")
    assert r.exit_code == 0, r.output
    assert "ar" in flat(r.stdout + r.stderr) and "--fallback-source" in flat(r.stdout + r.stderr)

    r = cli(config, "edition", "send", KEY, "--fallback-source")
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 6


def test_send_refuses_until_the_missing_language_is_drafted_and_approved(tmp_path: Path) -> None:
    config = _setup(tmp_path, ("en", "fr", "ar"))
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    add_subscribers(store, 3, ("en", "fr", "ar"))
    store.dispose()
    assert cli(config, "edition", "draft", "-e", KEY, "-l", "en,fr").exit_code == 0
    _approve(config)
    assert cli(config, "edition", "send", KEY).exit_code == 1
    assert cli(config, "edition", "draft", "-e", KEY, "-l", "ar").exit_code == 0
    r = cli(config, "edition", "send", KEY)  # drafted, not yet approved: refused
    assert r.exit_code == 1 and "not approved: ar" in flat(r.stderr)
    _approve(config)
    r = cli(config, "edition", "send", KEY)
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 3


def test_a_language_nobody_reads_needs_no_draft(tmp_path: Path) -> None:
    config = _setup(tmp_path, ("en", "fr", "ar"))
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    add_subscribers(store, 4, ("en", "fr"))
    store.dispose()
    assert cli(config, "edition", "draft", "-e", KEY, "-l", "en,fr").exit_code == 0
    _approve(config)
    r = cli(config, "edition", "send", KEY)
    assert r.exit_code == 0, r.output


def test_a_command_without_outreach_toml_says_which_defaults_it_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HRC_CONFIG", raising=False)
    r = CliRunner().invoke(app, ["edition", "approve", KEY, "--show"])
    err = flat(r.stderr)
    assert "no outreach.toml" in err and str(tmp_path) in err
    assert "var/outreach.db" in err and "sources: none" in err
    assert "--config" in err


def test_a_command_with_outreach_toml_says_nothing_about_defaults(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    r = cli(config, "edition", "approve", KEY, "--show")
    assert "no outreach.toml" not in flat(r.stderr)
