"""Through the flows (issue 13): a monthly run that starts waiting emails the approvers (subjects,
coverage, absolute preview links), once; the daily run reminds them a day before the wait times
out, once, however many daily runs there are, with no process kept waiting for it."""

from __future__ import annotations

import os
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.staff import add_staff
from hrc_outreach.store import open_store
from tests.flows.test_monthly import (
    EDITION,
    _answer,
    _paused,
    _run_in_thread,
    _wait_until,
)

pytestmark = [pytest.mark.flow, pytest.mark.slow]


def _notices(settings: Settings) -> list[tuple[str, str, str]]:
    root = settings.resolve(settings.delivery.outbox_dir)
    found = []
    for path in sorted(root.rglob("*.eml")) if root.is_dir() else []:
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        if msg["X-HRC-Message"] != "review":
            continue
        body = msg.get_body(preferencelist=("plain",))
        found.append((str(msg["To"]), str(msg["Subject"]), body.get_content() if body else ""))
    return found


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # a wait of half a day: the reminder (due a day before it ends) is due at once
    monkeypatch.setenv("HRC_APPROVAL__TIMEOUT_DAYS", "0.5")
    monkeypatch.setenv("HRC_WEB__BASE_URL", "https://outreach.example.net")


def test_the_waiting_run_tells_approvers_and_the_daily_run_reminds_once(
    short_wait: None, demo: Settings, tmp_path: Path
) -> None:
    from flows.gather import daily_housekeeping
    from hrc_outreach.config import load_settings

    settings = load_settings(demo.config_path)
    store = open_store(settings)
    add_staff(store, "ana@example.org", name="Ana", role="approver", password="pw-0123456789abc")
    add_staff(store, "ed@example.org", name="Ed", role="editor", password="pw-0123456789abc")
    store.dispose()
    config = str(demo.config_path)
    thread, box = _run_in_thread(
        edition=EDITION, config=config, languages=["en", "fr", "ar"], gather=True,
        fallback_source=True,
    )  # fmt: skip
    _wait_until(lambda: "state" in box or _paused(EDITION), "the approval pause", box)
    assert "state" not in box, box
    told = _notices(settings)
    assert [(to, subject) for to, subject, _ in told] == [
        ("ana@example.org", f"Edition {EDITION} waits for your approval")
    ]
    text = told[0][2]
    for lang in ("en", "fr", "ar"):
        assert f"https://outreach.example.net/staff/editions/{EDITION}/preview/{lang}" in text
        assert f"[{lang}] " in text
    for lang in ("fr", "ar"):  # coverage per language, as the draft and `status` show it
        assert f"— {lang}: " in text and "% translated; strings " in text

    # a kept copy past delivery.outbox_retention_days (90 by default): the daily run deletes it
    old = settings.resolve(settings.delivery.outbox_dir) / "2026-08" / "job1-en-batch1-sub1.eml"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text("To: <old@example.org>\nSubject: August\n\nhello\n")
    long_ago = time.time() - 91 * 86400
    os.utime(old, (long_ago, long_ago))

    # two daily runs at once, then another: one reminder
    results: list[object] = []
    runs = [
        threading.Thread(target=lambda: results.append(daily_housekeeping(config=config)))
        for _ in range(2)
    ]
    for r in runs:
        r.start()
    for r in runs:
        r.join(timeout=300)
    daily_housekeeping(config=config)
    reminders = [s for _, s, _ in _notices(settings) if s.startswith("Reminder:")]
    assert len(reminders) == 1 and EDITION in reminders[0]
    assert len(_notices(settings)) == 2
    assert not old.exists(), "the daily run purges kept copies past their retention"

    _answer(settings, approve=False, reviewer="Ana", notes="not this month")
    thread.join(timeout=300)
    assert box["result"]["status"] == "rejected"
    assert len(_notices(settings)) == 2  # the answer tells nobody again
