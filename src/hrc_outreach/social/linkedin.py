"""LinkedIn organisation posts (Community Management API, versioned ``/rest``): the card first
(``POST /rest/images?action=initializeUpload``, then a ``PUT`` of its bytes to the upload URL),
then ``POST /rest/posts`` (``author`` the organisation URN, ``commentary``, ``content.media`` with
the image URN and ``altText``, ``lifecycleState`` PUBLISHED); the post's URN comes back in the
``x-restli-id`` header. Looked up with ``GET /rest/posts?q=author``.

``commentary`` is LinkedIn's "little text format": its reserved characters are escaped with a
backslash, else LinkedIn drops the text after them.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

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

PAGE_SIZE = 50

VERSION = "202510"  # LinkedIn-Version: YYYYMM
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def little_text(text: str) -> str:
    """``text`` with little-text-format reserved characters escaped.

    >>> little_text("#HumanRights (DARE)")
    '\\\\#HumanRights \\\\(DARE\\\\)'
    """
    return _RESERVED.sub(r"\\\1", text)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class LinkedInPublisher:
    platform = "linkedin"

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        organization: str,
        access_token: str,
        version: str = VERSION,
        **kw: Any,
    ) -> None:
        headers = {
            "Authorization": f"Bearer {access_token}",
            "LinkedIn-Version": version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        self.http = Http(client, base_url, self.platform, headers, **kw)
        self.author = (
            organization
            if organization.startswith("urn:")
            else f"urn:li:organization:{organization}"
        )
        self.account = self.author

    def _image(self, post: OutgoingPost) -> str | None:
        if not post.image_bytes:
            return None
        init = self.http.json(
            "POST",
            "/rest/images?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": self.author}},
        )["value"]
        self.http.call(
            "PUT",
            init["uploadUrl"],
            content=post.image_bytes,
            headers={"Content-Type": "application/octet-stream"},
        )
        return str(init["image"])

    def publish(self, post: OutgoingPost) -> Published:
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if image := self._image(post):
            body["content"] = {"media": {"id": image, "altText": post.image_alt or ""}}
        r = self.http.call("POST", "/rest/posts", json=body, creates=True)
        urn = r.headers.get("x-restli-id", "")
        if not urn:
            raise PublishInDoubt(f"linkedin: no x-restli-id header in the answer ({r.status_code})")
        return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/")

    def find(self, post: OutgoingPost) -> Published | None:
        base = f"/rest/posts?author={quote(self.author, safe='')}&q=author&count={PAGE_SIZE}"

        def page(r: httpx.Response) -> Page:
            body = r.json()
            items, paging = body["elements"], body.get("paging") or {}
            start = int(paging.get("start", 0))
            end = start + len(items)
            total = paging.get("total")
            more = end < int(total) if total is not None else len(items) >= PAGE_SIZE
            return Page(items, f"{base}&start={end}" if more and items else None)

        def match(p: dict[str, Any]) -> Published | None:
            if is_ours(post, _unescape(p.get("commentary") or "")):
                urn = str(p["id"])
                return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/")
            return None

        return search(self.http, post, f"{base}&start=0", page, match, created="createdAt")
