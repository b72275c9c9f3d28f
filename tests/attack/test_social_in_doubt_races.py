"""Orders of events around a post in doubt that could post it twice (issue 15): a run whose
look-up went stale because another run retried the post meanwhile, a re-approval with new text
while a run is publishing, and a re-draft between a crash and the resume (tests/social/
test_in_doubt_changed.py has the kills). The platforms ignore idempotency keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hrc_outreach.social import ledger
from hrc_outreach.social.accounts import publisher_for
from hrc_outreach.social.base import OutgoingPost, Published, Publisher
from hrc_outreach.social.ledger import PostState
from hrc_outreach.social.publishing import publish_edition
from hrc_outreach.store import Store
from tests.social.test_in_doubt_changed import redraft
from tests.support.social_data import KEY, LANGS, approved_edition, settings_for
from tests.support.social_platforms import Platforms, Reply

LATER = datetime(2026, 12, 20, tzinfo=UTC)


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    with Platforms(honour_idempotency=False) as p:
        yield p


class LookUpThen:
    """A real publisher whose first look-up, once answered, lets ``meanwhile`` run before this
    run goes on (another run taking the same post between our look-up and our claim)."""

    def __init__(self, inner: Publisher, meanwhile: Callable[[], None]) -> None:
        self.inner, self.meanwhile = inner, meanwhile
        self.platform, self.account = inner.platform, inner.account

    def publish(self, post: OutgoingPost) -> Published:
        return self.inner.publish(post)

    def find(self, post: OutgoingPost) -> Published | None:
        found = self.inner.find(post)
        if self.meanwhile is not None:
            run, self.meanwhile = self.meanwhile, None  # type: ignore[assignment]
            run()
        return found


def _publish(store: Store, tmp_path: Path, pub: Any) -> Any:
    return publish_edition(
        store, settings_for(tmp_path), KEY, pub, languages=list(LANGS), now=LATER
    )


@pytest.mark.parametrize("name", ["facebook", "mastodon", "linkedin"])
def test_a_stale_look_up_never_lets_a_second_run_post_the_same_in_doubt_post(
    name: str, store: Store, tmp_path: Path, platforms: Platforms
) -> None:
    """Run B looks the in-doubt post up (not there); before B claims it, run A retries it: the
    platform takes it and the answer is lost again (in doubt once more). B's look-up is stale:
    B must not post it."""
    approved_edition(store, settings_for(tmp_path))
    platforms.script(name, Reply(502, {"error": "Bad Gateway"}))  # nothing created
    with httpx.Client(timeout=5) as c:
        first = _publish(store, tmp_path, publisher_for(name, c, platforms.env()))
        assert [o.state for o in first.outcomes].count(PostState.IN_DOUBT) == 1
        assert len(platforms.posts[name]) == 7

        def run_a() -> None:
            platforms.script(name, Reply(502, {"error": "Bad Gateway"}, accept=True))
            a = _publish(store, tmp_path, publisher_for(name, c, platforms.env()))
            assert [o.state for o in a.outcomes].count(PostState.IN_DOUBT) == 1

        b = _publish(store, tmp_path, LookUpThen(publisher_for(name, c, platforms.env()), run_a))
        assert len(platforms.posts[name]) == 8, "a stale look-up posted the post a second time"
        assert [o.note for o in b.outcomes].count("taken by another run") == 1
        final = _publish(store, tmp_path, publisher_for(name, c, platforms.env()))
    assert [o.state for o in final.outcomes] == [PostState.PUBLISHED] * 8
    assert len(platforms.posts[name]) == 8


def test_a_re_approval_with_new_text_while_a_run_publishes_posts_each_post_once(
    store: Store, tmp_path: Path, platforms: Platforms
) -> None:
    """Run A publishes the approved text; meanwhile the edition is re-drafted and re-approved
    and run B starts with the new text: each post goes out once (A's text or B's, never both)."""
    msgs = approved_edition(store, settings_for(tmp_path))
    platforms.create_delay = 0.3
    reports: list[Any] = []

    def run() -> None:
        with httpx.Client(timeout=5) as c:
            reports.append(_publish(store, tmp_path, publisher_for("facebook", c, platforms.env())))

    a = threading.Thread(target=run)
    a.start()
    time.sleep(0.5)  # A has published one and is submitting the next
    redraft(store, msgs)
    b = threading.Thread(target=run)
    b.start()
    for t in (a, b):
        t.join(60)
    assert len(reports) == 2
    texts = [p["message"] for p in platforms.posts["facebook"]]
    assert len(texts) == 8, texts
    assert len({t.removeprefix("CORRECTED: ") for t in texts}) == 8, "a post went out twice"
    assert any(t.startswith("CORRECTED: ") for t in texts)  # B published the rest, new text
    rows = ledger.rows(store, KEY, "facebook")
    assert [r.state for r in rows] == [PostState.PUBLISHED] * 8
    # what each row says was submitted is what the platform has
    on_platform = {p["message"] for p in platforms.posts["facebook"]}
    assert {r.submitted_text for r in rows} == on_platform


def test_an_in_doubt_post_redrafted_back_to_its_submitted_text_is_retried(
    store: Store, tmp_path: Path, platforms: Platforms
) -> None:
    """Changed, then changed back before the next run: what would go out is what was
    submitted, so the post is looked up and (not there) posted once."""
    msgs = approved_edition(store, settings_for(tmp_path))
    platforms.script("facebook", Reply(502, {"error": {"message": "Bad Gateway"}}))
    with httpx.Client(timeout=5) as c:
        _publish(store, tmp_path, publisher_for("facebook", c, platforms.env()))
        redraft(store, msgs)
        redraft(store, msgs, prefix="")  # the same bytes as the first approval
        again = _publish(store, tmp_path, publisher_for("facebook", c, platforms.env()))
    assert [o.state for o in again.outcomes] == [PostState.PUBLISHED] * 8
    assert len(platforms.posts["facebook"]) == 8


class ThenAfterFirst:
    """A real publisher; once its first post is published, ``then`` runs (a person re-drafts
    and re-approves the edition while this run is still publishing)."""

    def __init__(self, inner: Publisher, then: Callable[[], None]) -> None:
        self.inner, self.then = inner, then
        self.platform, self.account = inner.platform, inner.account

    def publish(self, post: OutgoingPost) -> Published:
        done = self.inner.publish(post)
        if self.then is not None:
            run, self.then = self.then, None  # type: ignore[assignment]
            run()
        return done

    def find(self, post: OutgoingPost) -> Published | None:
        return self.inner.find(post)


def test_a_run_stops_publishing_text_that_a_re_approval_replaced(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms
) -> None:
    """Re-approved with new text mid-run: the run publishes none of the replaced text after
    that; the next run publishes the new text, each post once."""
    msgs = approved_edition(sqlite_store, settings_for(tmp_path))
    with httpx.Client(timeout=5) as c:
        pub = ThenAfterFirst(
            publisher_for("facebook", c, platforms.env()), lambda: redraft(sqlite_store, msgs)
        )
        first = _publish(sqlite_store, tmp_path, pub)
        assert [o.state for o in first.outcomes].count(PostState.PUBLISHED) == 1
        stopped = [o for o in first.outcomes if o.state == PostState.PLANNED]
        assert len(stopped) == 7 and all("approved again" in o.note for o in stopped)
        second = _publish(sqlite_store, tmp_path, publisher_for("facebook", c, platforms.env()))
    assert [o.state for o in second.outcomes] == [PostState.PUBLISHED] * 8
    texts = [p["message"] for p in platforms.posts["facebook"]]
    assert len(texts) == 8 and sum(not t.startswith("CORRECTED: ") for t in texts) == 1


class LookUpFailsAfter:
    """A real publisher whose look-up fails (the platform's list is down) after ``meanwhile``
    ran: another run took the post while this one was looking."""

    def __init__(self, inner: Publisher, meanwhile: Callable[[], None]) -> None:
        self.inner, self.meanwhile = inner, meanwhile
        self.platform, self.account = inner.platform, inner.account

    def publish(self, post: OutgoingPost) -> Published:
        return self.inner.publish(post)

    def find(self, post: OutgoingPost) -> Published | None:
        from hrc_outreach.social.base import PublishInDoubt

        self.meanwhile()
        raise PublishInDoubt("facebook GET /published_posts: 503 Service Unavailable")


def test_a_failed_look_up_leaves_alone_a_post_another_run_is_publishing(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms
) -> None:
    """Run B looks an in-doubt post up; meanwhile run A claims it and is at the platform; B's
    look-up fails. B must not take the row from A (marking it in doubt under A's request lets a
    third run retry it while A's post is being created)."""
    approved_edition(sqlite_store, settings_for(tmp_path))
    platforms.script("facebook", Reply(502, {"error": {"message": "Bad Gateway"}}))
    with httpx.Client(timeout=5) as c:
        first = _publish(sqlite_store, tmp_path, publisher_for("facebook", c, platforms.env()))
        key = next(o.post_key for o in first.outcomes if o.state == PostState.IN_DOUBT)
        row = next(r for r in ledger.rows(sqlite_store, KEY, "facebook") if r.post_key == key)
        with ledger.active_run() as a:  # run A, alive at the platform

            def a_claims() -> None:
                states = (PostState.IN_DOUBT,)
                assert ledger.claim(sqlite_store, row.id, states, a, seen_attempts=row.attempts)

            pub = LookUpFailsAfter(publisher_for("facebook", c, platforms.env()), a_claims)
            b = _publish(sqlite_store, tmp_path, pub)
            assert next(o for o in b.outcomes if o.post_key == key).state == PostState.IN_DOUBT
            now = next(r for r in ledger.rows(sqlite_store, KEY, "facebook") if r.id == row.id)
            assert now.state == PostState.SUBMITTING and now.claimed_by == ledger.me(a)
    assert len(platforms.posts["facebook"]) == 7
