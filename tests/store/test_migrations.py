"""The migrations build exactly the schema the models declare (a model change without
`make migration` fails here), on SQLite and PostgreSQL; opening a migrated store again is a no-op."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hrc_outreach.store import Store
from hrc_outreach.store.tables import Base


def test_migrated_schema_matches_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"the models and migrations differ; run `make migration`: {diff}"


def test_reopening_a_migrated_store_keeps_its_data(store: Store) -> None:
    from hrc_outreach.store.tables import SourceStateRow

    with store.session() as s:
        s.add(SourceStateRow(name="kept", etag='"abc"'))
    again = Store(store.url)  # runs `upgrade head` again
    try:
        with again.session() as s:
            assert s.get(SourceStateRow, "kept") is not None
        tables = set(inspect(again.engine).get_table_names())
        assert {"items", "send_recipients", "alembic_version"} <= tables
    finally:
        again.dispose()
