"""A suspended monthly run may wait a week, and a new version may be deployed meanwhile: the rerun
reads the draft task's result persisted by the old code. A field added since (with a default) must
come back with its default, not as an AttributeError when the resumed run reads it (seen: a run
suspended before ``LanguageDraft.strings`` existed failed on resume)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flows.monthly import draft_task
from hrc_outreach.pipeline import DraftSummary, LanguageDraft

# the fields an older LanguageDraft may not have had: every one with a default
LATER = [n for n, f in LanguageDraft.model_fields.items() if not f.is_required()]


def _summary() -> DraftSummary:
    lang = LanguageDraft(
        lang="en", subject="December", path="out/en", html_bytes=1000, lint_errors=0,
        lint_warnings=0, provenance={"source": 3}, sha256="abc",
    )  # fmt: skip
    return DraftSummary(
        key="2026-12", title="December", items=3, sections={"news": 3}, out_dir=Path("out"),
        archive_dir=Path("out/archive"), languages={"en": lang},
    )  # fmt: skip


def _older(stored: dict[str, Any]) -> bytes:
    """The JSON an older version wrote: its languages without the fields that have a default now."""
    for lang in stored["data"]["languages"].values():
        for field in LATER:
            del lang[field]
    return json.dumps(stored).encode()


def test_the_draft_result_is_stored_as_data_not_as_pickled_objects() -> None:
    serializer = draft_task.result_serializer
    assert serializer is not None and getattr(serializer, "type", None) == "json", serializer


def test_a_draft_persisted_by_older_code_reads_back_with_the_new_fields_defaults() -> None:
    serializer = draft_task.result_serializer
    assert serializer is not None and not isinstance(serializer, str)
    stored = json.loads(serializer.dumps(_summary()))
    older = _older(stored)
    assert all(f'"{field}"' not in older.decode() for field in LATER)
    back = serializer.loads(older)
    assert isinstance(back, DraftSummary)
    lang = back.languages["en"]
    for field in LATER:
        assert getattr(lang, field) == LanguageDraft.model_fields[field].default, field
    assert back.out_dir == Path("out") and back.languages["en"].provenance == {"source": 3}


@pytest.mark.parametrize("field", LATER)
def test_pickle_would_lose_a_field_added_later(field: str) -> None:
    """Why: what pickle restores is the old object's __dict__, so a newer field is absent."""
    import pickle

    summary = _summary()
    summary.languages["en"].__dict__.pop(field)  # what an object of the older class holds
    back = pickle.loads(pickle.dumps(summary))
    with pytest.raises(AttributeError):
        getattr(back.languages["en"], field)
