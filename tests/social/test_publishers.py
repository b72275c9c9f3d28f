"""Each publisher against a local server speaking its platform's API (tests/support/
social_platforms.py checks every request's documented shape): every due post of the approved
edition published once, a rerun publishes nothing, a 429 waits its Retry-After, a 400 fails that
post with the platform's message while the rest go on, an answer lost after acceptance is found
on the platform instead of posted again."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from hrc_outreach.errors import ApprovalError
from hrc_outreach.social.accounts import publisher_for
from hrc_outreach.social.base import Publisher
from hrc_outreach.social.ledger import PostState
from hrc_outreach.social.publishing import publish_edition
from hrc_outreach.store import Store
from tests.support.social_data import KEY, LANGS, approved_edition, settings_for
from tests.support.social_platforms import Platforms, Reply

LATER = datetime(2026, 12, 20, tzinfo=UTC)  # every post of the edition is due
API = ("mastodon", "bluesky", "facebook", "instagram", "linkedin")


def _publisher(
    name: str, platforms: Platforms, client: httpx.Client, sleeps: list[float] | None = None
) -> Publisher:
    sleep = sleeps.append if sleeps is not None else None
    return publisher_for(name, client, platforms.env(), sleep=sleep)


def _publish(store: Store, tmp_path: Path, pub: Publisher, **kw: object):  # type: ignore[no-untyped-def]
    return publish_edition(
        store, settings_for(tmp_path), KEY, pub, languages=list(LANGS), now=LATER, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("name", API)
def test_every_post_published_once_and_a_rerun_publishes_nothing(
    name: str, store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    approved_edition(store, settings_for(tmp_path))
    pub = _publisher(name, platforms, client)
    first = _publish(store, tmp_path, pub)
    assert [o.state for o in first.outcomes] == [PostState.PUBLISHED] * 2 * len(LANGS), (
        first.outcomes
    )
    assert len(platforms.posts[name]) == 2 * len(LANGS)
    assert all(o.url.startswith("https://") for o in first.outcomes)
    again = _publish(store, tmp_path, _publisher(name, platforms, client))
    assert [o.state for o in again.outcomes] == [PostState.PUBLISHED] * 2 * len(LANGS)
    assert len(platforms.posts[name]) == 2 * len(LANGS), "a rerun published again"


def test_request_shapes_carry_text_card_alt_and_keys(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    msgs = approved_edition(sqlite_store, settings_for(tmp_path))
    for name in API:
        _publish(sqlite_store, tmp_path, _publisher(name, platforms, client))
    texts = {(p.platform.value, p.lang, p.item_id): p for m in msgs.values() for p in m.social}
    # Mastodon: alt text as the media description, the Idempotency-Key header on every status
    media = [r for r in platforms.requests if r.path == "/api/v2/media"]
    assert {r.form()["description"] for r in media} == {
        p.image_alt for (pl, _, _), p in texts.items() if pl == "mastodon"
    }
    statuses = [r for r in platforms.requests if r.path == "/api/v1/statuses"]
    assert len({r.headers["idempotency-key"] for r in statuses}) == len(statuses) == 8
    assert all(r.json["media_ids"] for r in statuses)
    # Bluesky: TID record keys, facets at the bytes of the link, alt on the image embed
    for post in platforms.posts["bluesky"]:
        rec = post["value"]
        raw = rec["text"].encode()
        links = [f for f in rec["facets"] if f["features"][0]["$type"].endswith("#link")]
        assert [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in links] == [
            links[0]["features"][0]["uri"]
        ]
        tags = [f for f in rec["facets"] if f["features"][0]["$type"].endswith("#tag")]
        assert [raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in tags] == [
            "#HumanRights",
            "#حقوق_الإنسان",
        ]
        assert rec["embed"]["images"][0]["alt"].startswith("Image card:")
        assert rec["embed"]["images"][0]["aspectRatio"] == {"width": 120, "height": 63}
    # Instagram: the card at a public URL under the archive, with alt text
    for post in platforms.posts["instagram"]:
        assert post["image_url"].startswith("https://outreach.example/archive/cards/2026-12/")
        assert post["alt_text"].startswith("Image card:")
    assert (tmp_path / "out" / "archive" / "cards" / KEY / "ar").is_dir()
    # LinkedIn: the image uploaded first and attached with its alt text; little text escaped
    for post in platforms.posts["linkedin"]:
        assert post["content"]["media"]["id"].startswith("urn:li:image:")
        assert "\\#HumanRights" in post["commentary"]
    # Facebook: the card uploaded with the photo, the text as message
    assert {p["message"] for p in platforms.posts["facebook"]} == {
        p.text for (pl, _, _), p in texts.items() if pl == "facebook"
    }


@pytest.mark.parametrize("name", API)
def test_a_400_fails_that_post_with_the_platforms_message_and_the_rest_go_on(
    name: str, sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path))
    bodies = {
        "mastodon": {"error": "Validation failed: Text is too spammy"},
        "bluesky": {"error": "InvalidRequest", "message": "Text is too spammy"},
        "facebook": {"error": {"message": "(#368) Text is too spammy", "code": 368}},
        "instagram": {"error": {"message": "(#368) Text is too spammy", "code": 368}},
        "linkedin": {"status": 400, "message": "Text is too spammy"},
    }
    platforms.script(name, Reply(400, bodies[name]))
    report = _publish(sqlite_store, tmp_path, _publisher(name, platforms, client))
    states = [o.state for o in report.outcomes]
    assert states.count(PostState.FAILED) == 1 and states.count(PostState.PUBLISHED) == 7
    failed = next(o for o in report.outcomes if o.state == PostState.FAILED)
    assert "Text is too spammy" in failed.note and "400" in failed.note
    assert len(platforms.posts[name]) == 7
    # a rerun leaves the failed post to a person and publishes nothing again
    again = _publish(sqlite_store, tmp_path, _publisher(name, platforms, client))
    assert [o.state for o in again.outcomes] == states
    assert len(platforms.posts[name]) == 7


@pytest.mark.parametrize("name", API)
def test_a_429_is_retried_after_its_retry_after(
    name: str, sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path))
    platforms.script(name, Reply(429, {"error": "Too many requests"}, {"Retry-After": "7"}))
    sleeps: list[float] = []
    report = _publish(sqlite_store, tmp_path, _publisher(name, platforms, client, sleeps))
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED] * 8
    assert sleeps == [7.0]
    assert len(platforms.posts[name]) == 8


def test_a_429_waits_for_real(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    """The wait is real time with the default sleep, not only a number handed to a hook."""
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    platforms.script("mastodon", Reply(429, {"error": "Throttled"}, {"Retry-After": "1"}))
    t0 = time.monotonic()
    report = publish_edition(
        sqlite_store,
        settings_for(tmp_path),
        KEY,
        _publisher("mastodon", platforms, client),
        languages=["en"],
        now=LATER,
    )
    assert time.monotonic() - t0 >= 1.0
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED] * 2


@pytest.mark.parametrize("name", API)
def test_an_answer_lost_after_acceptance_is_found_not_posted_again(
    name: str, sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    """A 502 after the platform created the post (no idempotency key honoured): in doubt; the
    next run finds it among the account's posts and records it, posting nothing."""
    approved_edition(sqlite_store, settings_for(tmp_path))
    platforms.script(name, Reply(502, {"error": "Bad Gateway"}, accept=True))
    first = _publish(sqlite_store, tmp_path, _publisher(name, platforms, client))
    states = [o.state for o in first.outcomes]
    assert len(platforms.posts[name]) == 8
    if name == "bluesky":  # its record key names the post: the publisher finds it at once
        assert states == [PostState.PUBLISHED] * 8
        return
    assert states.count(PostState.IN_DOUBT) == 1 and states.count(PostState.PUBLISHED) == 7
    second = _publish(sqlite_store, tmp_path, _publisher(name, platforms, client))
    assert [o.state for o in second.outcomes] == [PostState.PUBLISHED] * 8
    assert len(platforms.posts[name]) == 8, "the in-doubt post was posted a second time"
    found = next(o for o, s in zip(second.outcomes, states, strict=True) if s == PostState.IN_DOUBT)
    assert found.url and found.note == "found on the platform"


