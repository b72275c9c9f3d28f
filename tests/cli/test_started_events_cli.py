"""``edition approve`` and ``edition send`` warn about the edition's events that will have started by
the time it is sent (issue 13): a warning naming them, never an error (exit codes unchanged)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.cli import app
from hrc_outreach.models import ContentItem, ItemKind, item_id
from hrc_outreach.store import Store
from hrc_outreach.store.items import upsert_items
from hrc_outreach.store.tables import EditionRow
from tests.support.cli_setup import flat, write_config
from tests.support.ledger_data import add_edition, add_subscribers, messages, write_draft

KEY = "2026-12"


def _event(key: str, start: datetime, **kw: object) -> ContentItem:
    return ContentItem.model_validate(
        {
            "id": item_id("events", key),
            "source": "events",
            "source_key": key,
            "kind": ItemKind.EVENT,
            "title": f"Event {key}",
            "start": start,
            "timezone": "Europe/Brussels",
            **kw,
        }
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    cfg = write_config(tmp_path, ("en", "fr"))
    db = tmp_path / "store.db"
    now = datetime.now(UTC)
    started = _event("started", now - timedelta(hours=3))
    later = _event("later", now + timedelta(days=40))
    store = Store(f"sqlite:///{db}")
    add_subscribers(store, 3, ("en", "fr"))
    add_edition(store, KEY)
    with store.session() as s:
        upsert_items(s, [started, later])
        row = s.get(EditionRow, KEY)
        assert row is not None
        row.item_ids = [started.id, later.id]
    write_draft(store, messages(KEY, ("en", "fr")))
    store.dispose()
    return cfg


def run(config: Path, *args: str) -> object:
    return CliRunner().invoke(app, ["--config", str(config), *args])


def test_approve_and_send_warn_about_started_events_and_go_on(config: Path) -> None:
    import json

    r = run(config, "edition", "approve", KEY, "--show", "--json")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    hashes = json.loads(r.stdout)["hashes_arg"]  # type: ignore[attr-defined]

    r = run(config, "edition", "approve", KEY, "--by", "Ana", "--hashes", hashes)
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    err = flat(r.stderr)  # type: ignore[attr-defined]
    assert "warning: edition 2026-12: 1 event(s) will have started" in err
    assert "'Event started'" in err and "Event later" not in err
    assert "approved by Ana" in flat(r.stdout)  # type: ignore[attr-defined]

    r = run(config, "edition", "send", KEY, "--dry-run")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "'Event started'" in flat(r.stderr)  # type: ignore[attr-defined]

    r = run(config, "edition", "send", KEY)
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    err = flat(r.stderr)  # type: ignore[attr-defined]
    assert "by the time of sending" in err and "'Event started'" in err


def test_no_warning_when_nothing_has_started(config: Path, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    with store.session() as s:
        row = s.get(EditionRow, KEY)
        assert row is not None
        row.item_ids = [item_id("events", "later")]
    store.dispose()
    r = run(config, "edition", "send", KEY, "--dry-run")
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    assert "will have started" not in flat(r.stderr)  # type: ignore[attr-defined]
