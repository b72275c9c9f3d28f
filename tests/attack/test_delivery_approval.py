"""Attacks on "only what a person approved" at the ledger: a job planned under an approval is
resumed after a person rejected the edition, or after they approved other drafts; approvals of a
subset of languages, of another edition's hashes, or with a language added since."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hrc_outreach.approval import approve, content_hashes, reject
from hrc_outreach.deliver.ledger import plan_job
from hrc_outreach.errors import ApprovalError, OutreachError
from hrc_outreach.models import RenderedMessage
from hrc_outreach.store import Store
from tests.support.brevo_sim import BrevoSim, received
from tests.support.ledger_data import add_subscribers, approved, message, messages, planned_job
from tests.support.ledger_helpers import KEY, make_settings, send, token_secret  # noqa: F401


def _sent(tmp_path: Path) -> Counter[str]:
    return received(tmp_path / "sim") if (tmp_path / "sim" / "sim.db").exists() else Counter()


def test_a_job_is_not_resumed_after_the_edition_was_rejected(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Approved, planned, then a person rejects it (the date is wrong): resuming the send (a
    retry, a second sender, the next cron run) must not mail the rest of the audience."""
    store = sqlite_store
    settings = make_settings(tmp_path)
    job_id, msgs = planned_job(store, settings, 10, "brevo", max_recipients=5)
    reject(store, KEY, msgs, by="Bram", notes="wrong date")
    with BrevoSim(tmp_path / "sim") as sim, pytest.raises(ApprovalError, match="rejected by Bram"):
        send(store, settings, job_id, sim, messages=msgs)
    assert sum(_sent(tmp_path).values()) == 0


def test_a_job_is_not_resumed_after_other_drafts_were_approved(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """Approved and planned; then new drafts are approved in its place. The old job, fed its own
    (no longer approved) messages, sends nothing."""
    store = sqlite_store
    settings = make_settings(tmp_path)
    add_subscribers(store, 10, ("en",))
    old = approved(store, KEY, messages(KEY, ("en",)))
    job_id = plan_job(store, settings, KEY, old, "brevo", max_recipients=5)
    new = {"en": message(KEY, "en", subject="Corrected")}
    approve(store, KEY, new, by="Ana", shown=content_hashes(new))
    with BrevoSim(tmp_path / "sim") as sim, pytest.raises(OutreachError, match="changed since"):
        send(store, settings, job_id, sim, messages=old)
    assert sum(_sent(tmp_path).values()) == 0


def _pair() -> dict[str, RenderedMessage]:
    return messages(KEY, ("en", "fr"))


def test_approving_a_subset_of_the_languages_is_refused(sqlite_store: Store) -> None:
    msgs = _pair()
    with pytest.raises(ApprovalError, match="not shown: fr"):
        approve(sqlite_store, KEY, msgs, by="Ana", shown={"en": content_hashes(msgs)["en"]})


def test_approving_with_another_editions_hashes_is_refused(sqlite_store: Store) -> None:
    other = messages("2027-01", ("en", "fr"))
    with pytest.raises(ApprovalError, match="changed: en, fr"):
        approve(sqlite_store, KEY, _pair(), by="Ana", shown=content_hashes(other))


@pytest.mark.parametrize("shown", ["", "0", "e3b0"], ids=["empty", "one-char", "short"])
def test_a_hash_too_short_to_bind_is_refused(sqlite_store: Store, shown: str) -> None:
    msgs = _pair()
    hashes = content_hashes(msgs)
    with pytest.raises(ApprovalError):
        approve(sqlite_store, KEY, msgs, by="Ana", shown={"en": shown, "fr": hashes["fr"]})


def test_a_language_added_after_approval_cannot_be_planned(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    settings = make_settings(tmp_path)
    add_subscribers(store, 6, ("en", "fr"))
    approved(store, KEY, messages(KEY, ("en",)))
    with pytest.raises(ApprovalError, match="not approved: fr"):
        plan_job(store, settings, KEY, _pair(), "brevo")
