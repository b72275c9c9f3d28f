"""What every publisher shares: the post handed over, what the platform answered, the one small
:class:`Publisher` protocol, and :class:`Http`, the one way a publisher talks to its platform
(the project's retry policy; what an answer means for a post that may now exist).

A request that *creates* the post is never retried blindly: a 5xx or a connection lost after the
request left may follow an acceptance, so it raises :class:`PublishInDoubt` and the ledger looks
the post up on the platform before anything else. Uploads and look-ups create no post and are
retried like reads.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from hrc_outreach.errors import OutreachError
from hrc_outreach.retrying import RetryPolicy, Verdict, classify

USER_AGENT = "hrc-outreach social publisher"


# Credentials this process sends (tokens, app passwords, session JWTs): a platform may quote them
# back in a refusal, and no message we keep (ledger, report, log) may carry them.
_SECRETS: set[str] = set()
SECRET_MIN = 6  # shorter values are not redacted (they would blank ordinary words)


def register_secret(value: str | None) -> None:
    """Never let ``value`` appear in a :class:`PublishError`'s message."""
    if value and len(value) >= SECRET_MIN:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with every registered credential replaced by ``[redacted]``."""
    for value in sorted(_SECRETS, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "[redacted]")
    return text


class PublishError(OutreachError):
    """A post could not be handed over; ``status`` is the platform's HTTP status when it answered.
    The message never carries a credential (they are redacted)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(redact(message))
        self.status = status


class PublishRefused(PublishError):
    """The platform said no (a 4xx): retrying the same post will not help. Nothing was posted."""


class PublishInDoubt(PublishError):
    """The post may have been created (a 5xx or a lost answer after the request left)."""


class PublishDeferred(PublishError):
    """The platform kept saying "later" (429, 503 with Retry-After) past our tries: nothing was
    taken; the post stays planned for the next run."""


@dataclass(frozen=True)
class OutgoingPost:
    """One approved social post, as one platform account is to receive it."""

    edition_key: str
    lang: str
    platform: str
    text: str
    marker: str  # stable per (edition, post, platform, account): idempotency key, record key
    due_at: datetime
    link: str | None = None
    image_name: str | None = None
    image_bytes: bytes | None = None
    image_url: str | None = None  # where the platform can fetch the card (Instagram)
    image_alt: str | None = None
    schedule_at: datetime | None = None  # hand over now, shown then (platforms that schedule)


@dataclass(frozen=True)
class Published:
    """The platform's own id of the post and its public address ("" when it has none yet)."""

    remote_id: str
    url: str
    scheduled: bool = False


class Publisher(Protocol):
    """One platform account. ``publish`` creates the post (once); ``find`` looks it up among the
    account's recent posts by our marker and answers None when it is not there."""

    platform: str
    account: str

    def publish(self, post: OutgoingPost) -> Published: ...

    def find(self, post: OutgoingPost) -> Published | None: ...


def marker(edition_key: str, post_key: str, platform: str, account: str) -> str:
    """A short stable hash naming one post on one account.

    >>> marker("2026-12", "en:edition", "mastodon", "https://m.example") == marker(
    ...     "2026-12", "en:edition", "mastodon", "https://m.example")
    True
    """
    raw = "\x1f".join((edition_key, post_key, platform, account)).encode()
    return hashlib.sha256(raw).hexdigest()[:24]


_BREAKS = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_BIDI = dict.fromkeys(
    map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e")
)
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text as a platform may give it back (HTML, entities, bidi marks, spacing), for matching."""
    text = html.unescape(_TAGS.sub("", _BREAKS.sub("\n", text)))
    text = unicodedata.normalize("NFC", text.translate(_BIDI))
    return _SPACE.sub(" ", text).strip()


def is_ours(post: OutgoingPost, remote_text: str, *, remote_html: str = "") -> bool:
    """Does a post found on the account carry our marker?

    The marker of a post is its own tracked link (unique per edition, language, item and
    platform by its utm parameters) together with its opening words; where the text carries no
    link (Instagram's "link in bio") the whole caption. Approval binds the bytes, so nothing is
    added to the text to make it findable.
    """
    remote = normalise(remote_text)
    ours = normalise(post.text)
    if post.link and post.link in post.text:
        link_found = post.link in remote or post.link in html.unescape(remote_html)
        return link_found and ours[:40] in remote
    return remote == ours


def message_of(response: httpx.Response) -> str:
    """The platform's own words for a refusal (each API nests them differently)."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):  # Graph API: {"error": {"message": ..., "code": ...}}
            return str(err.get("message") or err)
        parts = [str(body[k]) for k in ("error", "message", "error_description") if body.get(k)]
        if parts:
            return ": ".join(dict.fromkeys(parts))
    return json.dumps(body)[:500]


@dataclass
class Http:
    """A platform's HTTP API under the one retry policy (:mod:`hrc_outreach.retrying`)."""

    client: httpx.Client
    base_url: str
    platform: str
    headers: dict[str, str] = field(default_factory=dict)
    policy: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=4, cap=120.0))
    sleep: Callable[[float], None] = time.sleep

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def call(self, method: str, path: str, *, creates: bool = False, **kw: Any) -> httpx.Response:
        """The answer to one request (2xx/3xx), retried where the policy allows.

        ``creates``: this request makes the post itself, so an answer that may follow an
        acceptance (5xx, a connection lost after sending) raises PublishInDoubt, never a retry.
        """
        headers = {"User-Agent": USER_AGENT, **self.headers, **kw.pop("headers", {})}
        register_secret(headers.get("Authorization", "").partition(" ")[2])
        where = f"{self.platform} {method} {path.split('?')[0]}"
        attempt = 0
        while True:
            wait_hint: float | None = None
            try:
                r = self.client.request(method, self.url(path), headers=headers, **kw)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                verdict, why = Verdict.RETRY, f"could not connect ({exc})"
            except httpx.TransportError as exc:
                if creates:
                    raise PublishInDoubt(
                        f"{where}: the answer was lost after the request left ({exc!r}); the "
                        "post may exist: it is looked up on the platform before any retry"
                    ) from exc
                verdict, why = Verdict.RETRY, repr(exc)
            else:
                verdict = classify(r.status_code, r.headers, idempotent_reads=not creates)
                if verdict is Verdict.OK:
                    return r
                why = f"{r.status_code} {message_of(r)}"
                if verdict is Verdict.PERMANENT:
                    raise PublishRefused(f"{where}: {why}", status=r.status_code)
                if verdict is Verdict.IN_DOUBT:
                    raise PublishInDoubt(f"{where}: {why}", status=r.status_code)
                wait_hint, said = wait_asked(r.headers)
                if wait_hint is not None and wait_hint > self.policy.cap:
                    # a day's wait is not slept in a run, nor ignored: the post stays planned
                    raise PublishDeferred(
                        f"{where}: {why}; the platform asks to wait {wait_hint:.0f} s ({said}), "
                        f"more than the {self.policy.cap:.0f} s a run waits: try later",
                        status=r.status_code,
                    )
            wait = self.policy.delay(attempt, retry_after=wait_hint)
            if self.policy.gives_up(attempt):
                raise PublishDeferred(f"{where}: still {why} after {attempt + 1} tries; try later")
            self.sleep(wait)
            attempt += 1

    def json(self, method: str, path: str, **kw: Any) -> Any:
        r = self.call(method, path, **kw)
        if not r.content:
            return {}
        try:
            return r.json()
        except ValueError as exc:
            raise PublishInDoubt(
                f"{self.platform} {method} {path}: the answer is not JSON ({r.text[:200]!r})",
                status=r.status_code,
            ) from exc


