"""Facebook Page (Graph API): a post with a card is ``POST /{page-id}/photos`` (the card uploaded
as ``source``, the text as ``message``), without one ``POST /{page-id}/feed`` (``message``,
``link``). The base URL names the Graph API version (``https://graph.facebook.com/v21.0``).
Looked up among the Page's recent posts (``GET /{page-id}/published_posts``).

The Graph API has no idempotency key: an answer lost after the request is "in doubt" and the post
is looked up before any retry.
"""

from __future__ import annotations

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


def graph_page(r: httpx.Response) -> Page:
    """A Graph API list: ``data``, and ``paging.next`` (an absolute URL) while there is more."""
    body = r.json()
    return Page(body["data"], (body.get("paging") or {}).get("next"))


class FacebookPublisher:
    platform = "facebook"

    def __init__(
        self, client: httpx.Client, base_url: str, *, page_id: str, access_token: str, **kw: Any
    ) -> None:
        self.http = Http(
            client, base_url, self.platform, {"Authorization": f"Bearer {access_token}"}, **kw
        )
        self.page_id = page_id
        self.account = page_id

    def publish(self, post: OutgoingPost) -> Published:
        if post.image_bytes:
            answer = self.http.json(
                "POST",
                f"/{self.page_id}/photos",
                data={"message": post.text, "published": "true"},
                files={"source": (post.image_name or "card.png", post.image_bytes, "image/png")},
                creates=True,
            )
            remote = str(answer.get("post_id") or answer.get("id") or "")
        else:
            data = {"message": post.text}
            if post.link:
                data["link"] = post.link
            answer = self.http.json("POST", f"/{self.page_id}/feed", data=data, creates=True)
            remote = str(answer.get("id") or "")
        if not remote:
            raise PublishInDoubt(f"facebook: no post id in the answer {answer!r}")
        return Published(remote, f"https://www.facebook.com/{remote}")

    def find(self, post: OutgoingPost) -> Published | None:
        def match(p: dict[str, Any]) -> Published | None:
            if not is_ours(post, p.get("message") or ""):
                return None
            remote = str(p["id"])
            return Published(
                remote, str(p.get("permalink_url") or f"https://www.facebook.com/{remote}")
            )

        first = (
            f"/{self.page_id}/published_posts?fields=id,message,permalink_url,created_time&limit=50"
        )
        return search(self.http, post, first, graph_page, match, created="created_time")
