"""Approval binds to the content hashes of every language; sending requires a current approval."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hrc_outreach.approval import (
    DEMO_METHOD,
    EditionChangedError,
    approve,
    content_hashes,
    format_hashes,
    latest_decision,
    parse_hashes,
    reject,
    require_approval,
    require_name,
)
from hrc_outreach.config import Settings
from hrc_outreach.deliver.planner import plan_job
from hrc_outreach.errors import ApprovalError
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SendJobRow
from tests.support.ledger_data import add_subscribers, messages

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
    with pytest.raises(ApprovalError, match="a name is required.*--by NAME"):
        approve(store, KEY, messages(KEY), by="  ")


# ---------------------------------------------------------------- what the reviewer was shown


def test_hashes_as_a_reviewer_types_them() -> None:
    assert parse_hashes(" en=ABCDEF012345 , fr=abcdef0123456789 ") == {
        "en": "abcdef012345",
        "fr": "abcdef0123456789",
    }
    assert parse_hashes("en=abcdef012345 fr=abcdef012345") == {
        "en": "abcdef012345",
        "fr": "abcdef012345",
    }
    for bad, why in [
        ("en", "not LANG=HASH"),
        ("=abcdef012345", "not LANG=HASH"),
        ("en=", "not LANG=HASH"),
        ("en=abcdef01", "at least 12"),
        ("en=xyzxyzxyzxyz", "hexadecimal"),
        ("", "empty"),
        ("en=abcdef012345,en=000000000000", "twice"),
    ]:
        with pytest.raises(ApprovalError, match=why):
            parse_hashes(bad)
    full = content_hashes(messages(KEY, ("en", "ar")))
    assert parse_hashes(format_hashes(full)) == {k: v[:12] for k, v in full.items()}
    assert parse_hashes(format_hashes(full, short=False)) == full


def test_approving_other_drafts_than_those_shown_is_refused_naming_the_languages(
    store: Store,
) -> None:
    msgs = messages(KEY, ("en", "fr", "nl"))
    seen = content_hashes(msgs)
    now = {**msgs, "fr": msgs["fr"].model_copy(update={"subject": "Sujet refait"})}
    now.pop("nl")
    now.update(messages(KEY, ("ar",)))
    with pytest.raises(EditionChangedError) as caught:
        approve(store, KEY, now, by="Ana", shown={k: h[:12] for k, h in seen.items()})
    text = str(caught.value)
    assert "changed since the reviewer was shown it" in text
    assert "changed: fr" in text and "not shown: ar" in text and "no longer drafted: nl" in text
    assert "edition approve 2026-12 --show" in text
    assert caught.value.languages == ("ar", "fr", "nl")
    assert latest_decision(store, KEY) is None  # nothing recorded
    with pytest.raises(EditionChangedError, match="changed: en"):  # a prefix of another hash
        approve(store, KEY, msgs, by="Ana", shown={**seen, "en": "0" * 12})
    row = approve(store, KEY, msgs, by="Ana", shown={k: h[:12] for k, h in seen.items()})
    assert row.hashes == seen  # the full hashes are recorded


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_name_is_refused_before_anything_else(store: Store, name: str) -> None:
    msgs = messages(KEY)
    with pytest.raises(ApprovalError, match="a name is required"):
        approve(store, KEY, msgs, by=name, shown=content_hashes(msgs))
    with pytest.raises(ApprovalError, match="a name is required"):
        require_name(KEY, name)
    assert latest_decision(store, KEY) is None


def _plan_settings() -> Settings:
    return Settings.model_validate({"i18n": {"languages": ["en", "fr"]}})


def test_plan_refuses_without_an_approval(store: Store) -> None:
    add_subscribers(store, 4, ("en", "fr"))
    msgs = messages(KEY, ("en", "fr"))
    with pytest.raises(ApprovalError, match=r"edition '2026-12' was never approved"):
        plan_job(store, _plan_settings(), KEY, msgs, "brevo")
    reject(store, KEY, msgs, by="Bram", notes="not yet")
    with pytest.raises(ApprovalError, match="rejected by Bram"):
        plan_job(store, _plan_settings(), KEY, msgs, "brevo")
    with store.session() as s:
        assert s.scalars(select(SendJobRow)).all() == []


def test_plan_refuses_an_approval_of_other_hashes_and_records_the_one_it_used(
    store: Store,
) -> None:
    add_subscribers(store, 4, ("en", "fr"))
    msgs = messages(KEY, ("en", "fr"))
    other = {**msgs, "fr": msgs["fr"].model_copy(update={"html": msgs["fr"].html + "<p>v1</p>"})}
    approve(store, KEY, other, by="Ana", shown=content_hashes(other))
    with pytest.raises(ApprovalError, match=r"changed since Ana approved it .*changed: fr"):
        plan_job(store, _plan_settings(), KEY, msgs, "brevo")
    with store.session() as s:
        assert s.scalars(select(SendJobRow)).all() == []
    # a demo auto-approval never lets a real provider plan
    approve(store, KEY, msgs, by="make run", method=DEMO_METHOD, provider="outbox")
    with pytest.raises(ApprovalError, match="a person must approve"):
        plan_job(store, _plan_settings(), KEY, msgs, "brevo")
    row = approve(store, KEY, msgs, by="Ana", shown=content_hashes(msgs))
    job_id = plan_job(store, _plan_settings(), KEY, msgs, "brevo")
    with store.session() as s:
        job = s.get(SendJobRow, job_id)
        assert job is not None and job.approval_id == row.id
