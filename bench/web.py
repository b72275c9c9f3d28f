"""Web app under load, side by side against ONE uvicorn server (a subprocess on 127.0.0.1):

1. one-click unsubscribe POSTs at 50 concurrent clients vs the bare ``/healthz`` of the same app
   (ratio of medians; target ≤ 3×, 0 errors);
2. SendGrid signed webhook batches of 1,000 events (events per second; target ≥ 2,000/s on SQLite);
3. the subscribe form under a burst of 500 requests from one address (stays up, throttles).

    .venv/bin/python bench/web.py [--subscribers 2000] [--batches 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SECRET = "bench-web-secret-0123456789abcdef"
CONCURRENCY = 50
WARM = 100  # one-click requests before the measured ones (templates compiled, pools filled)
BATCH = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, n: int) -> list[str]:
    """``n`` confirmed subscribers (p0…p{n-1}); their unsubscribe paths."""
    from hrc_outreach.audience.links import links_for
    from hrc_outreach.config import load_settings
    from hrc_outreach.store import open_store
    from hrc_outreach.store.tables import SubscriberRow

    os.environ["HRC_TOKEN_SECRET"] = SECRET
    settings = load_settings(env={}, store={"url": url})
    store = open_store(settings)  # keys the address hash from the token secret
    with store.session() as s:
        s.add_all(
            SubscriberRow(email=f"p{i}@example.org", state="confirmed", language="fr")
            for i in range(n)
        )
    links = links_for(settings)
    with store.session() as s:
        ids = list(s.scalars(__import__("sqlalchemy").select(SubscriberRow.id)))
    store.dispose()
    return [links.unsubscribe_url(i).split("/", 3)[3] for i in ids]


async def timed(
    client: httpx.AsyncClient, method: str, path: str, **kw: object
) -> tuple[float, int]:
    t = time.perf_counter()
    try:
        r = await client.request(method, "/" + path.lstrip("/"), **kw)  # type: ignore[arg-type]
        code = r.status_code
    except httpx.HTTPError as exc:
        print(f"  error: {method} {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 0
    return time.perf_counter() - t, code


async def load(
    base: str, jobs: list[tuple[str, str, dict[str, object]]]
) -> tuple[list[float], int]:
    """Run ``jobs`` with CONCURRENCY clients; (latencies, errors)."""
    queue = list(reversed(jobs))
    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal errors
            while queue:
                method, path, kw = queue.pop()
                dt, code = await timed(client, method, path, **kw)
                lat.append(dt)
                if code != 200:
                    errors += 1
                    print(f"  error: {method} answered {code or 'no answer'}", file=sys.stderr)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return lat, errors


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subscribers", type=int, default=2000)
    ap.add_argument("--batches", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    db = f"sqlite:///{tmp / 'store.db'}"
    # people for one-click (n), its warm-up (WARM), and one per webhook event, whom only the
    # webhooks suppress: every batch changes confirmed subscribers, not addresses already gone
    everyone = seed(db, args.subscribers + WARM + args.batches * BATCH)
    paths, warm_paths = everyone[: args.subscribers], everyone[args.subscribers :][:WARM]
    first = args.subscribers + WARM
    webhook_people = range(first, first + args.batches * BATCH)
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    port = free_port()
    env = {
        **os.environ,
        "HRC_TOKEN_SECRET": SECRET,
        "HRC_DATABASE_URL": db,
        "HRC_OUT_DIR": str(tmp / "out"),
        "HRC_DELIVERY__OUTBOX_DIR": str(tmp / "outbox"),
        "HRC_SENDGRID_WEBHOOK_PUBLIC_KEY": base64.b64encode(der).decode(),
    }
    env.pop("PREFECT_API_URL", None)
    env.pop("HRC_CONFIG", None)
    server = subprocess.Popen(  # its stderr shows any traceback
        [sys.executable, "-m", "uvicorn", "hrc_outreach.web.app:app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        cwd=tmp, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            print("server did not start", file=sys.stderr)
            return 1
        n = len(paths)
        body = {"content": b"List-Unsubscribe=One-Click",
                "headers": {"content-type": "application/x-www-form-urlencoded"}}  # fmt: skip
        await load(base, [("GET", "/healthz", {})] * 200)  # warm-up, both paths
        await load(base, [("POST", p, body) for p in warm_paths])
        t = time.perf_counter()
        bare, bare_err = await load(base, [("GET", "/healthz", {})] * n)
        bare_wall = time.perf_counter() - t
        t = time.perf_counter()
        oc, oc_err = await load(base, [("POST", p, body) for p in paths])
        oc_wall = time.perf_counter() - t
        ratio = statistics.median(oc) / statistics.median(bare)
        print(f"{'':34} {'median ms':>10} {'p95 ms':>8} {'req/s':>8} {'errors':>7}")
        for name, lat, err, wall in (("bare /healthz", bare, bare_err, bare_wall),
                                     ("one-click POST /u/TOKEN", oc, oc_err, oc_wall)):  # fmt: skip
            p95 = sorted(lat)[int(len(lat) * 0.95)]
            rate = len(lat) / wall
            print(f"{name:34} {statistics.median(lat) * 1000:10.2f} {p95 * 1000:8.2f} "
                  f"{rate:8.0f} {err:7d}")  # fmt: skip
        ok1 = ratio <= 3 and oc_err == 0 and bare_err == 0
        print(f"ratio of medians (one-click / bare): {ratio:.2f}× (target ≤ 3×) "
              f"{'OK' if ok1 else 'MISSED'}")  # fmt: skip

        # SendGrid batches of 1,000 events over confirmed people (bounces, spam reports,
        # unsubscribes and deliveries, the last ignored), then the first batch again (a retry)
        kinds = ["bounce", "spamreport", "delivered", "unsubscribe"]
        people = list(webhook_people)

        def batch(b: int) -> bytes:
            events = [{"email": f"p{people[(b * BATCH + i) % len(people)]}@example.org",
                       "timestamp": 1791021600 + i, "event": kinds[i % 4], "type": "bounce",
                       "sg_event_id": f"e{b}-{i}"} for i in range(BATCH)]  # fmt: skip
            return json.dumps(events).encode()

        async def deliver(client: httpx.AsyncClient, raw: bytes) -> tuple[float, int, int]:
            ts = str(int(time.time()))
            sig = base64.b64encode(key.sign(ts.encode() + raw, ec.ECDSA(hashes.SHA256())))
            t = time.perf_counter()
            r = await client.post("/webhooks/sendgrid", content=raw, headers={
                "X-Twilio-Email-Event-Webhook-Signature": sig.decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": ts,
                "content-type": "application/json"})  # fmt: skip
            spent = time.perf_counter() - t
            changed = r.json().get("changed", -1) if r.status_code == 200 else -1
            return spent, r.status_code, changed

        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            total, spent, codes, per_batch = 0, 0.0, [], []
            bodies = [batch(b) for b in range(args.batches)]
            for raw in bodies:
                dt, code, changed = await deliver(client, raw)
                spent += dt
                codes.append(code)
                per_batch.append(f"{dt * 1000:.0f} ms/{changed} changed")
                total += BATCH
            again_dt, again_code, again_changed = await deliver(client, bodies[0])
        rate = total / spent
        ok2 = rate >= 2000 and set(codes) == {200} and again_code == 200 and again_changed == 0
        print(f"SendGrid webhook: {args.batches} batches × {BATCH:,} events: {rate:,.0f} events/s "
              f"(target ≥ 2,000/s on SQLite), answers {sorted(set(codes))}; per batch: "
              f"{', '.join(per_batch)}; the first batch again: {again_dt * 1000:.0f} ms, "
              f"{again_changed} changed {'OK' if ok2 else 'MISSED'}")  # fmt: skip

        # subscribe burst from one address
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            page = await client.get("/subscribe")
            m = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert m is not None
            form = {"csrf": m.group(1), "consent": "yes", "language": "en"}
            jobs = [client.post("/subscribe", data={**form, "email": f"burst{i}@example.org"})
                    for i in range(500)]  # fmt: skip
            t = time.perf_counter()
            answers = await asyncio.gather(*jobs, return_exceptions=True)
            burst = time.perf_counter() - t
            counts: dict[str, int] = {}
            for a in answers:
                k = str(a.status_code) if isinstance(a, httpx.Response) else type(a).__name__
                counts[k] = counts.get(k, 0) + 1
            alive = (await client.get("/healthz")).status_code == 200
        ok3 = alive and counts.get("429", 0) >= 490 and counts.get("200", 0) <= 5
        print(
            f"subscribe burst: 500 requests from one address in {burst:.1f} s: {counts}; "
            f"/healthz after: {'200' if alive else 'DOWN'} {'OK' if ok3 else 'MISSED'}"
        )
        return 0 if ok1 and ok2 and ok3 else 1
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
