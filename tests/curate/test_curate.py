"""Curation on a real store (SQLite and PostgreSQL): windows, featured items, caps, pins, intro."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from hrc_outreach.config import Settings
from hrc_outreach.curate import curate_edition, record_sent
from hrc_outreach.errors import CurateError, EmptyEditionError
from hrc_outreach.models import ContentItem, ItemKind, SectionKind, item_id
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items, withdraw_items
from hrc_outreach.store.tables import EditionRow, FeaturedRow


def _item(key: str, kind: ItemKind, **kw: object) -> ContentItem:
    return ContentItem(
        id=item_id("src", key),
        source="src",
        source_key=key,
        kind=kind,
        title=f"Item {key}",
        language="en",
        **kw,
    )  # type: ignore[arg-type]


def _news(key: str, day: int, month: int = 11) -> ContentItem:
    return _item(key, ItemKind.NEWS, published_at=datetime(2026, month, day, 9, tzinfo=UTC))


def _event(key: str, month: int, day: int, hour: int = 13) -> ContentItem:
    return _item(
        key,
        ItemKind.EVENT,
        start=datetime(2026, month, day, hour, tzinfo=UTC),
        timezone="Europe/Brussels",
    )


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    (tmp_path / "editions").mkdir()
    return Settings.model_validate(
        {
            "newsletter": {"editions_dir": str(tmp_path / "editions")},
            "curate": {
                "event_window_days": 60,
                "caps": {"practice": 2, "project_update": 2, "event": 3, "news": 2},
            },
        }
    )


def _put(store: Store, *items: ContentItem) -> None:
    with store.session() as s:
        upsert_items(s, items)


def _curate(store: Store, cfg: Settings, key: str = "2026-12", **kw: object):  # type: ignore[no-untyped-def]
    with store.session() as s:
        return curate_edition(s, cfg, key, **kw)  # type: ignore[arg-type]


def test_key_date_number_and_title(store: Store, cfg: Settings) -> None:
    _put(store, _news("a", 20))
    ed = _curate(store, cfg)
    assert ed.key == "2026-12"
    assert ed.date == date(2026, 12, 1)  # first Tuesday
    assert ed.issue_number == 24  # first issue 2025-01
    assert ed.title == "The Human Rights Readers — December 2026"


def test_events_in_window_in_date_order_past_dropped(store: Store, cfg: Settings) -> None:
    _put(
        store,
        _event("past", 11, 30),
        _event("late", 12, 20),
        _event("early", 12, 3),
        _event("beyond", 2, 15),
        _news("n", 20),
    )
    ed = _curate(store, cfg)
    events = next(s for s in ed.sections if s.kind is SectionKind.EVENTS)
    assert [i.source_key for i in events.items] == ["early", "late"]


def test_event_on_the_last_day_of_the_window_is_in(store: Store, cfg: Settings) -> None:
    # 2026-12-01 + 60 days = 2027-01-30; an event that evening in Brussels is inside.
    _put(
        store,
        _item("edge", ItemKind.EVENT, start=datetime(2027, 1, 30, 20, tzinfo=UTC)),
        _item("out", ItemKind.EVENT, start=datetime(2027, 1, 31, 0, tzinfo=UTC)),
    )
    ed = _curate(store, cfg)
    assert [i.source_key for i in ed.items] == ["edge"]


def test_newest_first_caps_and_future_items_left_out(store: Store, cfg: Settings) -> None:
    _put(store, _news("old", 2), _news("mid", 10), _news("new", 25), _news("future", 5, 12))
    ed = _curate(store, cfg)
    assert [i.source_key for i in ed.items] == ["new", "mid"]  # cap 2, Dec 5 is after "now"


def test_sent_edition_items_left_out_of_the_next(store: Store, cfg: Settings) -> None:
    _put(store, _news("a", 2), _news("b", 12))
    first = _curate(store, cfg, "2026-11")
    assert {i.source_key for i in first.items} == {"a"}  # b is after 2026-11-03
    with store.session() as s:
        assert record_sent(s, "2026-11", ["en", "fr"]) == 2
        assert record_sent(s, "2026-11", ["en", "fr"]) == 0  # idempotent
    ed = _curate(store, cfg)
    assert [i.source_key for i in ed.items] == ["b"]
    # Re-drafting the sent edition gives the same result.
    again = _curate(store, cfg, "2026-11")
    assert [i.id for i in again.items] == [i.id for i in first.items]
    with store.session() as s:
        rows = s.scalars(select(FeaturedRow).order_by(FeaturedRow.lang)).all()
        assert [(r.edition_key, r.lang) for r in rows] == [("2026-11", "en"), ("2026-11", "fr")]
        assert s.get(EditionRow, "2026-11").status == "sent"  # type: ignore[union-attr]


def test_draft_not_sent_does_not_hide_items(store: Store, cfg: Settings) -> None:
    _put(store, _news("a", 2))
    _curate(store, cfg, "2026-11")
    ed = _curate(store, cfg)
    assert [i.source_key for i in ed.items] == ["a"]


def test_redraft_same_result_and_recorded(store: Store, cfg: Settings) -> None:
    _put(store, _news("a", 10), _news("b", 20), _event("e", 12, 9))
    one = _curate(store, cfg)
    two = _curate(store, cfg)
    assert one == two
    with store.session() as s:
        row = s.get(EditionRow, "2026-12")
        assert row is not None and row.item_ids == [i.id for i in one.items]


def test_pins_and_excludes(store: Store, cfg: Settings, tmp_path: Path) -> None:
    _put(store, _news("a", 10), _news("b", 20), _news("c", 25), _news("old", 1, 6))
    (tmp_path / "editions" / "2026-12.yaml").write_text(
        f"pin: [src:old]\nexclude:\n  - {item_id('src', 'c')}\n", encoding="utf-8"
    )
    ed = _curate(store, cfg)
    assert [i.source_key for i in ed.items] == ["old", "b"]  # pin first, cap 2, c excluded


def test_bad_pins_file_names_the_file(store: Store, cfg: Settings, tmp_path: Path) -> None:
    _put(store, _news("a", 10))
    bad = tmp_path / "editions" / "2026-12.yaml"
    for text in ("pin: [unclosed\n", "pin: 3\n", "pins: []\n", "pin: [src:nope]\n"):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(CurateError, match="2026-12.yaml"):
            _curate(store, cfg)


def test_intro_from_markdown_file(store: Store, cfg: Settings, tmp_path: Path) -> None:
    _put(store, _news("a", 10))
    (tmp_path / "editions" / "2026-12.md").write_text("Dear readers,\n\nHello.\n", encoding="utf-8")
    assert _curate(store, cfg).intro_markdown == "Dear readers,\n\nHello."


def test_empty_edition_raises(store: Store, cfg: Settings) -> None:
    _put(store, _news("future", 20, 12))
    with pytest.raises(EmptyEditionError, match="2026-12 has no items"):
        _curate(store, cfg)


def test_today_overrides_now(store: Store, cfg: Settings) -> None:
    _put(store, _event("e", 12, 3))
    assert [i.source_key for i in _curate(store, cfg).items] == ["e"]
    with pytest.raises(EmptyEditionError):
        _curate(store, cfg, today=date(2026, 12, 4))


def test_bad_key_and_record_sent_unknown(store: Store, cfg: Settings) -> None:
    with pytest.raises(CurateError, match="YYYY-MM"):
        _curate(store, cfg, "2026-13")
    with pytest.raises(CurateError, match="before the first issue"):
        _curate(store, cfg, "2024-12")
    with store.session() as s, pytest.raises(CurateError, match="never drafted"):
        record_sent(s, "2030-01", ["en"])


def test_withdrawn_items_are_left_out_even_when_pinned_but_a_sent_edition_keeps_them(
    store: Store, cfg: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    _put(store, _event("kept", 12, 3), _event("off", 12, 4), _event("pinned", 12, 5))
    (cfg.resolve(cfg.newsletter.editions_dir) / "2026-12.yaml").write_text(
        "pin:\n  - src:pinned\n", encoding="utf-8"
    )
    with store.session() as s:
        withdraw_items(s, "src", present=set(), cancelled={"off", "pinned"})
    with caplog.at_level("WARNING"):
        assert [i.source_key for i in _curate(store, cfg).items] == ["kept"]
    assert "pinned item" in caplog.text and "withdrawn at its source" in caplog.text
    # an edition already sent shows what it showed, withdrawn since or not
    with store.session() as s:
        record_sent(s, "2026-12", ["en"])
        withdraw_items(s, "src", present=set(), cancelled={"kept"})
    assert [i.source_key for i in _curate(store, cfg).items] == ["kept"]