def test_an_in_doubt_post_not_on_the_platform_is_posted_once(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    platforms.script(
        "facebook", Reply(502, {"error": {"message": "Bad Gateway"}})
    )  # nothing created
    first = publish_edition(
        sqlite_store,
        settings_for(tmp_path),
        KEY,
        _publisher("facebook", platforms, client),
        languages=["en"],
        now=LATER,
    )
    assert [o.state for o in first.outcomes].count(PostState.IN_DOUBT) == 1
    second = publish_edition(
        sqlite_store,
        settings_for(tmp_path),
        KEY,
        _publisher("facebook", platforms, client),
        languages=["en"],
        now=LATER,
    )
    assert [o.state for o in second.outcomes] == [PostState.PUBLISHED] * 2
    assert len(platforms.posts["facebook"]) == 2


def test_nothing_is_published_before_approval_or_after_a_change(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    from hrc_outreach.render.output import save_drafts

    msgs = approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    changed = msgs["en"].social[0].model_copy(update={"text": msgs["en"].social[0].text + "!"})
    save_drafts(
        sqlite_store, [msgs["en"].model_copy(update={"social": (changed, *msgs["en"].social[1:])})]
    )
    with pytest.raises(ApprovalError, match="changed since"):
        publish_edition(
            sqlite_store,
            settings_for(tmp_path),
            KEY,
            _publisher("mastodon", platforms, client),
            languages=["en"],
            now=LATER,
        )
    assert not platforms.posts["mastodon"]


def test_posts_wait_for_their_time(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    between = datetime(2026, 11, 3, 12, tzinfo=UTC)  # the edition post is due, the item's is not
    report = publish_edition(
        sqlite_store,
        settings_for(tmp_path),
        KEY,
        _publisher("bluesky", platforms, client),
        languages=["en"],
        now=between,
    )
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED, "not due"]
    # Mastodon schedules: with schedule=True the later post goes over with scheduled_at
    report = publish_edition(
        sqlite_store,
        settings_for(tmp_path),
        KEY,
        _publisher("mastodon", platforms, client),
        languages=["en"],
        now=between,
        schedule=True,
    )
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED, PostState.PUBLISHED]
    scheduled = [r.json for r in platforms.requests if r.path == "/api/v1/statuses"][1]
    assert scheduled["scheduled_at"] == "2026-11-04T09:00:00Z"


def test_instagram_publishes_a_container_only_once_it_is_finished(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    platforms.ig_in_progress_polls = 2
    sleeps: list[float] = []
    report = publish_edition(
        sqlite_store,
        settings_for(tmp_path),
        KEY,
        _publisher("instagram", platforms, client, sleeps),
        languages=["en"],
        now=LATER,
    )
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED] * 2
    assert sleeps == [2.0] * 4  # two IN_PROGRESS answers per container
    order = [r.path.rsplit("/", 1)[-1] for r in platforms.requests if "/v21.0/" in r.path]
    assert order[:4] == ["media", "c1", "c1", "c1"] and order[4] == "media_publish"


def test_two_runs_at_once_publish_each_post_once(
    store: Store, tmp_path: Path, platforms: Platforms
) -> None:
    """Two runs in one process (threads of a flow, the web app) over the same edition: the claim
    committed before each request lets one of them publish each post."""
    import threading

    approved_edition(store, settings_for(tmp_path))
    reports: list[object] = []

    def run() -> None:
        with httpx.Client(timeout=5) as c:
            reports.append(_publish(store, tmp_path, _publisher("facebook", platforms, c)))

    platforms.create_delay = 0.4  # each post exists 0.4 s before its answer: the others see it
    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:  # the later runs start while the first one's post is submitting
        t.start()
        time.sleep(0.15)
    for t in threads:
        t.join(60)
    assert len(reports) == 3
    assert len(platforms.posts["facebook"]) == 2 * len(LANGS), "a post was published twice"
    notes = [o.note for r in reports for o in r.outcomes]  # type: ignore[attr-defined]
    assert any(n.startswith("being published by ") for n in notes), notes
    again = _publish(store, tmp_path, _publisher("facebook", platforms, httpx.Client()))
    assert [o.state for o in again.outcomes] == [PostState.PUBLISHED] * 2 * len(LANGS)


def test_a_bluesky_retry_names_the_same_record_and_cannot_add_a_second(
    platforms: Platforms, client: httpx.Client
) -> None:
    """Publishing the same post twice (a retry whose first answer was lost) creates one record:
    the record key is derived from the post; the PDS answers 500 for the taken key (its
    repository's "There is already a value at key") and the publisher finds its own record."""
    from hrc_outreach.social.base import OutgoingPost
    from hrc_outreach.social.bluesky import record_key

    post = OutgoingPost(
        KEY,
        "fa",
        "bluesky",
        "گوانگجو 👩🏽‍⚖️ https://example.org/x",
        "0123456789abcdef01234567",
        datetime(2026, 11, 3, 9, tzinfo=UTC),
    )
    pub = _publisher("bluesky", platforms, client)
    first = pub.publish(post)
    second = pub.publish(post)
    assert first == second and first.remote_id.endswith("/app.bsky.feed.post/" + record_key(post))
    assert len(platforms.posts["bluesky"]) == 1
    other = OutgoingPost(
        **{**post.__dict__, "marker": "fedcba9876543210fedcba98"}
    )  # same time, another post
    assert record_key(other) != record_key(post)
