"""Crash test: a sender of 20,000 recipients killed with SIGKILL at random moments, then resumed.

The Brevo-speaking server runs as its own process and counts, durably, every recipient it accepted;
it waits before answering, so kills land mid-request (accepted by the server, never recorded by the
sender). After the last, uninterrupted run the server must hold every recipient exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hrc_outreach.store import Store
from tests.conftest import ROOT
from tests.support.brevo_sim import received, request_log, start_process
from tests.support.ledger_data import add_subscribers, approved, email_of, messages, write_draft

N = 20_000
KILLS = 6
KEY = "2026-12"


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_one_and_sends_no_one_twice(
    store_url: str, tmp_path: Path
) -> None:
    db = store_url
    # On PostgreSQL two sender processes work the job side by side, and both are killed.
    senders = 2 if db.startswith("postgresql") else 1
    store = Store(db)
    add_subscribers(store, N, ("en", "fr", "de", "ar"))
    msgs = approved(store, KEY, messages(KEY, ("en", "fr", "de", "ar")))
    write_draft(store, msgs)
    store.dispose()
    sim, base_url = start_process(tmp_path / "sim", delay_before=0.03, delay_after=0.12)
    env = {
        **os.environ,
        "HRC_TOKEN_SECRET": "crash-test-secret-0123456789",
        "HRC_BREVO_API_KEY": "sim-key",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [
        sys.executable,
        str(ROOT / "tests/support/send_driver.py"),
        "--db",
        db,
        "--out",
        str(tmp_path / "out"),
        "--key",
        KEY,
        "--base-url",
        base_url,
        "--max-recipients",
        "500",
        "--concurrency",
        "4",
        "--lease",
        "1.0",  # a killed sender's claims are recovered a second after it stopped renewing them
    ]
    rng = random.Random(20261222)
    started = time.monotonic()
    kills: list[float] = []
    try:
        for _ in range(KILLS):
            drivers = [
                subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
                for _ in range(senders)
            ]
            # Kill while they send: once the server accepted one more batch, at a random moment
            # within the next 0.3 s (the server holds each answer 0.12 s, so most kills land
            # between "accepted by the server" and "recorded by the sender").
            seen = sum(request_log(tmp_path / "sim").values()) if kills else 0
            while (
                all(d.poll() is None for d in drivers)
                and sum(request_log(tmp_path / "sim").values()) <= seen
            ):
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            finished = [d for d in drivers if d.poll() is not None]
            for d in drivers:
                d.send_signal(signal.SIGKILL)
                d.wait()
            if finished:  # a sender finished the job: nothing left to interrupt
                break
            kills.append(round(time.monotonic() - started, 2))
        final = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr[-3000:]
    finally:
        sim.send_signal(signal.SIGKILL)
        sim.wait()
    elapsed = time.monotonic() - started
    got = received(tmp_path / "sim")
    log = request_log(tmp_path / "sim")
    lost = [email_of(i) for i in range(N) if got[email_of(i)] == 0]
    dupes = {e: n for e, n in got.items() if n > 1}
    print(
        f"\ncrash test ({store.dialect}, {senders} sender(s)): {len(kills)} SIGKILLs at {kills} s since start; final run: {final.stdout.strip()!r}; "
        f"server accepted {sum(got.values())} recipient(s) for {N} subscribers; lost {len(lost)}, "
        f"duplicates {len(dupes)}; requests {dict(log)} (208 = a repeated idempotency key: a batch "
        f"the killed sender never heard back about); {elapsed:.1f} s"
    )
    assert len(kills) >= 5, "the sender finished before it could be killed 5 times"
    assert log[208] >= 1, "no kill landed mid-request: raise the server's delay"
    assert sum(got.values()) == N
    assert not lost and not dupes
    assert got == Counter({email_of(i): 1 for i in range(N)})
    assert final.stdout.split()[:2] == ["done", str(N)]


def test_a_sender_waiting_out_a_long_retry_after_keeps_its_batch_until_it_dies(
    store_url: str, tmp_path: Path
) -> None:
    """Sender A waits out a 10 s Retry-After on its batch (lease 1.5 s, renewed meanwhile); sender B
    works the rest and leaves A's batch alone, ending with "finished by A"; A is SIGKILLed; once its
    lease runs out, a third run recovers the batch. Everyone exactly once."""
    n = 60
    store = Store(store_url)
    add_subscribers(store, n, ("en",))
    msgs = approved(store, KEY, messages(KEY, ("en",)))
    write_draft(store, msgs)
    store.dispose()
    sim, base_url = start_process(
        tmp_path / "sim", extra=("--first-429-email", email_of(0), "--retry-after", "10")
    )
    env = {
        **os.environ,
        "HRC_TOKEN_SECRET": "lease-test-secret-0123456789",
        "HRC_BREVO_API_KEY": "sim-key",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [
        sys.executable, str(ROOT / "tests/support/send_driver.py"), "--db", store_url,
        "--out", str(tmp_path / "out"), "--key", KEY, "--base-url", base_url,
        "--max-recipients", "10", "--concurrency", "1", "--lease", "1.5",
    ]  # fmt: skip
    try:
        a = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while request_log(tmp_path / "sim")[429] == 0:
            assert a.poll() is None and time.monotonic() < deadline, "A never got its 429"
            time.sleep(0.05)
        b = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert b.returncode == 0, b.stderr[-3000:]
        state, accepted, *holders = b.stdout.split()
        assert a.poll() is None, "A was expected to be still waiting out its Retry-After"
        assert (state, accepted) == ("sending", str(n - 10)) and len(holders) == 1
        got = received(tmp_path / "sim")
        assert all(got[email_of(i)] == 0 for i in range(10))  # B did not take A's batch
        a.send_signal(signal.SIGKILL)
        a.wait()
        time.sleep(2.0)  # A's lease runs out
        c = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert c.returncode == 0, c.stderr[-3000:]
        assert c.stdout.split()[:1] == ["done"]
    finally:
        sim.send_signal(signal.SIGKILL)
        sim.wait()
    assert received(tmp_path / "sim") == Counter({email_of(i): 1 for i in range(n)})
