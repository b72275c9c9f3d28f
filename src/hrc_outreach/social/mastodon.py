"""Mastodon: ``POST /api/v2/media`` (the card, ``description`` = alt text), then
``POST /api/v1/statuses`` with an ``Idempotency-Key`` (our marker) and ``scheduled_at`` when the
post is handed over before its time. Looked up among the account's recent statuses
(``GET /api/v1/accounts/:id/statuses``) and scheduled statuses.

Mastodon keeps an idempotency key about an hour; the ledger's look-up covers the rest.
"""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

import httpx

from hrc_outreach.social.base import (
    Http,
    OutgoingPost,
    Page,
    Published,
    PublishInDoubt,
    is_ours,
    search,
)


def _page(r: httpx.Response) -> Page:
    """A page of statuses; the next (older) one is named by the ``Link`` header."""
    return Page(r.json(), r.links.get("next", {}).get("url"))


class MastodonPublisher:
    platform = "mastodon"

    def __init__(
        self, client: httpx.Client, base_url: str, *, access_token: str, **kw: Any
    ) -> None:
        self.http = Http(
            client, base_url, self.platform, {"Authorization": f"Bearer {access_token}"}, **kw
        )
        self.account = base_url.rstrip("/")
        self._account_id: str | None = None

    def _media(self, post: OutgoingPost) -> list[str]:
        if not post.image_bytes:
            return []
        data = {"description": post.image_alt} if post.image_alt else {}
        files = {"file": (post.image_name or "card.png", post.image_bytes, "image/png")}
        media = self.http.json("POST", "/api/v2/media", data=data, files=files)
        media_id = str(media["id"])
        # 202: still processing; a status may only attach it once its url is set
        for _ in range(30):
            if media.get("url"):
                break
            time.sleep(0.2)
            media = self.http.json("GET", f"/api/v1/media/{media_id}")
        return [media_id]

    def publish(self, post: OutgoingPost) -> Published:
        body: dict[str, Any] = {
            "status": post.text,
            "media_ids": self._media(post),
            "visibility": "public",
            "language": post.lang.split("_")[0].lower(),
        }
        if post.schedule_at is not None:
            body["scheduled_at"] = (
                post.schedule_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
            )
        answer = self.http.json(
            "POST",
            "/api/v1/statuses",
            json=body,
            headers={"Idempotency-Key": post.marker},
            creates=True,
        )
        if "id" not in answer:
            raise PublishInDoubt(f"mastodon POST /api/v1/statuses: no id in the answer {answer!r}")
        if "scheduled_at" in answer and "params" in answer:  # a ScheduledStatus
            return Published(str(answer["id"]), "", scheduled=True)
        return Published(str(answer["id"]), str(answer.get("url") or answer.get("uri") or ""))

    def _me(self) -> str:
        if self._account_id is None:
            me = self.http.json("GET", "/api/v1/accounts/verify_credentials")
            if not isinstance(me, dict) or not me.get("id"):
                raise PublishInDoubt(
                    f"mastodon verify_credentials: no account id in the answer ({str(me)[:200]!r})"
                )
            self._account_id = str(me["id"])
        return self._account_id

    def find(self, post: OutgoingPost) -> Published | None:
        def status(s: dict[str, Any]) -> Published | None:
            content = s.get("content") or ""
            if is_ours(post, content, remote_html=content):
                return Published(str(s["id"]), str(s.get("url") or s.get("uri") or ""))
            return None

        def scheduled(s: dict[str, Any]) -> Published | None:
            if is_ours(post, (s.get("params") or {}).get("text") or ""):
                return Published(str(s["id"]), "", scheduled=True)
            return None

        first = f"/api/v1/accounts/{self._me()}/statuses?limit=40"
        if found := search(self.http, post, first, _page, status, created="created_at"):
            return found
        if post.schedule_at is not None:
            first = "/api/v1/scheduled_statuses?limit=40"
            return search(self.http, post, first, _page, scheduled, created="")
        return None
