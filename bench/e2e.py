"""The main job's wall time after installation: what `make run` runs, in a fresh folder.

    .venv/bin/python bench/e2e.py

Runs ``python -m hrc_outreach.demo`` (the monthly edition on the bundled samples: Prefect's local
server, a new SQLite store, the outbox provider, every configured language, demo auto-approval) with
its store, out folder and outbox (``HRC_DEMO_DIR``) in a temporary folder, and prints the wall time, Prefect's start
included. Target: under 60 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="hrc-e2e-") as tmp:
        env = {
            **os.environ,
            "HRC_DEMO_DIR": tmp,  # the demo's own store, out folder and outbox (tmp/outbox)
            "HRC_CONFIG": str(ROOT / "outreach.toml"),
        }
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "hrc_outreach.demo"], cwd=tmp, env=env,
            capture_output=True, text=True, timeout=900,
        )
        wall = time.perf_counter() - started
        messages = len(list(Path(tmp, "outbox").rglob("*.eml")))
    print(proc.stdout.strip())
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        print(f"make run's job FAILED (exit {proc.returncode}) after {wall:.1f} s")
        return 1
    load = os.getloadavg()[0]
    verdict = "met" if wall < TARGET_SECONDS else "NOT met"
    print(f"\nend to end: {wall:.1f} s wall, {messages} messages in the outbox, load average "
          f"{load:.1f} on {os.cpu_count()} CPUs; target < {TARGET_SECONDS:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
