from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import (
    apply_suppression,
    confirm,
    subscribe,
    unsubscribe,
    update_preferences,
)
from hrc_outreach.audience.links import links_for
from hrc_outreach.audience.snapshot import audience_snapshot, email_hash, is_suppressed
from hrc_outreach.audience.tokens import make_token
from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import SuppressionEvent, SuppressionReason
from hrc_outreach.errors import AudienceError, TokenError
from hrc_outreach.models import ConsentState
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow, SuppressionRow

from .conftest import SECRET, snapshot_of_db


def _confirmed(store: Store, settings: Settings, email: str = "ana@example.org") -> int:
    with store.session() as s:
        sub, token = subscribe(s, settings, email, "Ana", "pt", "form")
        assert sub is not None and token is not None
    with store.session() as s:
        assert confirm(s, settings, token).state is ConsentState.CONFIRMED
    return sub.id


def test_double_opt_in_pending_then_confirmed_and_logged(store: Store, settings: Settings) -> None:
    with store.session() as s:
        sub, token = subscribe(s, settings, " Ana@Example.ORG ", "Ana", "Português", "form")
    assert sub is not None and token is not None
    assert sub.state is ConsentState.PENDING and sub.email == "ana@example.org"
    assert sub.language == "pt_PT"
    with store.session() as s:
        assert audience_snapshot(s) == []  # pending people are not mailed
        again = confirm(s, settings, token)
        assert confirm(s, settings, token).state is ConsentState.CONFIRMED  # idempotent
    assert again.state is ConsentState.CONFIRMED
    with store.session() as s:
        actions = s.scalars(select(ConsentEventRow.action).order_by(ConsentEventRow.id)).all()
        assert actions == ["subscribed", "confirmed"]
        row = s.get(SubscriberRow, sub.id)
        assert row is not None and row.consent_at is not None
        assert [m.email for m in audience_snapshot(s)] == ["ana@example.org"]
        # subscribing a confirmed address again needs no confirmation and changes nothing
        same, no_token = subscribe(s, settings, "ana@example.org", "Ana", "pt", "form")
        assert same is not None and same.id == sub.id and no_token is None


def test_bad_tokens_change_nothing(store: Store, settings: Settings) -> None:
    sid = _confirmed(store, settings)

    def bad_tokens(purpose: str) -> list[str]:
        good = make_token(SECRET, purpose, sid)
        other = "preferences" if purpose != "preferences" else "unsubscribe"
        return [
            good[:-2],  # truncated
            good[:5] + ("A" if good[5] != "A" else "B") + good[6:],  # forged
            make_token("another-secret-of-enough-length", purpose, sid),  # re-signed
            make_token(SECRET, other, sid),  # wrong purpose
            make_token(SECRET, purpose, sid, expires=datetime(2020, 1, 1, tzinfo=UTC)),  # expired
        ]

    before = snapshot_of_db(store)
    for bad in bad_tokens("unsubscribe"):
        with pytest.raises(TokenError), store.session() as s:
            unsubscribe(s, settings, bad)
    for bad in bad_tokens("preferences"):
        with pytest.raises(TokenError), store.session() as s:
            update_preferences(s, settings, bad, language="fr")
    for bad in bad_tokens("confirm"):
        with pytest.raises(TokenError), store.session() as s:
            confirm(s, settings, bad)
    assert snapshot_of_db(store) == before
    with store.session() as s:
        assert not is_suppressed(s, "ana@example.org")
        assert s.get(SubscriberRow, sid).language == "pt_PT"  # type: ignore[union-attr]


def test_unsubscribe_is_idempotent(store: Store, settings: Settings) -> None:
    sid = _confirmed(store, settings)
    token = links_for(settings).unsubscribe_url(sid).rsplit("/", 1)[1]
    with store.session() as s:
        sub = unsubscribe(s, settings, token, method="one-click")
        assert sub is not None and sub.state is ConsentState.UNSUBSCRIBED
    after_first = snapshot_of_db(store)
    with store.session() as s:
        unsubscribe(s, settings, token)
    assert snapshot_of_db(store) == after_first
    with store.session() as s:
        assert is_suppressed(s, "ANA@example.org")
        assert audience_snapshot(s) == []
        methods = s.scalars(
            select(ConsentEventRow.method).where(ConsentEventRow.action == "unsubscribed")
        ).all()
        assert methods == ["one-click"]
        # and subscribing again from a form is a silent no-op
        assert subscribe(s, settings, "ana@example.org", "Ana", "", "form") == (None, None)
        assert s.get(SubscriberRow, sid).state == "unsubscribed"  # type: ignore[union-attr]


def test_preferences(store: Store, settings: Settings) -> None:
    sid = _confirmed(store, settings)
    token = make_token(SECRET, "preferences", sid)
    with store.session() as s:
        sub = update_preferences(
            s, settings, token, language="uk", topics=["events", " events"], segments=["city"]
        )
    assert sub.language == "uk" and sub.topics == ("events",) and sub.segments == ("city",)
    with store.session() as s:
        with pytest.raises(AudienceError, match="Klingon"):
            update_preferences(s, settings, token, language="Klingon")
        entry = s.scalars(
            select(ConsentEventRow).where(ConsentEventRow.action == "preferences")
        ).one()
        assert entry.detail["language"] == ["pt_PT", "uk"]


def test_provider_suppressions(store: Store, settings: Settings) -> None:
    _confirmed(store, settings, "ana@example.org")
    _confirmed(store, settings, "bo@example.org")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    bounce = SuppressionEvent(
        email="Ana@example.org", reason=SuppressionReason.HARD_BOUNCE, at=at, provider="brevo"
    )
    complaint = SuppressionEvent(
        email="bo@example.org", reason=SuppressionReason.COMPLAINT, at=at, provider="sendgrid"
    )
    stranger = SuppressionEvent(
        email="nobody@example.net", reason=SuppressionReason.HARD_BOUNCE, at=at, provider="brevo"
    )
    with store.session() as s:
        assert apply_suppression(s, bounce) and apply_suppression(s, complaint)
        assert apply_suppression(s, stranger)
    with store.session() as s:
        assert not apply_suppression(s, bounce)  # nothing new
        states = dict(s.execute(select(SubscriberRow.email, SubscriberRow.state)).tuples().all())
        assert states == {"ana@example.org": "bounced", "bo@example.org": "complained"}
        reasons = dict(
            s.execute(select(SuppressionRow.email_hash, SuppressionRow.reason)).tuples().all()
        )
        assert reasons[email_hash("nobody@example.net")] == "bounced"
        assert audience_snapshot(s) == []


def test_unsubscribe_by_mail_subject(store: Store, settings: Settings) -> None:
    from urllib.parse import unquote

    from hrc_outreach.audience.consent import unsubscribe_by_mail

    sid = _confirmed(store, settings)
    mailto = links_for(settings).unsubscribe_mailto(sid)
    subject = unquote(mailto.split("subject=", 1)[1])
    with store.session() as s:
        with pytest.raises(TokenError):
            unsubscribe_by_mail(s, settings, "please remove me")
        sub = unsubscribe_by_mail(s, settings, "Re: " + subject)
        assert sub is not None and sub.state is ConsentState.UNSUBSCRIBED
        assert is_suppressed(s, "ana@example.org")
