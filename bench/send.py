"""Bench: send an edition in 11 languages through a local Brevo-speaking server, with and without the
ledger, at 100,000 and 1,000,000 subscribers, on SQLite (one sender) and PostgreSQL (two senders).

Every measured run is its own process, so its peak memory (VmHWM) is its own: a sender streams
the audience and the ledger, so its memory must not grow with the audience. Prints, side by side:
wall time and recipients per second with and without the ledger, their ratio (target <= 2x), and
each run's peak memory (target < 300 MB). Exit status 1 when a target is missed.

    .venv/bin/python bench/send.py [--sizes 100000,1000000] [--url postgresql://.../scratch_db]

PostgreSQL: pass --url (its public schema is dropped first); without it only SQLite is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hrc_outreach.config import Settings  # noqa: E402
from hrc_outreach.models import use_email_hash_key  # noqa: E402
from hrc_outreach.store import Store  # noqa: E402
from tests.support.brevo_sim import received, start_process  # noqa: E402
from tests.support.ledger_data import (  # noqa: E402
    LANGS11,
    add_edition,
    approved,
    email_of,
    messages,
    write_draft,
)

# the stores here are opened without settings (Store(url)): key the address hash for them
use_email_hash_key(b"bench email hash key, not a secret")

KEY = "2026-12"
SECRET = "bench-token-secret-0123456789"


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from hrc_outreach.store.db import _normalise_url

    engine = create_engine(_normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _rows(n: int) -> Iterator[tuple[Any, ...]]:
    from datetime import UTC, datetime

    from hrc_outreach.audience.addresses import hash_normalised

    now = datetime.now(UTC)
    for i in range(n):
        e = email_of(i)
        yield (e, hash_normalised(e), f"Reader {i}", LANGS11[i % 11], "[]", "[]", "confirmed",
               now, "bench", now, now)  # fmt: skip


_COLS = ("email", "email_hash", "name", "language", "segments", "topics", "state", "consent_at",
         "consent_source", "created_at", "updated_at")  # fmt: skip


def load_subscribers(store: Store, n: int) -> None:
    """n confirmed subscribers, streamed in (COPY on PostgreSQL)."""
    with store.session() as s:
        raw: Any = s.connection().connection.dbapi_connection
        if store.dialect == "postgresql":
            with raw.cursor() as cur, cur.copy(
                f"COPY subscribers ({', '.join(_COLS)}) FROM STDIN"
            ) as cp:
                for row in _rows(n):
                    cp.write_row(row)
            return
        cur = raw.cursor()
        marks = ", ".join("?" for _ in _COLS)
        batch: list[tuple[Any, ...]] = []
        for row in _rows(n):
            batch.append(tuple(v.isoformat(" ") if hasattr(v, "isoformat") else v for v in row))
            if len(batch) == 10_000:
                cur.executemany(f"INSERT INTO subscribers ({', '.join(_COLS)}) VALUES ({marks})",
                                batch)  # fmt: skip
                batch = []
        if batch:
            cur.executemany(f"INSERT INTO subscribers ({', '.join(_COLS)}) VALUES ({marks})", batch)


# ------------------------------------------------------------------------- the no-ledger child


async def _baseline(url: str, base_url: str, concurrency: int) -> int:
    """The same batches (same grouping, same per-recipient links), posted with nothing recorded;
    the audience is streamed exactly as the planner streams it."""
    from hrc_outreach.audience.links import recipient_params
    from hrc_outreach.deliver.planner import _Batcher, stream_audience
    from hrc_outreach.deliver.providers import provider_for
    from hrc_outreach.models import Batch, Recipient

    settings = Settings.model_validate({"store": {"url": url}, "delivery": {"provider": "brevo"}})
    store = Store(url)
    msgs = messages(KEY, LANGS11)
    env = {"HRC_BREVO_API_KEY": "bench", "HRC_BREVO_BASE_URL": base_url}
    provider = provider_for(settings, name="brevo", env=env)
    queue: asyncio.Queue[tuple[int, str, list[Any]] | None] = asyncio.Queue(concurrency * 2)
    ready: list[tuple[int, str, list[Any]]] = []
    sent = 0

    async def produce() -> None:
        dealer = _Batcher(msgs, "en", provider.max_recipients, lambda *b: ready.append(b))
        with store.session() as s:
            for member in stream_audience(s, settings):
                dealer.add(member)
                while ready:
                    await queue.put(ready.pop(0))
        dealer.close()
        for b in ready:
            await queue.put(b)
        for _ in range(concurrency):
            await queue.put(None)

    async def worker() -> None:
        nonlocal sent
        while (item := await queue.get()) is not None:
            seq, lang, members = item
            batch = Batch(
                id=seq, job_id=0, lang=lang, message=msgs[lang], idempotency_key=f"baseline-{seq}",
                recipients=tuple(
                    Recipient(subscriber_id=sid, email=email, name=name,
                              params=recipient_params(settings, subscriber_id=sid, email=email,
                                                      name=name, lang=lang))  # fmt: skip
                    for sid, email, name, _l in members
                ),
            )  # fmt: skip
            await provider.send(batch)
            sent += len(members)

    try:
        await asyncio.gather(produce(), *(worker() for _ in range(concurrency)))
    finally:
        await provider.aclose()
        store.dispose()
    return sent


def baseline_child(url: str, base_url: str, concurrency: int) -> None:
    from tests.support.send_driver import peak_rss_mb

    n = asyncio.run(_baseline(url, base_url, concurrency))
    print(f"sent={n} peak_rss_mb={peak_rss_mb():.0f}", flush=True)


# --------------------------------------------------------------------------------- measuring


def _peak(stderr: str) -> float:
    for line in stderr.splitlines():
        if line.startswith("peak_rss_mb="):
            return float(line.split("=", 1)[1])
    raise RuntimeError(f"no peak memory reported:\n{stderr[-2000:]}")


def measure(url: str, n: int, senders: int, tmp: Path, concurrency: int) -> dict[str, float]:
    if url.startswith("postgresql"):
        reset_postgres(url)
    store = Store(url)
    t = time.perf_counter()
    load_subscribers(store, n)
    add_edition(store, KEY)
    msgs = approved(store, KEY, messages(KEY, LANGS11), by="Bench Reviewer")
    write_draft(store, msgs)
    store.dispose()
    out = tmp / f"out-{n}-{senders}"
    setup = time.perf_counter() - t
    env = {**os.environ, "HRC_TOKEN_SECRET": SECRET, "HRC_BREVO_API_KEY": "bench",
           "PYTHONPATH": str(ROOT)}  # fmt: skip

    sim, base = start_process(tmp / f"sim-base-{n}-{senders}")
    try:
        t = time.perf_counter()
        r = subprocess.run([sys.executable, __file__, "--baseline-child", url, base,
                            str(concurrency * senders)], env=env, capture_output=True, text=True,
                           check=True)  # fmt: skip
        base_time = time.perf_counter() - t
    finally:
        stop(sim)
    base_peak = float(r.stdout.split("peak_rss_mb=")[1])
    base_got = received(tmp / f"sim-base-{n}-{senders}")

    sim, base = start_process(tmp / f"sim-ledger-{n}-{senders}")
    cmd = [sys.executable, str(ROOT / "tests/support/send_driver.py"), "--db", url, "--out",
           str(out), "--key", KEY, "--base-url", base, "--concurrency", str(concurrency),
           "--rate", "1000000"]  # fmt: skip
    try:
        t = time.perf_counter()
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(senders)]  # fmt: skip
        outs = [p.communicate() for p in procs]
        ledger_time = time.perf_counter() - t
    finally:
        stop(sim)
    for p, (_out, e) in zip(procs, outs, strict=True):
        if p.returncode != 0:
            raise RuntimeError(f"sender failed: {e[-3000:]}")
    states = [o.split()[0] for o, _ in outs]
    peaks = [_peak(e) for _, e in outs]
    got = received(tmp / f"sim-ledger-{n}-{senders}")
    once = (sum(got.values()) == n == len(got) and sum(base_got.values()) == n
            and "done" in states)  # fmt: skip
    return {"setup": setup, "base": base_time, "base_peak": base_peak, "ledger": ledger_time,
            "ledger_peak": max(peaks), "once": float(once)}  # fmt: skip


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--baseline-child":
        baseline_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--url", default=os.environ.get("HRC_BENCH_POSTGRES_URL"))
    a = p.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    results: list[tuple[str, int, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        engines = [("sqlite", 1)] + ([("postgresql", 2)] if a.url else [])
        for engine, senders in engines:
            for n in sizes:
                url = a.url if engine == "postgresql" else f"sqlite:///{tmp / f'store-{n}.db'}"
                assert url is not None
                r = measure(url, n, senders, tmp, a.concurrency)
                results.append((engine, senders, n, r))
                print(f"  measured {engine} x{senders} at {n:,}: {r}", flush=True)
    print()
    print(f"{'store':<11}{'senders':>8}{'recipients':>12}{'no ledger':>12}{'ledger':>10}"
          f"{'ratio':>7}{'peak (no ledger)':>18}{'peak (ledger)':>15}  once")  # fmt: skip
    ok = True
    for engine, senders, n, r in results:
        ratio = r["ledger"] / r["base"]
        good = ratio <= 2.0 and r["ledger_peak"] < 300 and r["once"] == 1.0
        ok = ok and good
        print(f"{engine:<11}{senders:>8}{n:>12,}{r['base']:>10.1f} s{r['ledger']:>8.1f} s"
              f"{ratio:>6.2f}x{r['base_peak']:>15.0f} MB{r['ledger_peak']:>12.0f} MB  "
              f"{'yes' if r['once'] else 'NO'}")  # fmt: skip
    print("targets: ledger within 2x of the no-ledger loop; each sender's peak under 300 MB at "
          "every size; every recipient received exactly once")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
