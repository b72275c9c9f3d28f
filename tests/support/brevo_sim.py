"""A local server that speaks Brevo's transactional API (``POST /v3/smtp/email``), for tests and bench.

It honours ``headers.idempotencyKey`` like Brevo (a repeated key does not send again and gets the
first answer back), counts every recipient it accepted DURABLY in ``<state>/sim.db`` (SQLite,
committed before the answer, so the counts survive a killed client and can be read by the test),
and injects faults: a fraction of 429 (with Retry-After) and of 500, a 400 for a batch holding a
given address, a delay before and/or after accepting.

In a test::

    with BrevoSim(tmp_path, fraction_429=0.2) as sim:
        ...  # HRC_BREVO_BASE_URL=sim.base_url
        assert received(tmp_path) == Counter(...)

As a process: ``python tests/support/brevo_sim.py --port 0 --state DIR [--delay-after 0.2 ...]``
prints ``listening on http://127.0.0.1:PORT`` and serves until killed; :func:`start_process`
starts it so and returns the process and its base URL.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

API_KEY_HEADER = "api-key"


@dataclass
class Faults:
    fraction_429: float = 0.0
    fraction_500: float = 0.0
    retry_after: float = 1.0
    fail_400_email: str | None = None  # a request holding this recipient is refused with 400
    first_429_email: str | None = None  # the first request holding it: 429, Retry-After retry_after
    delay_before: float = 0.0  # seconds before deciding (a kill here: nothing was accepted)
    delay_after: float = 0.0  # seconds after accepting, before answering (a kill here: in doubt)
    seed: int = 0


def _connect(state: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(state / "sim.db", timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS received (email TEXT NOT NULL, key TEXT, at REAL);
        CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, answer TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS requests (status INTEGER, key TEXT, recipients INTEGER, at REAL);
        """
    )
    return conn


class _State:
    def __init__(self, state: Path, faults: Faults) -> None:
        state.mkdir(parents=True, exist_ok=True)
        self.db = _connect(state)
        self.faults = faults
        self.rng = random.Random(faults.seed)
        self.lock = threading.Lock()
        self.held = False  # first_429_email answered once

    def log(self, status: int, key: str | None, n: int) -> None:
        with self.lock:
            self.db.execute("INSERT INTO requests VALUES (?,?,?,?)", (status, key, n, time.time()))
            self.db.commit()


def _recipients(body: dict[str, Any]) -> list[str]:
    versions = body.get("messageVersions")
    if versions:
        return [t["email"] for v in versions for t in v.get("to", [])]
    return [t["email"] for t in body.get("to", [])]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        st = self.server.state
        f = st.faults
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if not self.path.rstrip("/").endswith("/smtp/email"):
            self._answer(404, {"code": "not_found", "message": f"no route {self.path}"})
            return
        if not self.headers.get(API_KEY_HEADER):
            self._answer(401, {"code": "unauthorized", "message": "Key not found"})
            return
        try:
            body = json.loads(raw)
            emails = _recipients(body)
        except (ValueError, KeyError, TypeError) as exc:
            self._answer(400, {"code": "bad_request", "message": f"invalid JSON body: {exc}"})
            return
        key = (body.get("headers") or {}).get("idempotencyKey")
        if f.delay_before:
            time.sleep(f.delay_before)
        if f.fail_400_email and f.fail_400_email in emails:
            st.log(400, key, len(emails))
            self._answer(
                400,
                {"code": "invalid_parameter", "message": f"email is not valid: {f.fail_400_email}"},
            )
            return
        with st.lock:
            roll = st.rng.random()
            hold = bool(f.first_429_email and f.first_429_email in emails and not st.held)
            st.held = st.held or hold
        if hold or roll < f.fraction_429:
            st.log(429, key, len(emails))
            self._answer(
                429,
                {"code": "too_many_requests", "message": "The rate limit is exceeded"},
                {
                    "Retry-After": f"{f.retry_after:g}",
                    "x-sib-ratelimit-reset": f"{f.retry_after:g}",
                },
            )
            return
        if roll < f.fraction_429 + f.fraction_500:
            st.log(500, key, len(emails))
            self._answer(500, {"code": "internal_error", "message": "Internal server error"})
            return
        with st.lock:  # check-and-record the key atomically: concurrent repeats send once
            row = (
                st.db.execute("SELECT answer FROM keys WHERE key = ?", (key,)).fetchone()
                if key
                else None
            )
            if row is not None:
                answer = json.loads(row[0])
                status = 201
                st.db.execute(
                    "INSERT INTO requests VALUES (?,?,?,?)", (208, key, len(emails), time.time())
                )
            else:
                tag = key or f"nokey{time.time_ns()}"
                answer = {"messageIds": [f"<{tag}.{i}@brevo-sim>" for i in range(len(emails))]}
                now = time.time()
                st.db.executemany(
                    "INSERT INTO received VALUES (?,?,?)", [(e, key, now) for e in emails]
                )
                if key:
                    st.db.execute("INSERT INTO keys VALUES (?,?)", (key, json.dumps(answer)))
                st.db.execute("INSERT INTO requests VALUES (?,?,?,?)", (201, key, len(emails), now))
                status = 201
            st.db.commit()  # durable before the answer: what the client may never hear about
        if f.delay_after:
            time.sleep(f.delay_after)
        self._answer(status, answer)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client killed mid-request (the crash test) is expected; anything else is reported.
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)


