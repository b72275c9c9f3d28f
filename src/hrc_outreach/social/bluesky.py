"""Bluesky (AT Protocol): ``com.atproto.server.createSession``, ``com.atproto.repo.uploadBlob``
(the card), ``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post`` with link and tag
facets (UTF-8 byte offsets), an ``app.bsky.embed.images`` embed with alt text, and a record key
derived from the post: a TID built from the post's due time and its marker, so a retry names the
same record and cannot add a second one. Looked up with ``com.atproto.repo.getRecord``.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import regex

from hrc_outreach.social.base import (
    Http,
    OutgoingPost,
    PublishDeferred,
    Published,
    PublishInDoubt,
    PublishRefused,
    register_secret,
)

COLLECTION = "app.bsky.feed.post"
MAX_BLOB = 2_000_000  # app.bsky.embed.images#image: maxSize (2 MB, formerly 1 MB)
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, the TID alphabet
# a link runs to white space, a bidi or zero-width mark, or a quotation mark that cannot be in
# a URL (an RTL sentence puts U+200F or U+2069 right after it; Ukrainian quotes with « »)
_URL = re.compile(r"https?://[^\s\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff«»<>\"]+")
_TAG = regex.compile(r"(?<![\p{L}\p{N}_&])#([\p{L}\p{N}_]{1,64})")
# punctuation that ends a sentence after a link, not the link: Latin, Arabic and Persian
# (، ؛ ؟ ۔), ellipsis and closing quotes
_TRAILING = ".,;:!?)]}'\"\u2069\u060c\u061b\u061f\u06d4\u2026\u00bb\u201d\u2019"


def record_key(post: OutgoingPost) -> str:
    """A TID for the post: its due time in microseconds (plus a sub-second offset and a clock id
    taken from the marker, so posts due at the same moment differ), 13 base32-sortable chars.

    >>> from datetime import datetime, UTC
    >>> p = OutgoingPost("2026-12", "en", "bluesky", "hi", "ab12cd34ef56ab12cd34ef56",
    ...                  datetime(2026, 12, 1, 9, tzinfo=UTC))
    >>> record_key(p) == record_key(p), len(record_key(p))
    (True, 13)
    """
    h = int(post.marker[:16], 16)
    micros = int(post.due_at.timestamp()) * 1_000_000 + h % 1_000_000
    tid = ((micros & ((1 << 53) - 1)) << 10) | ((h >> 20) & 0x3FF)
    return "".join(_B32[(tid >> (5 * i)) & 31] for i in reversed(range(13)))


def facets(text: str) -> list[dict[str, Any]]:
    """Link and hashtag facets with UTF-8 byte offsets (``byteStart`` inclusive, ``byteEnd``
    exclusive), as the richtext lexicon counts them."""

    def at(i: int) -> int:
        return len(text[:i].encode("utf-8"))

    out: list[dict[str, Any]] = []
    for m in _URL.finditer(text):
        uri = m.group(0).rstrip(_TRAILING)
        start = m.start()
        out.append(
            {
                "index": {"byteStart": at(start), "byteEnd": at(start + len(uri))},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
            }
        )
    for m in _TAG.finditer(text):
        out.append(
            {
                "index": {"byteStart": at(m.start()), "byteEnd": at(m.end())},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)}],
            }
        )
    return sorted(out, key=lambda f: f["index"]["byteStart"])


def _png_size(data: bytes) -> dict[str, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return {"width": width, "height": height}
    return None


class BlueskyPublisher:
    platform = "bluesky"

    def __init__(
        self, client: httpx.Client, base_url: str, *, handle: str, app_password: str, **kw: Any
    ) -> None:
        self.http = Http(client, base_url, self.platform, **kw)
        self.handle, self._password = handle, app_password
        register_secret(app_password)
        self.account = handle
        self._did: str | None = None

    def _session(self) -> str:
        if self._did is None:
            s = self.http.json(
                "POST",
                "/xrpc/com.atproto.server.createSession",
                json={"identifier": self.handle, "password": self._password},
            )
            if not isinstance(s, dict) or not s.get("accessJwt") or not s.get("did"):
                raise PublishDeferred(
                    "bluesky createSession: the answer has no accessJwt and did; nothing was "
                    "posted, try later"
                )
            register_secret(str(s["accessJwt"]))
            register_secret(str(s.get("refreshJwt") or ""))
            self.http.headers["Authorization"] = f"Bearer {s['accessJwt']}"
            self._did = str(s["did"])
        return self._did

    def _url(self, rkey: str) -> str:
        return f"https://bsky.app/profile/{quote(self.handle)}/post/{rkey}"

    def _embed(self, post: OutgoingPost) -> dict[str, Any] | None:
        if not post.image_bytes:
            return None
        if len(post.image_bytes) > MAX_BLOB:
            raise PublishRefused(
                f"bluesky: the card {post.image_name} is {len(post.image_bytes)} bytes, over the "
                f"{MAX_BLOB} bytes an image embed may have"
            )
        blob = self.http.json(
            "POST",
            "/xrpc/com.atproto.repo.uploadBlob",
            content=post.image_bytes,
            headers={"Content-Type": "image/png"},
        )["blob"]
        image: dict[str, Any] = {"alt": post.image_alt or "", "image": blob}
        size = _png_size(post.image_bytes)
        if size:
            image["aspectRatio"] = size
        return {"$type": "app.bsky.embed.images", "images": [image]}

    def publish(self, post: OutgoingPost) -> Published:
        did = self._session()
        rkey = record_key(post)
        record: dict[str, Any] = {
            "$type": COLLECTION,
            "text": post.text,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "langs": [post.lang.split("_")[0].lower()],
        }
        if found := facets(post.text):
            record["facets"] = found
        if embed := self._embed(post):
            record["embed"] = embed
        body = {"repo": did, "collection": COLLECTION, "rkey": rkey, "record": record}
        try:
            answer = self.http.json(
                "POST", "/xrpc/com.atproto.repo.createRecord", json=body, creates=True
            )
        except (PublishRefused, PublishInDoubt):
            # A taken record key answers 500 ("There is already a value at key", the PDS's
            # repository) or 400: by our own earlier try, it is this post.
            if (already := self.find(post)) is not None:
                return already
            raise
        return Published(str(answer["uri"]), self._url(rkey))

    def find(self, post: OutgoingPost) -> Published | None:
        did = self._session()
        rkey = record_key(post)
        try:
            got = self.http.json(
                "GET",
                "/xrpc/com.atproto.repo.getRecord",
                params={"repo": did, "collection": COLLECTION, "rkey": rkey},
            )
        except PublishRefused as exc:
            if exc.status in (400, 404):  # RecordNotFound
                return None
            raise
        if not isinstance(got, dict) or not isinstance(got.get("uri"), str):
            raise PublishInDoubt(
                f"bluesky getRecord {rkey}: the answer names no record ({str(got)[:200]!r}); "
                "the post stays in doubt"
            )
        return Published(got["uri"], self._url(rkey))
