"""Request threads (and the flow's parallel senders) open the store at the same time: Alembic's
migration context is module-global, so two unguarded migrations break each other."""

from __future__ import annotations

import threading
from pathlib import Path

from hrc_outreach.store import Store


def test_stores_opened_from_many_threads_at_once_all_migrate(tmp_path: Path) -> None:
    Store(f"sqlite:///{tmp_path / 'store.db'}").dispose()  # created; the rest only check
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_one() -> None:
        start.wait()
        try:
            for _ in range(5):
                Store(f"sqlite:///{tmp_path / 'store.db'}").dispose()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
