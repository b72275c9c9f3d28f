"""Subscribers' country of residence (issue 14): read by the import, filtered on by segments."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hrc_outreach.audience.importer import import_csv
from hrc_outreach.audience.segments import Segment, load_segments, select_segment
from hrc_outreach.config import AudienceSettings, Settings
from hrc_outreach.errors import ConfigError
from hrc_outreach.paths import SUBSCRIBERS_DIR
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow


def _countries(store: Store) -> dict[str, str | None]:
    with store.session() as s:
        return dict(s.execute(select(SubscriberRow.email, SubscriberRow.country)).tuples().all())


def test_import_reads_country_in_any_common_form(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,country of residence,consent date\n"
        "a@example.org,be,2025-01-01\n"
        "b@example.org,DEU,2025-01-01\n"
        "c@example.org,Netherlands,2025-01-01\n"
        "d@example.org,,2025-01-01\n"
        "e@example.org,EL,2025-01-01\n"
        "f@example.org,Atlantis,2025-01-01\n",
        encoding="utf-8",
    )
    with store.session() as s:
        result = import_csv(s, settings, csv)
    assert [(r.line, "unknown country" in r.reason) for r in result.rejected] == [
        (6, True),
        (7, True),
    ]
    assert "'EL'" in result.rejected[0].reason and "'Atlantis'" in result.rejected[1].reason
    assert _countries(store) == {
        "a@example.org": "BE",
        "b@example.org": "DE",
        "c@example.org": "NL",
        "d@example.org": None,
    }


def test_reimport_updates_country_and_never_blanks_it(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first, second, third = (tmp_path / f"{n}.csv" for n in ("1", "2", "3"))
    first.write_text("email,country,consent date\na@example.org,BE,2025-01-01\n")
    second.write_text("email,country\na@example.org,FR\n")
    third.write_text("email,country\na@example.org,\n")
    with store.session() as s:
        import_csv(s, settings, first)
    with store.session() as s:
        assert import_csv(s, settings, second).updated == 1
    with store.session() as s:
        assert import_csv(s, settings, third).unchanged == 1
    assert _countries(store) == {"a@example.org": "FR"}


def test_example_list_has_a_country_for_everyone(store: Store, settings: Settings) -> None:
    with store.session() as s:
        result = import_csv(s, settings, SUBSCRIBERS_DIR / "example.csv")
    assert result.rejected == ()
    countries = _countries(store)
    assert None not in countries.values() and len(set(countries.values())) >= 8


def test_segment_filters_on_country(store: Store, settings: Settings, tmp_path: Path) -> None:
    segments = tmp_path / "segments.yaml"
    segments.write_text(
        "segments:\n"
        "  voters-be:\n    tags: [first-time-voter]\n    countries: [be]\n"
        "  voters:\n    tags: [first-time-voter]\n",
        encoding="utf-8",
    )
    cfg = settings.model_copy(update={"audience": AudienceSettings(segments_file=str(segments))})
    with store.session() as s:
        import_csv(s, cfg, SUBSCRIBERS_DIR / "example.csv")
    with store.session() as s:
        be = {m.email for m in select_segment(s, cfg, ["voters-be"])}
        everyone = {m.email for m in select_segment(s, cfg, ["voters"])}
    assert be == {"amira.haddad@example.org"}
    assert be < everyone and len(everyone) >= 4
    assert load_segments(segments)["voters-be"].countries == ("BE",)


def test_segment_refuses_a_country_that_is_no_iso_code(tmp_path: Path) -> None:
    path = tmp_path / "segments.yaml"
    path.write_text("segments:\n  greeks:\n    countries: [EL]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="(?s)greeks.*EL"):
        load_segments(path)
    assert Segment(name="x").matches(tags=[], language="en", country=None)
