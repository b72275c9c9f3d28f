"""Instagram (Graph API, a professional account): ``POST /{ig-user-id}/media`` makes a container
from the card at a public URL (``image_url``: the published archive serves the cards) with the
``caption`` and ``alt_text``, then ``POST /{ig-user-id}/media_publish`` with ``creation_id``
publishes it. A container is not a post: only ``media_publish`` is the step that may be in doubt.
Looked up among the account's recent media (``GET /{ig-user-id}/media``).
"""

from __future__ import annotations

from typing import Any

import httpx

from hrc_outreach.social.base import (
    Http,
    OutgoingPost,
    PublishDeferred,
    Published,
    PublishInDoubt,
    PublishRefused,
    is_ours,
    search,
)
from hrc_outreach.social.facebook import graph_page

STATUS_POLLS = 30  # two seconds apart: a minute for Instagram to fetch the card


class InstagramPublisher:
    platform = "instagram"

    def __init__(
        self, client: httpx.Client, base_url: str, *, user_id: str, access_token: str, **kw: Any
    ) -> None:
        self.http = Http(
            client, base_url, self.platform, {"Authorization": f"Bearer {access_token}"}, **kw
        )
        self.user_id = user_id
        self.account = user_id

    def publish(self, post: OutgoingPost) -> Published:
        if not post.image_url:
            raise PublishRefused(
                "instagram: a post needs its image at a public URL, and this one has no card; "
                "draft the edition with its cards"
            )
        data = {"image_url": post.image_url, "caption": post.text}
        if post.image_alt:
            data["alt_text"] = post.image_alt
        container = self.http.json("POST", f"/{self.user_id}/media", data=data)
        self._wait_until_ready(str(container["id"]))
        answer = self.http.json(
            "POST",
            f"/{self.user_id}/media_publish",
            data={"creation_id": str(container["id"])},
            creates=True,
        )
        media_id = str(answer.get("id") or "")
        if not media_id:
            raise PublishInDoubt(f"instagram: no media id in the answer {answer!r}")
        return Published(media_id, self._permalink(media_id))

    def _wait_until_ready(self, container: str) -> None:
        """Instagram fetches the image in the background: publishing a container before its
        ``status_code`` is FINISHED fails ("Media ID is not available")."""
        for _ in range(STATUS_POLLS):
            status = self.http.json("GET", f"/{container}", params={"fields": "status_code"})
            code = status.get("status_code")
            if code in (None, "FINISHED", "PUBLISHED"):
                return
            if code in ("ERROR", "EXPIRED"):
                raise PublishRefused(f"instagram: the media container {container} is {code}")
            self.http.sleep(2.0)
        raise PublishDeferred(f"instagram: the media container {container} is still not ready")

    def _permalink(self, media_id: str) -> str:
        try:
            return str(
                self.http.json("GET", f"/{media_id}", params={"fields": "permalink"}).get(
                    "permalink"
                )
                or ""
            )
        except PublishRefused:
            return ""  # published all the same: the link is a nicety, the id is what counts

    def find(self, post: OutgoingPost) -> Published | None:
        def match(m: dict[str, Any]) -> Published | None:
            if is_ours(post, m.get("caption") or ""):
                return Published(str(m["id"]), str(m.get("permalink") or ""))
            return None

        first = f"/{self.user_id}/media?fields=id,caption,permalink,timestamp&limit=50"
        return search(self.http, post, first, graph_page, match, created="timestamp")
