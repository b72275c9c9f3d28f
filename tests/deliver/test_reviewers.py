"""Reviewers are told when an edition waits, and reminded once a day before the wait times out
(issue 13): through the configured provider (the outbox here), to the approvers or a configured
list; the reminder is recorded in the store, so two daily runs never send it twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from hrc_outreach.config import (
    ApprovalSettings,
    DeliverySettings,
    Settings,
    StoreSettings,
    WebSettings,
)
from hrc_outreach.deliver.reviewers import Wait, notify_waiting, remind_reviewers
from hrc_outreach.staff import add_staff
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import EditionRow


@pytest.fixture
def settings(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """On each engine (SQLite; PostgreSQL when HRC_TEST_POSTGRES_URL is set)."""
    monkeypatch.setenv("HRC_TOKEN_SECRET", "reviewers-test-secret-0123456789")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return Settings(
        store=StoreSettings(url=store_url),
        delivery=DeliverySettings(outbox_dir=tmp_path / "outbox"),
        web=WebSettings(base_url="https://outreach.example.net/"),
    )


def _mails(settings: Settings) -> list[tuple[str, str, str]]:
    """(to, subject, text) of every message in the outbox."""
    out = []
    for path in sorted(settings.delivery.outbox_dir.rglob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        out.append((str(msg["To"]), str(msg["Subject"]), body.get_content() if body else ""))
    return out


def _waiting(settings: Settings, key: str, run: str, hours_left: float) -> Wait:
    store = open_store(settings)
    with store.session() as s:
        row = s.get(EditionRow, key) or EditionRow(
            key=key, title="t", issue_number=1, edition_date="2026-12-01"
        )
        row.waiting_flow_run = run
        s.merge(row)
    store.dispose()
    return Wait(
        key=key, run=run, round=1,
        deadline=datetime.now(UTC) + timedelta(hours=hours_left),
        subjects={"en": "Human rights cities in December", "ar": "مدن حقوق الإنسان"},
        coverage={"en": "human 6", "ar": "human 2, machine 4"},
    )  # fmt: skip


def test_approvers_are_told_once_with_subjects_coverage_and_absolute_links(
    settings: Settings,
) -> None:
    store = open_store(settings)
    add_staff(store, "ana@example.org", name="Ana", role="approver", password="pw-0123456789abc")
    add_staff(store, "ed@example.org", name="Ed", role="editor", password="pw-0123456789abc")
    add_staff(store, "root@example.org", name="Root", role="admin", password="pw-0123456789abc")
    store.dispose()
    wait = _waiting(settings, "2026-12", "run-1", hours_left=24 * 7)
    assert notify_waiting(settings, wait) is True
    assert notify_waiting(settings, wait) is False  # a replayed run tells nobody again
    mails = _mails(settings)
    assert sorted(to for to, _, _ in mails) == ["ana@example.org", "root@example.org"]
    _, subject, text = mails[0]
    assert subject == "Edition 2026-12 waits for your approval"
    assert "Human rights cities in December — human 6" in text
    assert "مدن حقوق الإنسان — human 2, machine 4" in text
    assert "https://outreach.example.net/staff/editions/2026-12/preview/ar" in text
    assert "Review it: https://outreach.example.net/staff/editions/2026-12" in text.splitlines()
    # not due yet: no reminder
    assert remind_reviewers(settings) == []


def test_a_configured_list_wins_and_the_reminder_is_sent_once_by_racing_daily_runs(
    settings: Settings,
) -> None:
    settings = settings.model_copy(
        update={"approval": ApprovalSettings(notify=["desk@example.org"], timeout_days=1)}
    )
    wait = _waiting(settings, "2026-12", "run-2", hours_left=20)
    assert notify_waiting(settings, wait)
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(remind_reviewers(settings)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r for rs in results for r in rs) == ["2026-12"]
    assert remind_reviewers(settings) == []  # the next day's run: recorded, not sent again
    subjects = [s for _, s, _ in _mails(settings)]
    assert len(subjects) == 2 and subjects.count(subjects[0]) == 1
    assert any(s.startswith("Reminder: edition 2026-12 still waits") for s in subjects)


def test_no_reminder_for_a_wait_that_ended_or_expired(settings: Settings) -> None:
    settings = settings.model_copy(update={"approval": ApprovalSettings(notify=["d@example.org"])})
    answered = _waiting(settings, "2026-11", "run-old", hours_left=10)
    notify_waiting(settings, answered)
    _waiting(settings, "2026-11", "run-new", hours_left=24 * 7)  # another run waits on it now
    expired = _waiting(settings, "2026-10", "run-x", hours_left=-1)
    notify_waiting(settings, expired)
    assert remind_reviewers(settings) == []
    assert remind_reviewers(settings, now=datetime.now(UTC) - timedelta(hours=2)) == ["2026-10"]


def test_nobody_to_tell_is_recorded_not_fatal(settings: Settings) -> None:
    wait = _waiting(settings, "2026-12", "run-3", hours_left=12)
    assert notify_waiting(settings, wait) is False
    assert _mails(settings) == []
    assert remind_reviewers(settings) == []  # still nobody: failed, reported in the log
