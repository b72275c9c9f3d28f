"""The bundled caniemail table: present without ../shared, attributed, and read the right way."""

from __future__ import annotations

from pathlib import Path

from hrc_outreach.render import caniemail

FEATURE = """---
title: "gap, column-gap, row-gap"
category: css
notes: "a note with --- inside"
stats: {
\tgmail: {
\t\tdesktop-webmail: {
\t\t\t"2019-02": "n",
\t\t\t"2024-03": "y"
\t\t}
\t},
\toutlook: {
\t\twindows: { "2019": "n" },
\t\tmacos: { "2019-02": "n", "16.80": "a #1" },
\t},
\tyahoo: { desktop-webmail: { "2019-02": "n" } }
}
---
body
"""


def test_bundled_table_is_shipped_and_attributed() -> None:
    data = caniemail.bundled()
    assert data["_attribution"]["license"] == "MIT"
    assert set(data["clients"]) == {"gmail", "outlook", "apple-mail"}
    assert caniemail.support("display:flex")["outlook"]["windows"] == "n"
    assert caniemail.support("no-such-property") == {}


def test_extract_reads_tabs_newest_versions_and_groups(tmp_path: Path) -> None:
    (tmp_path / "css-gap.md").write_text(FEATURE, encoding="utf-8")
    (tmp_path / "css-display-flex.md").write_text(
        FEATURE.replace("gap, column-gap, row-gap", "display:flex"), encoding="utf-8"
    )
    (tmp_path / "css-pseudo-class-hover.md").write_text(
        FEATURE.replace("gap, column-gap, row-gap", ":hover"), encoding="utf-8"
    )
    table = caniemail.extract(tmp_path)
    assert set(table["properties"]) == {"gap", "column-gap", "row-gap"}
    gap = table["properties"]["gap"]
    # the last listed version wins (2024-03 after 2019-02; "16.80" after "2019-02")
    assert gap == {"gmail": {"desktop-webmail": "y"}, "outlook": {"windows": "n", "macos": "a"}}
    assert "yahoo" not in gap
    assert set(table["values"]) == {"display:flex"}
    assert caniemail.unsupported_in(gap) == {"Outlook": ["windows"]}
