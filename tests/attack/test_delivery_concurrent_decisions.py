"""Attacks on a person's decisions run twice at once (two staff members, a double-clicked button,
two terminals): ``retry_failed`` / ``resolve_in_doubt(resend)`` concurrently on one job. Each
recipient is put into exactly one new batch, the counts the two calls return add up to the
recipients moved, and no planned batch is left holding nobody."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from hrc_outreach.deliver.ledger import retry_failed
from hrc_outreach.deliver.planner import plan_job
from hrc_outreach.models import RecipientState
from hrc_outreach.store import Store
from hrc_outreach.store.tables import BatchRow, SendRecipientRow
from tests.conftest import POSTGRES_URL, _reset_postgres
from tests.support.ledger_data import add_subscribers, approved, messages
from tests.support.ledger_helpers import KEY, make_settings, token_secret  # noqa: F401 - fixture


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL not configured: set HRC_TEST_POSTGRES_URL (CI does)")
        _reset_postgres(POSTGRES_URL)
        url = POSTGRES_URL
    s = Store(url)
    yield s
    s.dispose()


def _at_once(decide: Callable[[str], int], people: Sequence[str]) -> list[int]:
    """``decide(person)`` for every person at the same moment (threads behind one barrier)."""
    barrier = threading.Barrier(len(people))
    moved: list[int] = []
    errors: list[BaseException] = []

    def go(who: str) -> None:
        barrier.wait()
        try:
            moved.append(decide(who))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(who,)) for who in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return moved


def test_retry_failed_twice_at_once_moves_each_recipient_once(
    any_store: Store, tmp_path: Path
) -> None:
    store = any_store
    settings = make_settings(tmp_path)
    add_subscribers(store, 40, ("en",))
    job_id = plan_job(
        store,
        settings,
        KEY,
        approved(store, KEY, messages(KEY, ("en",))),
        "brevo",
        max_recipients=10,
    )
    for round_ in range(6):
        with store.session() as s:  # as after a run in which everyone was refused
            s.execute(update(BatchRow).where(BatchRow.job_id == job_id).values(state="failed"))
            s.execute(update(SendRecipientRow).values(state=RecipientState.FAILED.value))
        moved = _at_once(lambda who: retry_failed(store, job_id, by=who), ("Ana", "Bram"))
        with store.session() as s:
            planned = s.execute(
                select(BatchRow.id, BatchRow.size).where(
                    BatchRow.job_id == job_id, BatchRow.state == "planned"
                )
            ).all()
            held: dict[Any, int] = dict(
                s.execute(
                    select(SendRecipientRow.batch_id, func.count()).group_by(
                        SendRecipientRow.batch_id
                    )
                ).tuples().all()
            )  # fmt: skip
            pending = s.scalar(
                select(func.count()).where(SendRecipientRow.state == RecipientState.PENDING.value)
            )
        assert sum(moved) == 40 == pending, (round_, moved)
        assert all(held.get(bid, 0) == size for bid, size in planned), (round_, planned, held)
