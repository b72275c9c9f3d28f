"""Attacks on social publishing (issue 15) from outside: the answers, headers, secrets and texts
a platform or an operator can hand us, each against the local platforms of
tests/support/social_platforms.py. Each promise: never posted twice; a 429 waits its delay
(capped, and a wait past the cap is reported, not slept); a 400 fails only that post with the
platform's message; tokens never in the ledger, the report or the logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hrc_outreach.errors import ConfigError
from hrc_outreach.render.lengths import over_limit
from hrc_outreach.social import ledger
from hrc_outreach.social.accounts import publisher_for
from hrc_outreach.social.base import Publisher
from hrc_outreach.social.bluesky import facets
from hrc_outreach.social.ledger import PostState
from hrc_outreach.social.publishing import PublishReport, publish_edition
from hrc_outreach.store import Store
from tests.support.social_data import KEY, LANGS, approved_edition, settings_for
from tests.support.social_platforms import IG_USER, PAGE_ID, Platforms, Reply, Req

LATER = datetime(2026, 12, 20, tzinfo=UTC)
API = ("mastodon", "bluesky", "facebook", "instagram", "linkedin")
TOKENS = ("masto-token", "app-pass-word", "fb-token", "ig-token", "li-token", "jwt-access")


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


def _pub(
    name: str, platforms: Platforms, client: httpx.Client, sleeps: list[float] | None = None
) -> Publisher:
    return publisher_for(
        name, client, platforms.env(), sleep=sleeps.append if sleeps is not None else None
    )


def _publish(store: Store, tmp_path: Path, pub: Publisher, langs: tuple[str, ...] = LANGS) -> Any:
    return publish_edition(
        store, settings_for(tmp_path), KEY, pub, languages=list(langs), now=LATER
    )


# ----------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    "header",
    [
        "100000",  # 27 hours in seconds: was read as an epoch timestamp, retried at once
        "86401",
        "HTTP-DATE+2d",  # an HTTP date two days ahead
    ],
)
@pytest.mark.parametrize("name", ["mastodon", "facebook"])
def test_a_retry_after_past_the_cap_is_reported_not_slept_nor_ignored(
    name: str,
    header: str,
    sqlite_store: Store,
    tmp_path: Path,
    client: httpx.Client,
) -> None:
    if header == "HTTP-DATE+2d":
        header = format_datetime(datetime.now(UTC) + timedelta(days=2), usegmt=True)
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    with Platforms() as platforms:
        platforms.script(name, Reply(429, {"error": "Slow down"}, {"Retry-After": header}))
        sleeps: list[float] = []
        report = _publish(sqlite_store, tmp_path, _pub(name, platforms, client, sleeps), ("en",))
        creates = [r for r in platforms.requests if r.method == "POST" and "media" not in r.path]
    assert all(s <= 120 for s in sleeps), sleeps
    assert 0.0 not in sleeps, "the platform asked for a day and was asked again at once"
    first = report.outcomes[0]
    assert first.state == PostState.PLANNED, report.outcomes
    assert "later" in first.note and "Retry-After" in first.note, first.note
    # the post was asked for once, not hammered: the other post went on
    assert report.outcomes[1].state == PostState.PUBLISHED
    assert len(creates) == 2, [r.path for r in creates]


def test_a_retry_after_http_date_a_few_seconds_ahead_is_waited(
    sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    with Platforms() as platforms:
        platforms.script("linkedin", Reply(429, {"message": "Throttled"}, {"Retry-After": when}))
        sleeps: list[float] = []
        report = _publish(
            sqlite_store, tmp_path, _pub("linkedin", platforms, client, sleeps), ("en",)
        )
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED] * 2
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30, sleeps


def test_a_mastodon_429_with_only_its_iso_reset_time_waits_until_then(
    sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    """Mastodon's rate limiter says when the quota resets as an ISO 8601 time in
    X-RateLimit-Reset (no Retry-After): it was not understood and retried after a jitter."""
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    reset = (datetime.now(UTC) + timedelta(seconds=40)).isoformat(timespec="milliseconds")
    with Platforms() as platforms:
        platforms.script(
            "mastodon",
            Reply(
                429,
                {"error": "Too many requests"},
                {
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset.replace("+00:00", "Z"),
                },
            ),
        )
        sleeps: list[float] = []
        report = _publish(
            sqlite_store, tmp_path, _pub("mastodon", platforms, client, sleeps), ("en",)
        )
    assert [o.state for o in report.outcomes] == [PostState.PUBLISHED] * 2
    assert len(sleeps) == 1 and 35 <= sleeps[0] <= 40, sleeps


# ------------------------------------------------------------------------- odd 200 answers


class Odd(Platforms):
    """The local platforms, with chosen routes answering 200 and an odd body."""

    def __init__(self, odd: dict[str, Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.odd = odd  # path -> body (200), or a callable

    def route(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        if r.path in self.odd:
            return 200, self.odd[r.path], {}
        return super().route(r)


LOOKUPS = {
    "mastodon": "/api/v1/accounts/77/statuses",
    "facebook": f"/v21.0/{PAGE_ID}/published_posts",
    "instagram": f"/v21.0/{IG_USER}/media",
    "linkedin": "/rest/posts",
}


@pytest.mark.parametrize("body", [{"error": "oops"}, {"data": "oops", "elements": 7}, ["x", 1]])
@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_a_malformed_look_up_answer_keeps_the_post_in_doubt_and_the_run_going(
    name: str, body: Any, sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en", "ar"))
    with Odd({}, honour_idempotency=False) as odd:  # one post's answer lost
        odd.script(name, Reply(502, {"error": "Bad Gateway"}, accept=True))
        first = _publish(sqlite_store, tmp_path, _pub(name, odd, client), ("en", "ar"))
        assert [o.state for o in first.outcomes].count(PostState.IN_DOUBT) == 1
        odd.odd[LOOKUPS[name]] = body
        second = _publish(sqlite_store, tmp_path, _pub(name, odd, client), ("en", "ar"))
        assert len(odd.posts[name]) == 4, "the in-doubt post was posted again"
    states = [o.state for o in second.outcomes]
    assert states.count(PostState.IN_DOUBT) == 1 and states.count(PostState.PUBLISHED) == 3
    doubt = next(o for o in second.outcomes if o.state == PostState.IN_DOUBT)
    assert "look-up" in doubt.note and name in doubt.note, doubt.note


CREATES = {
    "mastodon": "/api/v1/statuses",
    "facebook": f"/v21.0/{PAGE_ID}/photos",
    "instagram": f"/v21.0/{IG_USER}/media_publish",
    "bluesky": "/xrpc/com.atproto.repo.createRecord",
}


@pytest.mark.parametrize("body", [None, {}, [], "ok"])
@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_200_with_an_empty_or_odd_body_is_in_doubt_never_published_twice(
    name: str, body: Any, sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    """The odd 200 creates nothing here, so the look-up finds nothing and the post goes out once
    on the next run; the first run records it in doubt (never published without an id)."""
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    with Odd({CREATES[name]: body}) as odd:
        first = _publish(sqlite_store, tmp_path, _pub(name, odd, client), ("en",))
        assert [o.state for o in first.outcomes] == [PostState.IN_DOUBT] * 2, first.outcomes
        odd.odd.clear()
        second = _publish(sqlite_store, tmp_path, _pub(name, odd, client), ("en",))
        assert [o.state for o in second.outcomes] == [PostState.PUBLISHED] * 2
        assert len(odd.posts[name]) == 2


# -------------------------------------------------------------------- look-ups that page


class Paging(Platforms):
    """Look-ups answer one page at a time (newest first), as the real APIs do: Mastodon by
    ``limit``/``max_id`` with a ``Link`` header, the Graph API by ``paging.next``, LinkedIn by
    ``start``/``count``. Every post carries its creation time."""

    PAGE = 10

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.clock = datetime(2026, 12, 19, tzinfo=UTC)

    def _create(self, platform: str, post: dict[str, Any], idem_key: str | None = None) -> Any:
        self.clock += timedelta(minutes=1)
        stamp = self.clock.isoformat().replace("+00:00", "Z")
        post.update(created_at=stamp, created_time=stamp, timestamp=stamp)
        post["createdAt"] = int(self.clock.timestamp() * 1000)
        return super()._create(platform, post, idem_key)

    def _page(self, items: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
        return items[start : start + self.PAGE]

    def route(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        q = {k: v[0] for k, v in r.query.items()}
        if r.path == LOOKUPS["mastodon"]:
            items = [s for s in reversed(self.posts["mastodon"]) if "content" in s]
            if "max_id" in q:
                items = [s for s in items if int(s["id"]) < int(q["max_id"])]
            page = items[: min(int(q.get("limit", 20)), self.PAGE)]
            link = {}
            if page:
                nxt = f"{self.base_url}{r.path}?limit={self.PAGE}&max_id={page[-1]['id']}"
                link = {"Link": f'<{nxt}>; rel="next"'}
            return 200, page, link
        graph = {LOOKUPS["facebook"]: "facebook", LOOKUPS["instagram"]: "instagram"}
        if r.path in graph and r.method == "GET":
            items = list(reversed(self.posts[graph[r.path]]))
            start = int(q.get("after", 0))
            body: dict[str, Any] = {"data": self._page(items, start)}
            if start + self.PAGE < len(items):
                nxt = f"{self.base_url}{r.path}?limit={self.PAGE}&after={start + self.PAGE}"
                body["paging"] = {"cursors": {"after": str(start + self.PAGE)}, "next": nxt}
            return 200, body, {}
        if r.path == LOOKUPS["linkedin"] and r.method == "GET":
            super().route(r)  # its checks
            items = list(reversed(self.posts["linkedin"]))
            start, count = int(q.get("start", 0)), min(int(q.get("count", 10)), self.PAGE)
            return (
                200,
                {
                    "elements": items[start : start + count],
                    "paging": {"start": start, "count": count, "total": len(items)},
                },
                {},
            )
        return super().route(r)


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_an_in_doubt_post_behind_a_page_of_newer_posts_is_found_not_posted_again(
    name: str, sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    """The account posted 45 more things (people post by hand) after our answer was lost: our
    post is on the fifth page of the account's posts, and the look-up must get there."""
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    with Paging(honour_idempotency=False) as platforms:
        platforms.script(name, Reply(502, {"error": "Bad Gateway"}, accept=True))
        first = _publish(sqlite_store, tmp_path, _pub(name, platforms, client), ("en",))
        assert [o.state for o in first.outcomes].count(PostState.IN_DOUBT) == 1
        template = dict(platforms.posts[name][-1])
        for i in range(45):
            other = {**template, "id": f"{9000 + i}"}
            for k in ("content", "message", "caption", "commentary"):
                if k in other:
                    other[k] = f"Something else, by hand {i}"
            platforms._create(name, other)
        second = _publish(sqlite_store, tmp_path, _pub(name, platforms, client), ("en",))
        ours = [p for p in platforms.posts[name] if "by hand" not in str(p)]
    assert len(ours) == 2, "the in-doubt post was posted a second time"
    assert [o.state for o in second.outcomes] == [PostState.PUBLISHED] * 2


