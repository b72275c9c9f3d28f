"""Local HTTP servers on 127.0.0.1 speaking DeepL's and LibreTranslate's APIs, counting requests.

A translation is the text prefixed with ``[TARGET] `` (tags and ``translate="no"`` spans come back
untouched, as the real engines do); a DeepL glossary replaces its source terms with its targets.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    size: int


@dataclass
class FakeEngine:
    """State shared by the handler and the test."""

    api_key: str = "test-key"
    # (status, headers) answered before any real answer, one per request
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    # after this many translated texts, DeepL answers 456
    quota_texts: int | None = None
    glossary_pairs: list[tuple[str, str]] = field(default_factory=list)
    glossaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    translated: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def translate_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path in ("/v2/translate", "/translate")]


def _handler(engine: FakeEngine, kind: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, data: Any = None, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(data if data is not None else {"message": "x"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def _handle(self, method: str) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw else None
            with engine.lock:
                engine.requests.append(
                    Recorded(method, self.path, dict(self.headers), body, len(raw))
                )
                scripted = engine.script.pop(0) if engine.script else None
            if scripted is not None:
                self._reply(scripted[0], {"message": "scripted"}, scripted[1])
                return
            if kind == "deepl":
                self._deepl(method, body, len(raw))
            else:
                self._libre(body, len(raw))

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        # ------------------------------------------------------------------------- DeepL
        def _deepl(self, method: str, body: Any, size: int) -> None:
            if self.headers.get("Authorization") != f"DeepL-Auth-Key {engine.api_key}":
                self._reply(403, {"message": "Wrong endpoint or key"})
                return
            if self.path == "/v2/glossary-language-pairs":
                pairs = [{"source_lang": s, "target_lang": t} for s, t in engine.glossary_pairs]
                self._reply(200, {"supported_languages": pairs})
            elif self.path == "/v2/glossaries" and method == "GET":
                self._reply(200, {"glossaries": list(engine.glossaries.values())})
            elif self.path == "/v2/glossaries":
                gid = f"g{len(engine.glossaries) + 1}"
                entries = dict(line.split("\t") for line in body["entries"].splitlines())
                engine.glossaries[gid] = {
                    "glossary_id": gid, "name": body["name"], "ready": True,
                    "source_lang": body["source_lang"], "target_lang": body["target_lang"],
                    "entry_count": len(entries), "entries": entries,
                }
                self._reply(201, engine.glossaries[gid])
            elif self.path == "/v2/translate":
                texts = body["text"]
                if len(texts) > 50:
                    self._reply(400, {"message": "Too many texts"})
                    return
                if size > 128 * 1024:
                    self._reply(413, {"message": "Request Entity Too Large"})
                    return
                with engine.lock:
                    if engine.quota_texts is not None and engine.translated >= engine.quota_texts:
                        self._reply(456, {"message": "Quota exceeded"})
                        return
                    engine.translated += len(texts)
                target = body["target_lang"]
                entries = {}
                if "glossary_id" in body:
                    entries = engine.glossaries[body["glossary_id"]]["entries"]
                out = []
                for t in texts:
                    for src, dst in sorted(entries.items(), key=lambda e: -len(e[0])):
                        t = t.replace(src, dst)
                    out.append({"detected_source_language": "EN", "text": f"[{target}] {t}"})
                self._reply(200, {"translations": out})
            else:
                self._reply(404, {"message": "Not found"})

        # ----------------------------------------------------------------- LibreTranslate
        def _libre(self, body: Any, size: int) -> None:
            if self.path != "/translate":
                self._reply(404, {"error": "Not found"})
                return
            if engine.api_key and body.get("api_key") != engine.api_key:
                self._reply(403, {"error": "Invalid API key"})
                return
            q = body["q"]
            texts = q if isinstance(q, list) else [q]
            out = [f"[{body['target']}] {t}" for t in texts]
            engine.translated += len(texts)
            self._reply(200, {"translatedText": out if isinstance(q, list) else out[0]})

    return Handler


@contextmanager
def serve(kind: str, engine: FakeEngine | None = None) -> Iterator[tuple[str, FakeEngine]]:
    """A fake ``deepl`` or ``libretranslate`` server: yields (base URL, its state)."""
    engine = engine or FakeEngine()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(engine, kind))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", engine
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
