from __future__ import annotations

from datetime import UTC, datetime

from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.sources.base import Snapshot
from hrc_outreach.store import Store
from hrc_outreach.store.items import (
    CANCELLED,
    MISSING,
    Upsert,
    get_item,
    item_history,
    list_items,
    upsert_items,
    withdraw_items,
    withdrawal,
    withdrawn_ids,
)


def _item(title: str = "Warsaw labour market", key: str = "warsaw") -> ContentItem:
    return ContentItem(
        id=item_id("digest", key),
        source="digest",
        source_key=key,
        kind=ItemKind.PRACTICE,
        title=title,
        city="Warsaw",
        country="PL",
        published_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
    )


def test_new_unchanged_and_updated_with_history(store: Store) -> None:
    with store.session() as s:
        assert upsert_items(s, [_item()])[Upsert.NEW] == 1
    with store.session() as s:
        assert upsert_items(s, [_item()])[Upsert.UNCHANGED] == 1
    with store.session() as s:
        assert upsert_items(s, [_item("Warsaw: an inclusive labour market")])[Upsert.UPDATED] == 1
    with store.session() as s:
        items = list_items(s)
        assert [i.title for i in items] == ["Warsaw: an inclusive labour market"]
        assert [i.title for i in item_history(s, items[0].id)] == ["Warsaw labour market"]
        stored = get_item(s, items[0].id)
        assert stored is not None and stored.published_at == datetime(2026, 11, 1, 9, tzinfo=UTC)


def test_same_id_twice_in_one_batch_counts_once(store: Store) -> None:
    with store.session() as s:
        counts = upsert_items(s, [_item(), _item("second")])
    assert counts[Upsert.NEW] == 1
    with store.session() as s:
        assert [i.title for i in list_items(s, kind=ItemKind.PRACTICE)] == ["second"]


def _event(key: str, day: int) -> ContentItem:
    return ContentItem(
        id=item_id("cal", key),
        source="cal",
        source_key=key,
        kind=ItemKind.EVENT,
        title=f"Event {key}",
        start=datetime(2026, 12, day, 10, tzinfo=UTC),
    )


def test_withdraw_only_inside_what_the_source_saw_whole(store: Store) -> None:
    with store.session() as s:
        upsert_items(
            s, [_event("a", 1), _event("b", 10), _event("c", 20), _event("s/1", 10), _item()]
        )
    inside = Snapshot(
        start=datetime(2026, 12, 5, tzinfo=UTC),
        end=datetime(2026, 12, 25, tzinfo=UTC),
        unsure=frozenset({"s/"}),
    )
    with store.session() as s:
        # "a" lies before the window, "s/1" belongs to an event read only in part, the practice
        # is another source's: only "c" (in the window, not produced) is withdrawn
        assert withdraw_items(s, "cal", present={"b"}, covers=inside.covers) == 1
    with store.session() as s:
        assert sorted(i.source_key for i in list_items(s, kind=ItemKind.EVENT)) == ["a", "b", "s/1"]
        gone = withdrawal(s, item_id("cal", "c"))
        assert gone is not None and gone.reason == MISSING
        assert withdrawn_ids(s) == {item_id("cal", "c")}
        # explicit cancellation works outside any snapshot; history stays readable
        assert withdraw_items(s, "cal", present=set(), cancelled={"a", "zzz"}) == 1
        assert withdrawal(s, item_id("cal", "a")).reason == CANCELLED  # type: ignore[union-attr]
        assert get_item(s, item_id("cal", "a")) is not None


def test_a_withdrawn_item_brought_back_is_an_update(store: Store) -> None:
    with store.session() as s:
        upsert_items(s, [_event("a", 10)])
        withdraw_items(s, "cal", present=set(), cancelled={"a"})
    with store.session() as s:
        assert upsert_items(s, [_event("a", 10)])[Upsert.UPDATED] == 1
    with store.session() as s:
        assert withdrawal(s, item_id("cal", "a")) is None and len(list_items(s)) == 1