def test_a_look_up_that_never_reaches_the_post_time_stays_in_doubt(
    sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    """A look-up that gives up before the pages reach the post's time has not shown the post
    is absent: in doubt still, never posted again on that evidence."""
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    with Paging(honour_idempotency=False) as platforms:
        platforms.script("mastodon", Reply(502, {"error": "Bad Gateway"}, accept=True))
        _publish(sqlite_store, tmp_path, _pub("mastodon", platforms, client), ("en",))
        template = dict(platforms.posts["mastodon"][-1])
        for i in range(1200):  # more than any look-up reads
            platforms._create(
                "mastodon", {**template, "id": f"{100000 + i}", "content": f"by hand {i}"}
            )
        second = _publish(sqlite_store, tmp_path, _pub("mastodon", platforms, client), ("en",))
        ours = [p for p in platforms.posts["mastodon"] if "by hand" not in str(p)]
    assert len(ours) == 2
    doubt = [o for o in second.outcomes if o.state == PostState.IN_DOUBT]
    assert len(doubt) == 1 and "looked" in doubt[0].note, second.outcomes


# ----------------------------------------------------------------------------- secrets


class Echo(Platforms):
    """A platform that quotes the credentials it was given back in its refusal."""

    def route(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        if r.method == "POST" and r.path in (*CREATES.values(), "/rest/posts"):
            auth = r.headers.get("authorization", "")
            return 400, {"error": f"token {auth.removeprefix('Bearer ')} may not post"}, {}
        if r.path == "/xrpc/com.atproto.server.createSession" and r.json.get("password") == "no":
            return 401, {"error": "AuthenticationRequired", "message": f"bad {r.body!r}"}, {}
        return super().route(r)


@pytest.mark.parametrize("name", API)
def test_a_token_quoted_back_by_the_platform_never_reaches_the_ledger_report_or_log(
    name: str,
    sqlite_store: Store,
    tmp_path: Path,
    client: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    caplog.set_level(logging.DEBUG)
    with Echo() as platforms:
        report = _publish(sqlite_store, tmp_path, _pub(name, platforms, client), ("en",))
    assert [o.state for o in report.outcomes] == [PostState.FAILED] * 2
    said = " ".join(o.note for o in report.outcomes)
    said += " ".join(r.error or "" for r in ledger.rows(sqlite_store, KEY))
    said += caplog.text
    assert "may not post" in said
    for token in TOKENS:
        assert token not in said, f"{token} leaked: {said[:300]}"


def test_a_bluesky_password_quoted_back_at_login_never_reaches_the_report(
    sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    with Echo() as platforms:
        env = {**platforms.env(), "HRC_BLUESKY_APP_PASSWORD": "no"}
        env["HRC_BLUESKY_APP_PASSWORD"] = "no"
        pub = publisher_for("bluesky", client, env)
        try:
            report: PublishReport = _publish(sqlite_store, tmp_path, pub, ("en",))
            said = " ".join(o.note for o in report.outcomes)
        except Exception as exc:  # noqa: BLE001 - what it says is what is checked
            said = str(exc)
    assert "bad" in said and "'password': 'no'" not in said and '"password": "no"' not in said


@pytest.mark.parametrize("name", API)
@pytest.mark.parametrize(
    "bad", ["s3cr3t\r\nX-Injected: 1", "s3\ncr3t", "s3cr3t\x00", "\ts3cr3t\x7f"]
)
def test_a_secret_with_a_line_break_is_refused_by_name_before_any_request(
    name: str, bad: str, client: httpx.Client
) -> None:
    secret = {
        "mastodon": "MASTODON_ACCESS_TOKEN",
        "bluesky": "BLUESKY_APP_PASSWORD",
        "facebook": "FACEBOOK_ACCESS_TOKEN",
        "instagram": "INSTAGRAM_ACCESS_TOKEN",
        "linkedin": "LINKEDIN_ACCESS_TOKEN",
    }[name]
    with Platforms() as platforms:
        env = {**platforms.env(), f"HRC_{secret}": bad}
        with pytest.raises(ConfigError) as caught:
            publisher_for(name, client, env)
        assert not platforms.requests
    assert f"HRC_{secret}" in str(caught.value)
    assert "s3" not in str(caught.value)


# ------------------------------------------------------------------------ text and bytes


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        ("راجع التقرير https://example.org/r?a=1، وشاركه", "https://example.org/r?a=1"),
        ("\u200fراجع https://example.org/ar/2026-12.html\u200f وشاركه", None),
        ("گزارش را ببینید https://example.org/fa؛ و بفرستید", "https://example.org/fa"),
        ("آیا دیدید https://example.org/fa/x؟", "https://example.org/fa/x"),
        ("Читайте «https://example.org/uk/звіт» сьогодні", "https://example.org/uk/звіт"),
        ("انظر (https://example.org/x)۔", "https://example.org/x"),
        ("👩🏽‍⚖️🇺🇦 https://example.org/e\u2069 ok", "https://example.org/e"),
    ],
)
def test_a_bluesky_link_facet_covers_the_url_and_only_the_url(text: str, uri: str | None) -> None:
    uri = uri or "https://example.org/ar/2026-12.html"
    links = [f for f in facets(text) if f["features"][0]["$type"].endswith("#link")]
    assert len(links) == 1
    raw = text.encode()
    got = raw[links[0]["index"]["byteStart"] : links[0]["index"]["byteEnd"]].decode()
    assert got == uri == links[0]["features"][0]["uri"]


def test_an_emoji_flag_at_the_bluesky_grapheme_limit() -> None:
    assert over_limit("bluesky", "a" * 299 + "🇺🇦") is None
    assert over_limit("bluesky", "a" * 298 + "🇺🇦🏳️‍🌈") is None
    assert "301 graphemes" in (over_limit("bluesky", "a" * 299 + "🇺🇦🇵🇸") or "")
    # Persian with ZWNJ: a joiner does not make a grapheme of its own
    assert over_limit("bluesky", "می‌" * 100) is None


# ------------------------------------------------------------------- Instagram container


def test_an_instagram_container_that_never_finishes_is_a_bounded_wait(
    sqlite_store: Store, tmp_path: Path, client: httpx.Client
) -> None:
    approved_edition(sqlite_store, settings_for(tmp_path), langs=("en",))
    with Platforms() as platforms:
        platforms.ig_in_progress_polls = 10**9
        sleeps: list[float] = []
        t0 = time.monotonic()
        report = _publish(
            sqlite_store, tmp_path, _pub("instagram", platforms, client, sleeps), ("en",)
        )
        published = [r for r in platforms.requests if r.path.endswith("media_publish")]
    assert time.monotonic() - t0 < 30
    assert sum(sleeps) <= 120, sum(sleeps)
    assert [o.state for o in report.outcomes] == [PostState.PLANNED] * 2
    assert all("not ready" in o.note for o in report.outcomes)
    assert not published
