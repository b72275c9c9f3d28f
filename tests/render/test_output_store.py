"""Drafts live in the store, published files in one configured place: a reviewer on another machine
approves what was drafted elsewhere, and the send reads the store, not anyone's ``out/`` folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import fsspec
import pytest
from sqlalchemy import update
from typer.testing import Result

from hrc_outreach.config import load_settings
from hrc_outreach.errors import ConfigError, RenderError
from hrc_outreach.render.output import load_drafts, read_rendered, save_drafts, write_rendered
from hrc_outreach.storage import PublishedFiles, StorageError, published_files
from hrc_outreach.store import Store
from hrc_outreach.store.tables import DraftRow
from tests.support.cli_setup import cli, leuven_news, store_with, write_config
from tests.support.ledger_data import add_subscribers, message

KEY = "2026-12"
N = 7
SECRET = "output-test-secret-0123456789"


def _store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.db'}")


def test_save_and_load_give_back_the_same_messages(tmp_path: Path) -> None:
    store = _store(tmp_path)
    msgs = {lang: message(KEY, lang) for lang in ("en", "ar", "pt_PT")}
    save_drafts(store, msgs.values())
    loaded = load_drafts(store, KEY)
    assert loaded == msgs and list(loaded) == ["ar", "en", "pt_PT"]
    assert {lang: m.content_hash() for lang, m in loaded.items()} == {
        lang: m.content_hash() for lang, m in msgs.items()
    }
    assert list(load_drafts(store, KEY, ["en"])) == ["en"]
    # a re-draft of one language replaces that language only
    fr = message(KEY, "en", subject="Nouveau sujet")
    save_drafts(store, [fr])
    again = load_drafts(store, KEY)
    assert again["en"].subject == "Nouveau sujet" and again["ar"] == msgs["ar"]
    # the human copy on disk still reads back with the same hash
    write_rendered(again["ar"], tmp_path / "out")
    assert read_rendered(tmp_path / "out", KEY)["ar"].content_hash() == msgs["ar"].content_hash()


def test_missing_and_changed_drafts_are_named(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with pytest.raises(RenderError, match=r"edition '2026-12' has no draft in the store"):
        load_drafts(store, KEY)
    save_drafts(store, [message(KEY, "en")])
    with pytest.raises(RenderError, match=r"no draft in uk \(drafted: en\)"):
        load_drafts(store, KEY, ["en", "uk"])
    with store.session() as s:
        s.execute(update(DraftRow).values(html=DraftRow.html + "<p>edited by hand</p>"))
    with pytest.raises(RenderError, match=r"draft of edition '2026-12' in 'en'.*sha256 differs"):
        load_drafts(store, KEY)
    with store.session() as s:
        s.execute(update(DraftRow).values(meta={"subject": 3}))
    with pytest.raises(RenderError, match="is unreadable"):
        load_drafts(store, KEY)


def _machine(root: Path, shared: Path, name: str) -> Path:
    """A working directory of one machine: its own out/ and outbox, the shared store and
    published files."""
    home = root / name
    home.mkdir(parents=True)
    return write_config(
        home,
        ("en", "fr"),
        db=shared / "store.db",
        extra=f'[publish]\nurl = "{(shared / "published").as_uri()}"\n',
    )


def _cli(config: Path, *args: str) -> Result:
    result = cli(config, *args, env={"HRC_TOKEN_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    return result


def test_approve_and_send_from_another_machine(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    a, b = _machine(tmp_path, shared, "a"), _machine(tmp_path, shared, "b")
    store = store_with(shared / "store.db", leuven_news())
    add_subscribers(store, N, ("en", "fr"))
    store.dispose()

    drafted = json.loads(_cli(a, "edition", "draft", "--edition", KEY, "--json").stdout)
    shutil.rmtree(a.parent / "out")  # machine A is gone, with everything on its disk

    shown = json.loads(_cli(b, "edition", "approve", KEY, "--show", "--json").stdout)
    assert shown["hashes"] == drafted["hashes"]
    _cli(b, "edition", "approve", KEY, "--by", "Ana", "--hashes", shown["hashes_arg"])
    _cli(b, "edition", "send", KEY)

    sent = sorted((b.parent / "outbox" / KEY).glob("*.eml"))
    assert len(sent) == N
    assert not (b.parent / "out" / "editions").exists()  # B never had a draft on disk
    # the archive went public in the shared published files, drafted on A, copied after B's send
    public = shared / "published" / "archive"
    for lang in ("en", "fr"):
        page = (public / lang / f"{KEY}.html").read_text(encoding="utf-8")
        assert "Leuven" in page
    assert (public / "index.html").is_file() and (public / "en" / "feed.atom").is_file()


def test_published_files_in_memory_and_local_folders(tmp_path: Path) -> None:
    mem = PublishedFiles("memory://hrc-test-publish")
    where = mem.write_text("archive/fr/2026-12.html", "<p>é</p>")
    assert where == "memory:///hrc-test-publish/archive/fr/2026-12.html"
    assert mem.read_text("archive/fr/2026-12.html") == "<p>é</p>"
    assert mem.listdir("archive") == (["fr"], [])
    assert mem.listdir("nothing") == ([], [])
    mem.copy("archive/fr/2026-12.html", "public/fr/2026-12.html")
    assert (
        fsspec.filesystem("memory").cat("/hrc-test-publish/public/fr/2026-12.html")
        == "<p>é</p>".encode()
    )
    for bad in ("../escape.html", "archive/../../x", ""):
        with pytest.raises(StorageError, match="not a path inside"):
            mem.write_text(bad, "x")

    local = PublishedFiles(str(tmp_path / "pub"))
    assert local.write_text("a/b.txt", "x") == str(tmp_path / "pub" / "a" / "b.txt")
    assert (tmp_path / "pub" / "a" / "b.txt").read_text() == "x" and local.exists("a/b.txt")

    with pytest.raises(ConfigError, match="publish.url 'nosuchfs://x'"):
        PublishedFiles("nosuchfs://x")


def test_publish_url_setting(tmp_path: Path) -> None:
    config = tmp_path / "outreach.toml"
    config.write_text('[publish]\nurl = "site"\n', encoding="utf-8")
    settings = load_settings(config, env={})
    assert published_files(settings).root == str(tmp_path / "site")  # relative to the file
    settings = load_settings(config, env={"HRC_PUBLISH__URL": "memory://elsewhere"})
    assert published_files(settings).location("x.html") == "memory:///elsewhere/x.html"
    default = load_settings(None, env={}, out_dir=str(tmp_path / "out"))
    assert published_files(default).root == str(tmp_path / "out")
