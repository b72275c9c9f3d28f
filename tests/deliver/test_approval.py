"""Approval binds to the content hashes of every language; sending requires a current approval."""

from __future__ import annotations

import pytest

from hrc_outreach.approval import DEMO_METHOD, approve, reject, require_approval
from hrc_outreach.errors import ApprovalError
from hrc_outreach.store import Store
from tests.support.ledger_data import messages

KEY = "2026-12"


def test_never_approved_is_refused(store: Store) -> None:
    with pytest.raises(ApprovalError, match="never approved.*edition approve 2026-12 --by NAME"):
        require_approval(store, KEY, messages(KEY))


def test_approval_records_who_and_which_hashes(store: Store) -> None:
    msgs = messages(KEY, ("en", "fr", "ar"))
    row = approve(store, KEY, msgs, by="Ana Silva", notes="looks good")
    assert row.hashes == {lang: m.content_hash() for lang, m in msgs.items()}
    ok = require_approval(store, KEY, msgs)
    assert (ok.by, ok.method, ok.notes, ok.decision) == (
        "Ana Silva",
        "cli",
        "looks good",
        "approved",
    )


def test_rejected_is_refused_with_the_notes(store: Store) -> None:
    msgs = messages(KEY)
    approve(store, KEY, msgs, by="Ana")
    reject(store, KEY, msgs, by="Bram", notes="wrong date in the fr subject")
    with pytest.raises(ApprovalError, match="rejected by Bram.*wrong date in the fr subject"):
        require_approval(store, KEY, msgs)
    approve(store, KEY, msgs, by="Bram")  # the latest decision wins
    assert require_approval(store, KEY, msgs).by == "Bram"


def test_changed_since_approval_names_the_languages(store: Store) -> None:
    msgs = messages(KEY, ("en", "fr", "nl"))
    approve(store, KEY, msgs, by="Ana")
    changed = dict(msgs)
    changed["fr"] = msgs["fr"].model_copy(update={"html": msgs["fr"].html + "<p>late edit</p>"})
    changed["nl"] = msgs["nl"].model_copy(update={"subject": "Nieuw onderwerp"})
    with pytest.raises(ApprovalError, match=r"changed since Ana approved.*changed: fr, nl"):
        require_approval(store, KEY, changed)
    more = {**msgs, **messages(KEY, ("ar",))}
    with pytest.raises(ApprovalError, match="not approved: ar"):
        require_approval(store, KEY, more)
    fewer = {k: v for k, v in msgs.items() if k != "nl"}
    with pytest.raises(ApprovalError, match="no longer drafted: nl"):
        require_approval(store, KEY, fewer)


def test_demo_auto_approval_only_for_the_outbox(store: Store) -> None:
    msgs = messages(KEY)
    with pytest.raises(ApprovalError, match="only for the outbox provider"):
        approve(store, KEY, msgs, by="demo", method=DEMO_METHOD, provider="brevo")
    approve(store, KEY, msgs, by="demo", method=DEMO_METHOD, provider="outbox")
    assert require_approval(store, KEY, msgs, provider="outbox").method == DEMO_METHOD
    # ...and a demo approval does not let a real provider send
    with pytest.raises(ApprovalError, match="a person must approve"):
        require_approval(store, KEY, msgs, provider="brevo")


def test_an_approval_needs_a_name(store: Store) -> None:
    with pytest.raises(ApprovalError, match="--by NAME"):
        approve(store, KEY, messages(KEY), by="  ")