def wait_asked(headers: httpx.Headers) -> tuple[float | None, str]:
    """Seconds a "later" answer asks us to wait, and the header that said so.

    ``Retry-After`` is delta-seconds or an HTTP date (RFC 9110), however large: 100000 is 27
    hours, never an epoch. Reset headers (``X-RateLimit-Reset``, ``RateLimit-Reset``) are an
    epoch (Graph API style), delta-seconds, or an ISO 8601 time (Mastodon).
    """
    now = time.time()
    raw = (headers.get("retry-after") or "").strip()
    if raw:
        if raw.isdigit():
            return float(raw), f"Retry-After: {raw}"
        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - now), f"Retry-After: {raw}"
        except (TypeError, ValueError, IndexError):
            pass
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        raw = (headers.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            try:
                stamp = datetime.fromisoformat(raw)
            except ValueError:
                continue
            value = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
        if value > 1_000_000_000:  # an epoch timestamp, not a count of seconds
            value -= now
        return max(0.0, value), f"{name}: {raw}"
    return None, ""


# How far back a look-up reads an account's posts: a post of ours is never created before its
# due time (less a day for clocks), and a look-up stops after this many pages.
LOOKUP_HORIZON = timedelta(days=1)
LOOKUP_PAGES = 25


def created_at(value: Any) -> datetime | None:
    """A platform's creation time of a post (ISO 8601 with ``Z`` or ``+0000``, or epoch ms)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str) and value:
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            return None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return None


@dataclass
class Page:
    """One page of an account's posts: the posts (dicts) and where the next page is (a path or
    absolute URL with its query, or None at the end)."""

    items: list[dict[str, Any]]
    next: str | None


def search(
    http: Http,
    post: OutgoingPost,
    first: str,
    read: Callable[[httpx.Response], Page],
    match: Callable[[dict[str, Any]], Published | None],
    *,
    created: str,
) -> Published | None:
    """Our ``post`` among the account's posts, page after page, newest first.

    None only when the pages end, or reach posts older than the post's due time (it cannot be
    further back); a look-up that stops before either (``LOOKUP_PAGES``), or an answer that is
    not a list of posts, raises PublishInDoubt: not found is not the same as not there.
    """
    horizon = post.due_at - LOOKUP_HORIZON
    path: str | None = first
    seen = 0
    oldest: datetime | None = None
    for _ in range(LOOKUP_PAGES):
        assert path is not None
        r = http.call("GET", path)
        try:
            page = read(r)
            if not isinstance(page.items, list) or not all(isinstance(i, dict) for i in page.items):
                raise TypeError("not a list of posts")
            for item in page.items:
                if (found := match(item)) is not None:
                    return found
                when = created_at(item.get(created))
                if when is not None:
                    oldest = when if oldest is None else min(oldest, when)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise PublishInDoubt(
                f"{http.platform} GET {path.split('?')[0]}: the look-up answer is not a list of "
                f"posts ({exc!r}: {r.text[:200]!r}); the post stays in doubt",
                status=r.status_code,
            ) from exc
        seen += len(page.items)
        if not page.items or page.next is None or (oldest is not None and oldest < horizon):
            return None
        path = page.next
    raise PublishInDoubt(
        f"{http.platform}: looked through the account's {seen} latest posts (back to "
        f"{oldest:%Y-%m-%d %H:%M} UTC) without reaching the post's time; it stays in doubt: "
        "look on the platform before publishing it again"
        if oldest
        else f"{http.platform}: looked through the account's {seen} latest posts without "
        "reaching the post's time; it stays in doubt"
    )
