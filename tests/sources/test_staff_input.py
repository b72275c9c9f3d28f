"""Hand-written staff input (Markdown front matter, a pasted digest) through `gather` and
`edition draft`: wrong shapes reach neither the store nor a reader; each is a warning naming the
file (or line) and the field (issue 10)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from hrc_outreach.cli import app

CONFIG = """out_dir = "out"
[store]
url = "sqlite:///{db}"
[i18n]
languages = ["en", "fr", "ar"]
[newsletter]
editions_dir = "editions"
[[sources]]
name = "updates"
kind = "markdown"
path = "md"
item_kind = "project_update"
[[sources]]
name = "whrcf"
kind = "digest"
path = "digest.txt"
item_kind = "practice"
"""

FILES = {
    "md/list-title.md": "---\ntitle: [Leuven, joins]\ndate: 2026-11-10\n---\nBody.\n",
    "md/draft.md": '---\ntitle: Not yet\ndraft: "true"\ndate: 2026-11-10\n---\nSecret plans.\n',
    "md/fr.md": "---\ntitle: Une nouvelle ville des droits humains\nlanguage: Français\n"
    "tags: {a: 1}\ndate: 2026-11-10\n---\nGand rejoint le réseau des villes cette année.\n",
    "md/event.md": "---\ntitle: Forum day\nkind: event\nstart: 2026-12-10T09:00:00\n"
    'all_day: "false"\ntimezone: Europe/Brussels\ndate: 2026-11-10\n---\nCome.\n',
    "digest.txt": "Forum\nKisumu, Kenya\nKisumu County adopted a disability policy. @Plenary\n"
    "Leuven, Belgum\nLeuven became a human rights city after a year of consultation.\n"
    "Ghent, Atlantis\nGhent monitors social services with its residents.\n",
}


def _setup(tmp_path: Path) -> Path:
    (tmp_path / "editions").mkdir()
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = tmp_path / "outreach.toml"
    config.write_text(CONFIG.format(db=tmp_path / "store.db"), encoding="utf-8")
    return config


def test_gather_and_draft_keep_bad_front_matter_and_headings_away_from_readers(
    tmp_path: Path,
) -> None:
    config = _setup(tmp_path)
    runner = CliRunner()
    gathered = runner.invoke(app, ["--config", str(config), "gather", "--json"])
    assert gathered.exit_code == 0, gathered.output
    warnings = " ".join(gathered.stderr.split())
    assert "list-title.md skipped: title: must be one line of text, not a list" in warnings
    assert "fr.md: tags ignored: must be a list ([a, b])" in warnings  # not eaten as markup
    assert "line 6: heading 'Ghent, Atlantis': 'Atlantis' is no country we know" in warnings

    listed = runner.invoke(app, ["--config", str(config), "items", "--json"])
    items = {i["title"]: i for i in json.loads(listed.stdout)}
    assert set(items) == {
        "Une nouvelle ville des droits humains", "Forum day", "Kisumu County adopted a disability "
        "policy", "Leuven became a human rights city after a year of consultation",
        "Ghent monitors social services with its residents",
    }  # fmt: skip
    french = items["Une nouvelle ville des droits humains"]
    assert (french["language"], french["tags"]) == ("fr", [])
    leuven = items["Leuven became a human rights city after a year of consultation"]
    ghent = items["Ghent monitors social services with its residents"]
    assert (leuven["city"], leuven["country"]) == ("Leuven", "BE")
    assert (ghent["city"], ghent["country"]) == ("Ghent", None)

    drafted = runner.invoke(
        app, ["--config", str(config), "edition", "draft", "-e", "2026-12", "-l", "en,fr",
              "--today", "2026-11-22", "--json"],
    )  # fmt: skip
    assert drafted.exit_code in (0, 2), drafted.output
    for lang in ("en", "fr"):
        html = (tmp_path / "out" / "editions" / "2026-12" / lang / "email.html").read_text("utf-8")
        text = (tmp_path / "out" / "editions" / "2026-12" / lang / "email.txt").read_text("utf-8")
        assert set(re.findall(r'\blang="([^"]*)"', html)) <= {"en", "fr", "ar"}
        for shown in (html, text):
            assert "Secret plans" not in shown and "Not yet" not in shown
            assert "['" not in shown and "{'" not in shown and "Leuven, joins" not in shown
        assert "Une nouvelle ville des droits humains" in html
