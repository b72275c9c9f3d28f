"""Identical lint warnings are shown once with a count (issue 13): the approval artifact."""

from __future__ import annotations

from pathlib import Path

from hrc_outreach.config import Settings
from hrc_outreach.pipeline import DraftSummary, LanguageDraft, collapsed, preview_markdown


def test_collapsed_counts_repeats_in_first_seen_order() -> None:
    assert collapsed(["b", "a", "b", "b", "c", "a"]) == ["b (×3)", "a (×2)", "c"]
    assert collapsed([]) == []


def test_the_approval_artifact_shows_a_repeated_warning_once_with_its_count() -> None:
    same = "warning image-size: an image has no width; Outlook shows it at full size"
    summary = DraftSummary(
        key="2026-12", title="December", items=3, sections={"practice": 3},
        out_dir=Path("/tmp/out"), archive_dir=Path("/tmp/archive"),
        languages={"en": LanguageDraft(
            lang="en", subject="S", path="/tmp/out/en/email.html", html_bytes=1000,
            lint_errors=0, lint_warnings=6, provenance={"human": 3},
        )},
        findings={"en": [same] * 5 + ["warning link-text: a link says 'click here'"]},
    )  # fmt: skip
    text = preview_markdown(summary, Settings())
    assert text.count("an image has no width") == 1
    assert f"- **en** {same} (×5)" in text
    assert "- **en** warning link-text: a link says 'click here'" in text
