"""Campaign steps through preview, approval and launch (issue 14), on the sample campaign and the
example subscribers, through the outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrc_outreach.audience.consent import subscribe
from hrc_outreach.campaigns.steps import approve_step, draft_step, launch_step, step_reports
from hrc_outreach.config import Settings
from hrc_outreach.errors import ApprovalError
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import SubscriberRow
from tests.campaigns.conftest import outbox_recipients, unsubscribe_email

VOTERS = {  # first-time voters of the example list living in the campaign's countries, confirmed
    "amira.haddad@example.org": "ar",
    "olena.kovalenko@example.net": "uk",
    "mehmet.yilmaz@example.org": "de",
    "fatima.zahra.benali@example.net": "fr",
    "ahmad.karimi@example.net": "fr",
}
KEY1 = "campaign:eu-elections:announcement"
KEY2 = "campaign:eu-elections:registration-reminder"


def _join(settings: Settings, email: str, country: str) -> None:
    """Someone signs up and confirms after the first step: a first-time voter living in ``country``."""
    from hrc_outreach.audience.consent import confirm

    store = open_store(settings)
    try:
        with store.session() as s:
            sub, token = subscribe(s, settings, email, name="New Voter", language="nl")
            assert sub is not None and token is not None
            confirm(s, settings, token)
            row = s.get(SubscriberRow, sub.id)
            assert row is not None
            row.segments, row.country = ["first-time-voter"], country
    finally:
        store.dispose()


def test_steps_reach_the_audience_once_and_only_while_subscribed(
    settings: Settings, campaign_dir: Path
) -> None:
    for step in ("announcement", "registration-reminder"):
        drafted = draft_step(settings, campaign_dir, step)
        assert drafted.errors == 0 and len(drafted.hashes) == 13 * 12  # 11 country links
    with pytest.raises(ApprovalError, match="never approved"):
        launch_step(settings, campaign_dir, "announcement")
    assert outbox_recipients(settings, KEY1) == {}

    approve_step(settings, campaign_dir, "announcement", by="Ana")
    first = launch_step(settings, campaign_dir, "announcement")
    assert first.report is not None and first.report.totals.accepted == len(VOTERS)
    assert outbox_recipients(settings, KEY1) == VOTERS
    # its public pages, one per campaign language, nothing per recipient in them
    assert len(first.archive_pages) == 13 and first.archive_error == ""
    fa = Path(next(p for p in first.archive_pages if p.endswith("/announcement/fa.html")))
    page = fa.read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in page and "[[" not in page and "بلژیک" in page

    # between the steps: one voter unsubscribes, one joins
    unsubscribe_email(settings, "mehmet.yilmaz@example.org")
    _join(settings, "new.voter@example.org", "NL")

    again = launch_step(settings, campaign_dir, "announcement")  # relaunch: nobody new
    assert again.already and again.report is not None
    assert again.report.totals.accepted == len(VOTERS)
    assert outbox_recipients(settings, KEY1) == VOTERS

    approve_step(settings, campaign_dir, "registration-reminder", by="Ana")
    second = launch_step(settings, campaign_dir, "registration-reminder")
    expected = {k: v for k, v in VOTERS.items() if not k.startswith("mehmet")}
    expected["new.voter@example.org"] = "nl"
    assert outbox_recipients(settings, KEY2) == expected
    assert second.report is not None and second.report.totals.accepted == len(expected)

    report = step_reports(settings, campaign_dir)
    by_step = {s["step"]: s for s in report["steps"]}
    assert by_step["announcement"]["jobs"][0]["totals"]["accepted"] == len(VOTERS)
    assert by_step["election-day"]["jobs"] == [] and by_step["election-day"]["decision"] is None


def test_a_change_after_approval_is_refused(settings: Settings, campaign_dir: Path) -> None:
    draft_step(settings, campaign_dir, "announcement")
    approve_step(settings, campaign_dir, "announcement", by="Ana")
    body = campaign_dir / "announcement" / "fr.md"
    body.write_text(body.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n", encoding="utf-8")
    with pytest.raises(
        ApprovalError,
        match=r"changed since it was previewed \(changed: fr \(\+11 country links\)\)",
    ):
        launch_step(settings, campaign_dir, "announcement")
    assert outbox_recipients(settings, KEY1) == {}
    draft_step(settings, campaign_dir, "announcement")  # previewed again: not approved
    with pytest.raises(ApprovalError, match="changed since Ana approved"):
        launch_step(settings, campaign_dir, "announcement")


def test_dry_run_counts_and_sends_nothing(settings: Settings, campaign_dir: Path) -> None:
    draft_step(settings, campaign_dir, "election-day")
    out = launch_step(settings, campaign_dir, "election-day", dry_run=True)
    assert out.archive_pages == []
    assert out.dry_run is not None and out.dry_run["recipients"] == len(VOTERS)
    assert out.job_id is None and outbox_recipients(settings, KEY1) == {}


def test_a_rejected_step_is_not_sent(settings: Settings, campaign_dir: Path) -> None:
    draft_step(settings, campaign_dir, "announcement")
    approve_step(settings, campaign_dir, "announcement", by="Ana", reject=True, notes="typo")
    with pytest.raises(ApprovalError, match="rejected by Ana"):
        launch_step(settings, campaign_dir, "announcement")


def test_readers_of_campaign_languages_get_their_own(
    settings: Settings, campaign_dir: Path, tmp_path: Path
) -> None:
    """Turkish and Persian are no newsletter languages, but they have catalogs: a list may say a
    person reads them, and the campaign reaches them in theirs (the newsletter in English)."""
    from hrc_outreach.audience.importer import import_csv

    extra = tmp_path / "extra.csv"
    extra.write_text(
        "email,name,language,segments,consent date,country\n"
        "elif.demir@example.org,Elif Demir,tr,first-time-voter,2025-03-20,DE\n"
        "reza.ahmadi@example.net,Reza Ahmadi,Persian,dare,2025-03-20,NL\n"
        "x@example.org,X,Klingon,dare,2025-03-20,NL\n",
        encoding="utf-8",
    )
    store = open_store(settings)
    try:
        with store.session() as s:
            result = import_csv(s, settings, extra)
    finally:
        store.dispose()
    assert result.rejected == () and result.imported == 3
    assert [w.line for w in result.warnings] == [4]  # Klingon: imported in the source language
    draft_step(settings, campaign_dir, "announcement")
    approve_step(settings, campaign_dir, "announcement", by="Ana")
    launch_step(settings, campaign_dir, "announcement")
    got = outbox_recipients(settings, KEY1)
    assert got["elif.demir@example.org"] == "tr" and got["reza.ahmadi@example.net"] == "fa"
    assert got["x@example.org"] == "en"


def test_a_launch_marks_no_edition_and_warns_of_none(
    settings: Settings, campaign_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A campaign step's send job is its own record: no edition is marked sent for it, and the
    log carries no warning about one (it said 'could not mark the edition sent' on every launch)."""
    import logging

    draft_step(settings, campaign_dir, "announcement")
    approve_step(settings, campaign_dir, "announcement", by="Ana")
    with caplog.at_level(logging.WARNING):
        launched = launch_step(settings, campaign_dir, "announcement")
    assert launched.report is not None and launched.report.totals.accepted == len(VOTERS)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [w for w in warnings if "edition" in w], warnings
