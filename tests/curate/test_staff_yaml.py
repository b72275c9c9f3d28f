"""Staff-written YAML (edition choices, campaign files) refuses a key given twice, naming both
lines: PyYAML keeps the last silently, so a headline or a pin list written twice lost the first
without a word. Only true/false are booleans: a headline "no" stays the word."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.curate.pins import load_choices
from hrc_outreach.errors import CurateError


def test_a_headline_given_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "2026-12.yaml"
    path.write_text(
        'headlines:\n  "news:a": "First wording"\n  "news:a": "Second wording"\n',
        encoding="utf-8",
    )
    with pytest.raises(CurateError) as err:
        load_choices(path)
    assert str(path) in str(err.value) and "'news:a' is given twice (lines 2 and 3)" in str(
        err.value
    )


def test_a_section_given_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "2026-12.yaml"
    path.write_text('pin:\n  - "news:a"\nexclude: []\npin:\n  - "news:b"\n', encoding="utf-8")
    with pytest.raises(CurateError, match=r"'pin' is given twice \(lines 1 and 4\)"):
        load_choices(path)


def test_a_headline_no_stays_a_word(tmp_path: Path) -> None:
    path = tmp_path / "2026-12.yaml"
    path.write_text('headlines:\n  "news:a": no\n', encoding="utf-8")
    assert load_choices(path).headlines == {"news:a": "no"}


def test_a_campaign_key_given_twice_is_a_problem_with_its_line(tmp_path: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from hrc_outreach.cli import app
    from hrc_outreach.paths import PROJECT_ROOT

    d = tmp_path / "eu-elections"
    shutil.copytree(PROJECT_ROOT / "campaigns" / "eu-elections", d)
    text = (d / "campaign.yaml").read_text(encoding="utf-8")
    line = text[: text.index("timezone: Europe/Brussels")].count("\n") + 1
    text = text.replace(
        "timezone: Europe/Brussels\n", "timezone: Europe/Brussels\ntimezone: UTC\n", 1
    )
    (d / "campaign.yaml").write_text(text, encoding="utf-8")
    config = PROJECT_ROOT / "outreach.toml"
    result = CliRunner().invoke(
        app, ["--config", str(config), "campaign", "validate", str(d), "--json"]
    )
    assert result.exit_code != 0, result.output
    assert f"'timezone' is given twice (lines {line} and {line + 1})" in result.output, (
        result.output
    )
