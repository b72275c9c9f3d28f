"""One local HTTP server on 127.0.0.1 that speaks the five platforms' APIs as their documentation
describes them (Mastodon, Bluesky's XRPC, the Graph API for a Facebook Page and an Instagram
account, LinkedIn's /rest API), for the social publishing tests.

Each request is checked against the documented shape (a wrong one gets the platform's 400, so a
test fails loudly) and recorded. Posts it accepted are kept per platform and listed by the
look-up endpoints, so a test counts what really got published. Faults:

- ``script(platform, Reply(...))``: the next *post-creating* request of that platform gets this
  answer instead (429 with Retry-After, 400 with the platform's error body...); with
  ``accept=True`` the post is created first and the scripted answer sent after (a 502 following
  an acceptance);
- ``hang_after_accept``: platforms whose next post-creating request is accepted and then never
  answered (``accepted`` is set): the test kills the client then;
- ``honour_idempotency``: whether Mastodon honours ``Idempotency-Key`` (False: it ignores it).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
PAGE_ID, IG_USER, ORG = "1000001", "17840000000001", "urn:li:organization:424242"
HANDLE, DID = "hrcn.example", "did:plc:hrcntest0000000000000000"


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """urlencoded or multipart fields (file parts as their raw bytes decoded latin-1)."""
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            return {
                k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()
            }
        if ctype.startswith("multipart/form-data"):
            boundary = ctype.split("boundary=")[1].encode()
            out: dict[str, str] = {}
            for part in self.body.split(b"--" + boundary)[1:-1]:
                head, _, value = part.strip(b"\r\n").partition(b"\r\n\r\n")
                name = re.search(rb'name="([^"]+)"', head)
                if name:
                    out[name.group(1).decode()] = value.decode("utf-8", "replace")
            return out
        return {}


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    accept: bool = False  # create the post first, then answer this


class Bad(Exception):
    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body


class Platforms:
    def __init__(self, *, honour_idempotency: bool = True) -> None:
        self.honour_idempotency = honour_idempotency
        self.requests: list[Req] = []
        self.posts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.hang_after_accept: set[str] = set()
        self.ig_in_progress_polls = 0  # how many status polls of a container say IN_PROGRESS
        self.create_delay = 0.0  # seconds a post-creating request takes after the post exists
        self.accepted = threading.Event()
        self._release = threading.Event()
        self._script: dict[str, deque[Reply]] = defaultdict(deque)
        self._keys: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._n = 0
        outer = self

        class _H(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                parts = urlsplit(self.path)
                req = Req(
                    self.command,
                    unquote(parts.path),
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(n) if n else b"",
                )
                with outer._lock:
                    outer.requests.append(req)
                try:
                    status, body, headers = outer.route(req)
                except Bad as bad:
                    status, body, headers = bad.status, bad.body, {}
                if status == -1:  # accepted, never answered
                    outer.accepted.set()
                    outer._release.wait(60)
                    return
                data = b"" if body is None else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if data:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # ------------------------------------------------------------------------------ harness

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, platform: str, *replies: Reply) -> None:
        with self._lock:
            self._script[platform].extend(replies)

    def env(self) -> dict[str, str]:
        b = self.base_url
        return {
            "HRC_MASTODON_BASE_URL": b,
            "HRC_MASTODON_ACCESS_TOKEN": "masto-token",
            "HRC_BLUESKY_BASE_URL": b,
            "HRC_BLUESKY_HANDLE": HANDLE,
            "HRC_BLUESKY_APP_PASSWORD": "app-pass-word",
            "HRC_FACEBOOK_BASE_URL": b + "/v21.0",
            "HRC_FACEBOOK_PAGE_ID": PAGE_ID,
            "HRC_FACEBOOK_ACCESS_TOKEN": "fb-token",
            "HRC_INSTAGRAM_BASE_URL": b + "/v21.0",
            "HRC_INSTAGRAM_USER_ID": IG_USER,
            "HRC_INSTAGRAM_ACCESS_TOKEN": "ig-token",
            "HRC_LINKEDIN_BASE_URL": b,
            "HRC_LINKEDIN_ORGANIZATION": ORG,
            "HRC_LINKEDIN_ACCESS_TOKEN": "li-token",
        }

    def __enter__(self) -> Platforms:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _id(self) -> str:
        self._n += 1
        return str(self._n)

    def _create(
        self, platform: str, post: dict[str, Any], idem_key: str | None = None
    ) -> tuple[int, Any, dict[str, str]] | None:
        """Scripted answers and hangs around the creation of ``post``; None: answer normally."""
        with self._lock:
            scripted = self._script[platform].popleft() if self._script[platform] else None
            if scripted is not None and not scripted.accept:
                return scripted.status, scripted.json, scripted.headers
            self.posts[platform].append(post)
            if idem_key:
                self._keys[idem_key] = post
            if platform in self.hang_after_accept:
                self.hang_after_accept.discard(platform)
                return -1, None, {}
        if self.create_delay:
            time.sleep(self.create_delay)
        if scripted is not None:
            return scripted.status, scripted.json, scripted.headers
        return None

    # ------------------------------------------------------------------------------- routes

    def route(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        p = r.path
        if p.startswith("/api/"):
            return self.mastodon(r)
        if p.startswith("/xrpc/"):
            return self.bluesky(r)
        if p.startswith("/v21.0/"):
            return self.graph(r)
        if p.startswith("/rest/") or p.startswith("/upload/"):
            return self.linkedin(r)
        raise Bad(404, {"error": f"no route {r.method} {p}"})

    # Mastodon: docs.joinmastodon.org/methods/statuses, /methods/media
    def mastodon(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        if r.headers.get("authorization") != "Bearer masto-token":
            raise Bad(401, {"error": "The access token is invalid"})
        if r.method == "POST" and r.path == "/api/v2/media":
            f = r.form()
            if "file" not in f:
                raise Bad(422, {"error": "Validation failed: File can't be blank"})
            mid = self._id()
            return (
                200,
                {
                    "id": mid,
                    "type": "image",
                    "url": f"{self.base_url}/m/{mid}.png",
                    "description": f.get("description"),
                },
                {},
            )
        if r.method == "POST" and r.path == "/api/v1/statuses":
            body = r.json
            if not isinstance(body.get("status"), str) or not body["status"]:
                raise Bad(422, {"error": "Validation failed: Text can't be blank"})
            if not isinstance(body.get("media_ids", []), list):
                raise Bad(422, {"error": "media_ids must be an array"})
            key = r.headers.get("idempotency-key")
            if self.honour_idempotency and key and key in self._keys:
                return 200, self._keys[key], {}
            sid = self._id()
            status = {
                "id": sid,
                "url": f"https://masto.example/@hrcn/{sid}",
                "uri": f"https://masto.example/users/hrcn/statuses/{sid}",
                "content": "<p>" + body["status"].replace("\n", "<br />") + "</p>",
                "media_ids": body.get("media_ids", []),
                "language": body.get("language"),
                "scheduled_at": body.get("scheduled_at"),
            }
            if body.get("scheduled_at"):
                status = {
                    "id": sid,
                    "scheduled_at": body["scheduled_at"],
                    "params": {"text": body["status"]},
                    "media_attachments": [],
                }
            return self._create("mastodon", status, key) or (200, status, {})
        if r.path == "/api/v1/accounts/verify_credentials":
            return 200, {"id": "77", "username": "hrcn"}, {}
        if r.path == "/api/v1/accounts/77/statuses":
            return 200, [s for s in reversed(self.posts["mastodon"]) if "content" in s], {}
        if r.path == "/api/v1/scheduled_statuses":
            return 200, [s for s in self.posts["mastodon"] if "params" in s], {}
        raise Bad(404, {"error": "Record not found"})

    # Bluesky: lexicons com.atproto.server.createSession, repo.uploadBlob/createRecord/getRecord
    def bluesky(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        nsid = r.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            b = r.json
            if b.get("identifier") != HANDLE or b.get("password") != "app-pass-word":
                raise Bad(
                    401,
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                )
            return (
                200,
                {
                    "accessJwt": "jwt-access",
                    "refreshJwt": "jwt-refresh",
                    "handle": HANDLE,
                    "did": DID,
                },
                {},
            )
        if r.headers.get("authorization") != "Bearer jwt-access":
            raise Bad(
                401, {"error": "AuthenticationRequired", "message": "Authentication Required"}
            )
        if nsid == "com.atproto.repo.uploadBlob":
            if not r.body or not r.headers.get("content-type", "").startswith("image/"):
                raise Bad(
                    400,
                    {"error": "InvalidRequest", "message": "blob needs a body and a content type"},
                )
            return (
                200,
                {
                    "blob": {
                        "$type": "blob",
                        "ref": {"$link": "bafkrei" + self._id()},
                        "mimeType": r.headers["content-type"],
                        "size": len(r.body),
                    }
                },
                {},
            )
        if nsid == "com.atproto.repo.createRecord":
            b = r.json
            rec = b.get("record", {})
            problems = []
            if b.get("repo") != DID or b.get("collection") != "app.bsky.feed.post":
                problems.append("repo/collection")
            if not TID.match(b.get("rkey", "")):
                problems.append("rkey is not a TID")
            if rec.get("$type") != "app.bsky.feed.post" or not rec.get("createdAt"):
                problems.append("record $type/createdAt")
            text = rec.get("text", "")
            raw = text.encode()
            for f in rec.get("facets", []):
                i = f["index"]
                if not 0 <= i["byteStart"] < i["byteEnd"] <= len(raw):
                    problems.append("facet out of range")
                else:
                    raw[i["byteStart"] : i["byteEnd"]].decode("utf-8")  # must cut on characters
            for img in (rec.get("embed") or {}).get("images", []):
                if "alt" not in img or img.get("image", {}).get("$type") != "blob":
                    problems.append("image embed needs alt and a blob")
            if problems:
                raise Bad(400, {"error": "InvalidRequest", "message": "; ".join(problems)})
            uri = f"at://{DID}/app.bsky.feed.post/{b['rkey']}"
            if any(p["uri"] == uri for p in self.posts["bluesky"]):  # the PDS's MST throws
                raise Bad(500, {"error": "InternalServerError", "message": "Internal Server Error"})
            post = {"uri": uri, "cid": "bafyrei" + self._id(), "value": rec, "rkey": b["rkey"]}
            return self._create("bluesky", post) or (200, {"uri": uri, "cid": post["cid"]}, {})
        if nsid == "com.atproto.repo.getRecord":
            rkey = r.query.get("rkey", [""])[0]
            for p in self.posts["bluesky"]:
                if p["rkey"] == rkey:
                    return 200, {"uri": p["uri"], "cid": p["cid"], "value": p["value"]}, {}
            raise Bad(
                400, {"error": "RecordNotFound", "message": f"Could not locate record: {rkey}"}
            )
        raise Bad(404, {"error": "MethodNotImplemented"})

    # Graph API: /{page-id}/photos, /{page-id}/feed, /{ig-user-id}/media, /media_publish
    def graph(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        path = r.path.removeprefix("/v21.0")
        token = r.headers.get("authorization", "")
        if token not in ("Bearer fb-token", "Bearer ig-token"):
            raise Bad(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token.",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            )
        if r.method == "POST" and path in (f"/{PAGE_ID}/photos", f"/{PAGE_ID}/feed"):
            f = r.form()
            if path.endswith("photos") and "source" not in f and "url" not in f:
                raise Bad(400, {"error": {"message": "(#324) Requires upload file", "code": 324}})
            if not f.get("message"):
                raise Bad(400, {"error": {"message": "(#100) message is required", "code": 100}})
            pid = f"{PAGE_ID}_{self._id()}"
            post = {
                "id": pid,
                "message": f["message"],
                "permalink_url": f"https://www.facebook.com/{pid}",
            }
            answer = (
                {"id": pid.split("_")[1], "post_id": pid}
                if path.endswith("photos")
                else {"id": pid}
            )
            return self._create("facebook", post) or (200, answer, {})
        if r.method == "GET" and path == f"/{PAGE_ID}/published_posts":
            return 200, {"data": list(reversed(self.posts["facebook"]))}, {}
        if r.method == "POST" and path == f"/{IG_USER}/media":
            f = r.form()
            if not f.get("image_url", "").startswith(("http://", "https://")):
                raise Bad(
                    400,
                    {"error": {"message": "(#9004) image_url must be a public URL", "code": 9004}},
                )
            cid = "c" + self._id()
            self._keys[cid] = {
                "caption": f.get("caption", ""),
                "alt_text": f.get("alt_text"),
                "image_url": f["image_url"],
            }
            return 200, {"id": cid}, {}
        if r.method == "POST" and path == f"/{IG_USER}/media_publish":
            cid = r.form().get("creation_id", "")
            if cid not in self._keys:
                raise Bad(400, {"error": {"message": "(#100) Invalid creation_id", "code": 100}})
            mid = "m" + self._id()
            post = {
                "id": mid,
                "caption": self._keys[cid]["caption"],
                "permalink": f"https://www.instagram.com/p/{mid}/",
                **self._keys[cid],
            }
            return self._create("instagram", post) or (200, {"id": mid}, {})
        if r.method == "GET" and path == f"/{IG_USER}/media":
            return 200, {"data": list(reversed(self.posts["instagram"]))}, {}
        if r.method == "GET" and path.startswith("/c"):  # a container's status
            if r.query.get("fields") != ["status_code"] or path[1:] not in self._keys:
                raise Bad(400, {"error": {"message": "(#100) Unknown container", "code": 100}})
            self._keys[path[1:]]["polls"] = self._keys[path[1:]].get("polls", 0) + 1
            done = self._keys[path[1:]]["polls"] > self.ig_in_progress_polls
            return 200, {"id": path[1:], "status_code": "FINISHED" if done else "IN_PROGRESS"}, {}
        if r.method == "GET" and path.startswith("/m"):
            return (
                200,
                {"id": path[1:], "permalink": f"https://www.instagram.com/p/{path[1:]}/"},
                {},
            )
        raise Bad(
            400, {"error": {"message": f"Unsupported {r.method} request {path}", "code": 100}}
        )

    # LinkedIn: /rest/images?action=initializeUpload, PUT upload, /rest/posts
    def linkedin(self, r: Req) -> tuple[int, Any, dict[str, str]]:
        if r.headers.get("authorization") != "Bearer li-token":
            raise Bad(401, {"status": 401, "message": "Invalid access token"})
        if r.path.startswith("/rest/") and (
            not re.fullmatch(r"\d{6}", r.headers.get("linkedin-version", ""))
            or r.headers.get("x-restli-protocol-version") != "2.0.0"
        ):
            raise Bad(400, {"status": 400, "message": "A version header is required"})
        if r.method == "POST" and r.path == "/rest/images":
            if r.query.get("action") != ["initializeUpload"]:
                raise Bad(400, {"status": 400, "message": "action=initializeUpload expected"})
            owner = r.json["initializeUploadRequest"]["owner"]
            if owner != ORG:
                raise Bad(403, {"status": 403, "message": "not an admin of the owner"})
            iid = "urn:li:image:C" + self._id()
            return (
                200,
                {
                    "value": {
                        "uploadUrlExpiresAt": 1_900_000_000_000,
                        "uploadUrl": f"{self.base_url}/upload/{iid}",
                        "image": iid,
                    }
                },
                {},
            )
        if r.method == "PUT" and r.path.startswith("/upload/"):
            return (201, None, {}) if r.body else (400, {"message": "empty upload"}, {})
        if r.method == "POST" and r.path == "/rest/posts":
            b = r.json
            need = ("author", "commentary", "visibility", "distribution", "lifecycleState")
            missing = [k for k in need if k not in b]
            if (
                missing
                or b["author"] != ORG
                or b["distribution"].get("feedDistribution") != "MAIN_FEED"
            ):
                raise Bad(422, {"status": 422, "message": f"invalid post: missing {missing}"})
            urn = "urn:li:share:" + self._id()
            post = {"id": urn, **b}
            return self._create("linkedin", post) or (201, None, {"x-restli-id": urn})
        if r.method == "GET" and r.path == "/rest/posts":
            if r.query.get("q") != ["author"] or r.query.get("author") != [ORG]:
                raise Bad(400, {"status": 400, "message": "q=author&author= expected"})
            return 200, {"elements": list(reversed(self.posts["linkedin"]))}, {}
        raise Bad(404, {"status": 404, "message": "no such resource"})
