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
from datetime import datetime
from typing import Any, Protocol

import httpx

from hrc_outreach.errors import OutreachError
from hrc_outreach.retrying import RetryPolicy, Verdict, classify, retry_after

USER_AGENT = "hrc-outreach social publisher"


class PublishError(OutreachError):
    """A post could not be handed over; ``status`` is the platform's HTTP status when it answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
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
                wait_hint = retry_after(r.headers, ("x-ratelimit-reset", "ratelimit-reset"))
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
