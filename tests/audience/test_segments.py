from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.audience.languages import normalise_language
from hrc_outreach.audience.segments import load_segments, select_segment
from hrc_outreach.config import DEFAULT_LANGUAGES, AudienceSettings, Settings
from hrc_outreach.errors import AudienceError, ConfigError
from hrc_outreach.paths import SUBSCRIBERS_DIR
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow


def test_bundled_segments_file() -> None:
    segments = load_segments(SUBSCRIBERS_DIR / "segments.yaml")
    for name in ("cities", "civil-society", "eu-institutions", "first-time-voters", "researchers"):
        assert segments[name].description
    assert segments["arabic-and-ukrainian-readers"].languages == ("ar", "uk")


def test_select_by_tags_and_languages(store: Store, settings: Settings, tmp_path: Path) -> None:
    seg_file = tmp_path / "segments.yaml"
    seg_file.write_text(
        "segments:\n"
        "  voters: {tags: [dare]}\n"
        "  arabic-voters: {tags: [dare], languages: [ar]}\n"
        "  all: {}\n"
    )
    cfg = settings.model_copy(update={"audience": AudienceSettings(segments_file=seg_file)})
    with store.session() as s:
        s.add_all([
            SubscriberRow(email="a@example.org", state="confirmed", language="ar", segments=["dare"]),
            SubscriberRow(email="b@example.org", state="confirmed", language="fr", segments=["dare"]),
            SubscriberRow(email="c@example.org", state="confirmed", language="fr", segments=["city"]),
            SubscriberRow(email="d@example.org", state="pending", language="ar", segments=["dare"]),
        ])  # fmt: skip
    with store.session() as s:
        assert [m.email for m in select_segment(s, cfg, ["voters"])] == [
            "a@example.org", "b@example.org"]  # fmt: skip
        assert [m.email for m in select_segment(s, cfg, ["arabic-voters"])] == ["a@example.org"]
        assert len(select_segment(s, cfg, ["all"])) == 3
        with pytest.raises(AudienceError, match="unknown segment"):
            select_segment(s, cfg, ["nobody"])


def test_malformed_segments_file(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("segments:\n  x: {tagz: [a]}\n")
    with pytest.raises(ConfigError, match="segment 'x' is malformed"):
        load_segments(bad)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("fr-BE", "fr"), ("pt", "pt_PT"), ("PT-pt", "pt_PT"), ("Français", "fr"), ("Arabic", "ar"),
     ("العربية", "ar"), ("українська", "uk"), ("magyar", "hu"), ("EN", "en"), ("Klingon", None),
     ("", None), ("xx", None)],
)  # fmt: skip
def test_language_normalisation(given: str, expected: str | None) -> None:
    assert normalise_language(given, DEFAULT_LANGUAGES) == expected
