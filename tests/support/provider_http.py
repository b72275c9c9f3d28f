"""Local HTTP servers on 127.0.0.1 that speak the Brevo, SendGrid and Postmark APIs, for tests.

Every request is recorded (method, path, query, headers, body) so a test can validate it against
the provider's published spec. ``server.script(Reply(...))`` makes the next answers scripted (429,
500, 400, a delay longer than the client's read timeout...); otherwise the provider's API answers.

    with ProviderServer(brevo_api("key")) as server:
        provider = BrevoProvider(settings, client, base_url=server.base_url, api_key="key")
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the client timeout: in doubt)


Handler = Callable[[Recorded], Reply]


class ProviderServer:
    """A threaded HTTP server answering with ``handler`` (or the scripted replies first)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Recorded] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        outer = self

        class _H(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                parts = urlsplit(self.path)
                rec = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with outer._lock:
                    outer.requests.append(rec)
                    scripted = outer._script.popleft() if outer._script else None
                reply = scripted or outer.handler(rec)
                if reply.delay:
                    time.sleep(reply.delay)
                data = b"" if reply.json is None else json.dumps(reply.json).encode()
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if data:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a read-timeout test)

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def __enter__(self) -> ProviderServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# ------------------------------------------------------------------------------------ the APIs

SUPPRESSED = [
    ("gone@example.org", "hard"),
    ("angry@example.org", "spam"),
    ("bye@example.org", "unsub"),
]
T0 = 1_790_000_000  # 2026-09-21, after the tests' "since"


def brevo_api(key: str) -> Handler:
    """``POST /v3/smtp/email`` and ``GET /v3/smtp/blockedContacts`` (paginated)."""
    codes = {"hard": "hardBounce", "spam": "contactFlaggedAsSpam", "unsub": "unsubscribedViaEmail"}
    # 150 contacts so that a page size of 100 needs two pages; the three above come last
    contacts = [
        {
            "email": f"user{i}@example.org",
            "senderEmail": "newsletter@humanrightscities.net",
            "reason": {"code": "unsubscribedViaApi", "message": "Unsubscribed via API"},
            "blockedAt": "2026-10-01T12:30:00Z",
        }
        for i in range(147)
    ] + [
        {
            "email": e,
            "senderEmail": "newsletter@humanrightscities.net",
            "reason": {"code": codes[k], "message": k},
            "blockedAt": "2026-10-02T08:00:00Z",
        }
        for e, k in SUPPRESSED
    ]

    def handle(req: Recorded) -> Reply:
        if req.headers.get("api-key") != key:
            return Reply(401, {"code": "unauthorized", "message": "Key not found"})
        if req.method == "POST" and req.path == "/v3/smtp/email":
            versions = req.json.get("messageVersions") or [{"to": req.json.get("to", [])}]
            ids = [f"<{i}.{time.time_ns()}@smtp-relay.mailin.fr>" for i in range(len(versions))]
            return Reply(201, {"messageIds": ids} if len(ids) > 1 else {"messageId": ids[0]})
        if req.method == "GET" and req.path == "/v3/smtp/blockedContacts":
            offset = int(req.query.get("offset", ["0"])[0])
            limit = int(req.query.get("limit", ["50"])[0])
            page = contacts[offset : offset + limit]
            return Reply(200, {"count": len(contacts), "contacts": page})
        return Reply(404, {"code": "document_not_found", "message": f"no route {req.path}"})

    return handle


def sendgrid_api(key: str) -> Handler:
    """``POST /v3/mail/send`` and the three ``/v3/suppression/*`` lists."""
    lists = {
        "bounces": [
            {"created": T0, "email": "gone@example.org", "reason": "550 5.1.1 no such user",
             "status": "5.1.1"},
            {"created": T0, "email": "full@example.org", "reason": "452 4.2.2 mailbox full",
             "status": "4.2.2"},
        ],
        "spam_reports": [{"created": T0, "email": "angry@example.org", "ip": "10.0.0.1"}],
        "unsubscribes": [{"created": T0, "email": "bye@example.org"}],
    }  # fmt: skip

    def handle(req: Recorded) -> Reply:
        if req.headers.get("authorization") != f"Bearer {key}":
            return Reply(401, {"errors": [{"field": None, "message": "authorization required"}]})
        if req.method == "POST" and req.path == "/v3/mail/send":
            return Reply(202, None, {"X-Message-Id": f"sg{time.time_ns()}"})
        name = req.path.rsplit("/", 1)[-1]
        if req.method == "GET" and req.path.startswith("/v3/suppression/") and name in lists:
            offset = int(req.query.get("offset", ["0"])[0])
            limit = int(req.query.get("limit", ["500"])[0])
            return Reply(200, lists[name][offset : offset + limit])
        return Reply(404, {"errors": [{"message": f"no route {req.path}"}]})

    return handle


def postmark_api(key: str) -> Handler:
    """``POST /email/batch`` (refuses ``inactive*`` addresses with ErrorCode 406), ``GET /bounces``
    and ``GET /message-streams/{stream}/suppressions/dump``."""

    def handle(req: Recorded) -> Reply:
        if req.headers.get("x-postmark-server-token") != key:
            return Reply(401, {"ErrorCode": 10, "Message": "No Account or Server API tokens"})
        if req.method == "POST" and req.path == "/email/batch":
            out = []
            for m in req.json:
                if "inactive" in m["To"]:
                    out.append(
                        {
                            "ErrorCode": 406,
                            "Message": "You tried to send to recipient(s) "
                            "that have been marked as inactive.",
                            "To": m["To"],
                        }
                    )
                else:
                    out.append(
                        {
                            "ErrorCode": 0,
                            "Message": "OK",
                            "To": m["To"],
                            "MessageID": f"pm-{time.time_ns()}",
                            "SubmittedAt": "2026-11-22T08:00:00.1234567Z",
                        }
                    )
            return Reply(200, out)  # fmt: skip
        if req.method == "GET" and req.path == "/bounces":
            kind = req.query.get("type", [""])[0]
            rows = {
                "HardBounce": [{"Type": "HardBounce", "Email": "gone@example.org",
                                "BouncedAt": "2026-10-02T08:00:00.1234567-04:00"}],
                "SpamComplaint": [{"Type": "SpamComplaint", "Email": "angry@example.org",
                                   "BouncedAt": "2026-10-02T09:00:00Z"}],
            }.get(kind, [])  # fmt: skip
            return Reply(200, {"TotalCount": len(rows), "Bounces": rows})
        if req.method == "GET" and req.path.endswith("/suppressions/dump"):
            return Reply(200, {"Suppressions": [
                {"EmailAddress": "gone@example.org", "SuppressionReason": "HardBounce",
                 "Origin": "Recipient", "CreatedAt": "2026-10-02T08:00:01Z"},
                {"EmailAddress": "bye@example.org", "SuppressionReason": "ManualSuppression",
                 "Origin": "Recipient", "CreatedAt": "2026-10-03T08:00:00Z"},
            ]})  # fmt: skip
        return Reply(404, {"ErrorCode": 404, "Message": f"no route {req.path}"})

    return handle