class BrevoSim:
    """The simulator in a thread of the test process (``with BrevoSim(dir) as sim``)."""

    def __init__(self, state: Path, faults: Faults | None = None, **kw: Any) -> None:
        self.state_dir = Path(state)
        self.faults = faults or Faults(**kw)
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = _State(self.state_dir, self.faults)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> BrevoSim:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.state.db.close()


def received(state: Path) -> Counter[str]:
    """How many times the simulator accepted each address (read from its durable state)."""
    conn = sqlite3.connect(Path(state) / "sim.db", timeout=30)
    try:
        return Counter(
            dict(conn.execute("SELECT email, COUNT(*) FROM received GROUP BY email").fetchall())
        )
    finally:
        conn.close()


def request_log(state: Path) -> Counter[int]:
    """Answers given, by status (208 counts a repeated idempotency key answered without sending)."""
    conn = sqlite3.connect(Path(state) / "sim.db", timeout=30)
    try:
        return Counter(
            dict(conn.execute("SELECT status, COUNT(*) FROM requests GROUP BY status").fetchall())
        )
    finally:
        conn.close()


def start_process(
    state: Path,
    *,
    delay_before: float = 0.0,
    delay_after: float = 0.0,
    extra: tuple[str, ...] = (),
) -> tuple[subprocess.Popen[str], str]:
    """The simulator as its own process (it outlives a killed client); (process, base URL)."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--port",
            "0",
            "--state",
            str(state),
            "--delay-before",
            f"{delay_before}",
            "--delay-after",
            f"{delay_after}",
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line
    return proc, line.split()[-1]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--fraction-429", type=float, default=0.0)
    p.add_argument("--fraction-500", type=float, default=0.0)
    p.add_argument("--retry-after", type=float, default=1.0)
    p.add_argument("--fail-400-email")
    p.add_argument("--first-429-email")
    p.add_argument("--delay-before", type=float, default=0.0)
    p.add_argument("--delay-after", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    faults = Faults(
        fraction_429=a.fraction_429,
        fraction_500=a.fraction_500,
        retry_after=a.retry_after,
        fail_400_email=a.fail_400_email,
        first_429_email=a.first_429_email,
        delay_before=a.delay_before,
        delay_after=a.delay_after,
        seed=a.seed,
    )
    server = _Server(("127.0.0.1", a.port), _Handler)
    server.state = _State(a.state, faults)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
