from __future__ import annotations

from datetime import UTC, datetime

from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.store import Store
from hrc_outreach.store.items import Upsert, get_item, item_history, list_items, upsert_items


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
