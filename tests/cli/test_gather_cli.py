"""``hrc-outreach gather`` and ``hrc-outreach items`` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hrc_outreach.cli import app

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>HRC</title>
<link>https://hrc.example.org/</link><language>en</language>
<item><guid>one</guid><title>Gwangju forum</title><link>https://hrc.example.org/1</link>
<category>forum</category><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate>
<description>The World Human Rights Cities Forum.</description></item>
<item><guid>two</guid><title>Vienna office</title><link>https://hrc.example.org/2</link>
<pubDate>Sun, 01 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""

ITEM_KEYS = {
    "id",
    "kind",
    "title",
    "url",
    "language",
    "published_at",
    "city",
    "country",
    "tags",
    "start",
    "end",
}


def _config(tmp_path: Path) -> Path:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "hrc.xml").write_text(FEED, encoding="utf-8")
    config = tmp_path / "outreach.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "store.db"}"

[fetch]
retries = 0

[[sources]]
name = "hrc"
kind = "feed"
path = "feeds/hrc.xml"
item_kind = "news"
tags = ["network"]

[[sources]]
name = "gone"
kind = "feed"
path = "feeds/gone.xml"
""",
        encoding="utf-8",
    )
    return config


def test_gather_json_exit_status_and_items(tmp_path: Path) -> None:
    config = _config(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["--config", str(config), "gather", "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert summary["new"] == 2 and summary["updated"] == 0
    by_name = {s["name"]: s for s in summary["sources"]}
    assert by_name["hrc"] == {
        "name": "hrc",
        "kind": "feed",
        "status": "ok",
        "new": 2,
        "updated": 0,
        "unchanged": 0,
        "error": None,
    }
    assert by_name["gone"]["status"] == "error"
    assert (
        "'gone'" in by_name["gone"]["error"]
        and "gone.xml does not exist" in by_name["gone"]["error"]
    )

    again = runner.invoke(app, ["--config", str(config), "gather", "--source", "hrc", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["sources"][0]["unchanged"] == 2

    listed = runner.invoke(app, ["--config", str(config), "items", "--json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert [i["title"] for i in items] == ["Gwangju forum", "Vienna office"]
    assert ITEM_KEYS <= set(items[0])
    assert items[0]["tags"] == ["forum", "network"] and items[0]["language"] == "en"
    assert items[0]["published_at"].startswith("2026-11-02T10:00:00")

    none = runner.invoke(app, ["--config", str(config), "items", "--kind", "event", "--json"])
    assert none.exit_code == 0 and json.loads(none.stdout) == []


def test_gather_table_and_unknown_source(tmp_path: Path) -> None:
    config = _config(tmp_path)
    runner = CliRunner()
    table = runner.invoke(app, ["--config", str(config), "gather", "--source", "hrc"])
    assert table.exit_code == 0, table.output
    assert "hrc" in table.stdout and "2 new, 0 updated" in table.stdout
    unknown = runner.invoke(app, ["--config", str(config), "gather", "--source", "nope"])
    assert unknown.exit_code == 1
    assert "no source named 'nope'" in unknown.output
    listing = runner.invoke(app, ["--config", str(config), "items"])
    assert listing.exit_code == 0 and "Gwangju forum" in listing.stdout
