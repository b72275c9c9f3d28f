"""Preferences beyond consent.update_preferences: public segments, a pause until a date (and the
audience leaving paused people out), everything-or-nothing saving; the double opt-in email."""

from __future__ import annotations

import asyncio
import email
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import confirm, subscribe
from hrc_outreach.audience.links import links_for
from hrc_outreach.audience.optin import confirmation_message, send_confirmation
from hrc_outreach.audience.preferences import (
    pause_until,
    public_segments,
    save_preferences,
    segment_tags,
)
from hrc_outreach.audience.segments import Segment
from hrc_outreach.audience.snapshot import audience_snapshot
from hrc_outreach.config import AudienceSettings, DeliverySettings, Settings
from hrc_outreach.errors import AudienceError
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow

from .conftest import snapshot_of_db

SEGMENTS = """
segments:
  voters: {description: First-time voters, tags: [first-time-voter, dare], public: true}
  press: {description: Press, tags: [press]}
"""


@pytest.fixture
def psettings(settings: Settings, tmp_path: Path) -> Settings:
    seg = tmp_path / "segments.yaml"
    seg.write_text(SEGMENTS, encoding="utf-8")
    return settings.model_copy(
        update={
            "audience": AudienceSettings(segments_file=seg),
            "delivery": DeliverySettings(outbox_dir=tmp_path / "outbox"),
        }
    )


def _member(store: Store, settings: Settings, addr: str = "ana@example.org") -> tuple[int, str]:
    with store.session() as s:
        sub, token = subscribe(s, settings, addr, "Ana", "fr")
        assert sub is not None and token is not None
        confirm(s, settings, token)
    return sub.id, links_for(settings).preferences_url(sub.id).rsplit("/", 1)[1]


def test_segment_tags_join_leave_and_keep_others() -> None:
    offered = [Segment(name="voters", tags=("first-time-voter", "dare"), public=True)]
    assert segment_tags(["press"], offered, ["voters"]) == ["first-time-voter", "press"]
    assert segment_tags(["dare", "press"], offered, ["voters"]) == ["dare", "press"]
    assert segment_tags(["dare", "first-time-voter", "press"], offered, []) == ["press"]


def test_public_segments_only(psettings: Settings) -> None:
    assert [s.name for s in public_segments(psettings)] == ["voters"]


def test_pause_leaves_the_audience_until_it_ends(store: Store, psettings: Settings) -> None:
    sid, token = _member(store, psettings)
    until = datetime.now(UTC).date() + timedelta(days=10)
    with store.session() as s:
        pause_until(s, psettings, token, until)
        pause_until(s, psettings, token, until)  # the same pause again: logged once
    with store.session() as s:
        assert audience_snapshot(s) == []
        actions = s.scalars(select(ConsentEventRow.action)).all()
        assert actions.count("paused") == 1
        row = s.get(SubscriberRow, sid)
        assert row is not None
        row.paused_until = datetime.now(UTC) - timedelta(seconds=1)  # the pause has ended
    with store.session() as s:
        assert [m.subscriber_id for m in audience_snapshot(s)] == [sid]
        pause_until(s, psettings, token, None)
        assert s.get(SubscriberRow, sid).paused_until is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "bad",
    [
        {"topics": ["gossip"]},
        {"segments": ["press"]},  # not offered publicly
        {"language": "klingon"},
        {"paused_until": date(2000, 1, 1)},
        {"paused_until": date.today() + timedelta(days=4000)},
    ],
)
def test_save_preferences_all_or_nothing(store: Store, psettings: Settings, bad: dict) -> None:
    _sid, token = _member(store, psettings)
    before = snapshot_of_db(store)
    values = {"language": "ar", "topics": ["event"], "segments": ["voters"], "paused_until": None}
    values.update(bad)
    with pytest.raises(AudienceError), store.session() as s:
        save_preferences(s, psettings, token, **values)
    assert snapshot_of_db(store) == before
    with store.session() as s:
        row = s.scalars(select(SubscriberRow)).one()
        assert (row.language, row.topics, row.segments, row.paused_until) == ("fr", [], [], None)


def test_save_preferences(store: Store, psettings: Settings) -> None:
    sid, token = _member(store, psettings)
    until = date.today() + timedelta(days=30)
    with store.session() as s:
        sub = save_preferences(
            s,
            psettings,
            token,
            language="ar",
            topics=["event", "news"],
            segments=["voters"],
            paused_until=until,
        )
    assert (sub.language, sub.topics, sub.segments) == (
        "ar",
        ("event", "news"),
        ("first-time-voter",),
    )
    with store.session() as s:
        assert s.get(SubscriberRow, sid).paused_until.date() == until  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["en", "fr", "ar", "uk"])
def test_confirmation_email_in_the_language(store: Store, psettings: Settings, lang: str) -> None:
    with store.session() as s:
        sub, token = subscribe(s, psettings, f"new-{lang}@example.org", "Nour", lang)
    assert sub is not None and token is not None
    result = asyncio.run(send_confirmation(psettings, sub, token))
    assert result.accepted
    files = list((psettings.delivery.outbox_dir / "opt-in").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=default)
    assert isinstance(msg, EmailMessage)
    url = f"{psettings.web.base_url}/confirm/{token}"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert url in text and url in html
    assert msg["To"].addresses[0].addr_spec == f"new-{lang}@example.org"
    assert msg["Content-Language"] == lang
    english = confirmation_message(psettings, "en", url)
    if lang == "en":
        assert msg["Subject"] == english.subject
    else:  # translated chrome, not the English fallback
        assert msg["Subject"] != english.subject
    if lang == "ar":
        assert 'dir="rtl"' in html
