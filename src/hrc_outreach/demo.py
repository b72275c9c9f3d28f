"""``make run``: the monthly edition end to end on the bundled samples, with the embedded defaults.

The flow runs through the flows' runner (``python -m flows.run monthly``) in the foreground: no
deployment, so it would wait in its process; here it approves itself. Prefect's local server, the
SQLite store, the outbox provider, the example subscribers, every
configured language; approval given automatically and recorded as "demo auto-approval" (refused
when a real provider is configured). Ends by printing where everything is.

    python -m hrc_outreach.demo [--edition KEY]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hrc_outreach.paths import PROJECT_ROOT


def _quiet_prefect() -> None:
    # No telemetry (no network here) and no heartbeat wait per run; set before Prefect is imported.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the temporary server's start is ~10 s on an idle 2-core machine; give a busy one room
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hrc_outreach.demo", description=__doc__)
    parser.add_argument("--edition", help="edition key, e.g. 2026-12 (default: the next one)")
    parser.add_argument(
        "--config", default=os.environ.get("HRC_CONFIG") or str(PROJECT_ROOT / "outreach.toml")
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    _quiet_prefect()

    from hrc_outreach.audience.importer import import_csv
    from hrc_outreach.config import load_settings
    from hrc_outreach.errors import OutreachError
    from hrc_outreach.paths import SUBSCRIBERS_DIR
    from hrc_outreach.store import open_store

    try:
        settings = load_settings(args.config)
    except OutreachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if settings.delivery.provider != "outbox":
        print(
            f"error: the demo approves automatically, which is only allowed with the outbox provider "
            f"({settings.delivery.provider!r} is configured). Use `hrc-outreach run monthly` and "
            "approve as a person.",
            file=sys.stderr,
        )
        return 1

    store = open_store(settings)
    with store.session() as session:
        result = import_csv(session, settings, SUBSCRIBERS_DIR / "example.csv", source="demo")
    store.dispose()
    print(
        f"example subscribers: {result.imported} imported, {result.updated} updated, "
        f"{result.unchanged} unchanged, {len(result.rejected)} rejected"
    )

    outcome = _run_monthly(args.edition, str(settings.config_path or args.config))
    if outcome is None:
        return 1

    out = settings.resolve(settings.out_dir)
    outbox = settings.resolve(settings.delivery.outbox_dir)
    messages = sorted(outbox.rglob("*.eml")) if outbox.is_dir() else []
    print()
    print(f"edition {outcome['edition']}: {outcome['status']}")
    totals = outcome.get("totals") or {}
    if totals:
        print(
            f"  recipients: {totals.get('planned', 0)}, accepted: {totals.get('accepted', 0)}, "
            f"failed: {totals.get('failed', 0)}"
        )
    print(f"  previews: {_rel(Path(outcome.get('previews', out / 'editions')))}")
    print(f"  archive:  {_rel(out / 'archive' / 'index.html')}")
    print(f"  outbox:   {_rel(outbox)} ({len(messages)} messages)")
    print(f"  done in {time.monotonic() - started:.1f} s")
    if outcome.get("status") == "refused":
        print(f"  {outcome.get('message', '')}")
        # the edition went out in an earlier run: the paths above are still where it is
        return 0 if "was sent" in str(outcome.get("message", "")) else 1
    return 0 if outcome.get("sent") else 1


def _run_monthly(edition: str | None, config: str) -> dict[str, Any] | None:
    """The monthly flow, auto-approved, through the flows' runner (``python -m flows.run``: the
    library never imports ``flows/``); its result, or None when it did not complete."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "flows.run",
            "monthly",
            "--auto-approve",
            "--config",
            config,
            "--result-json",
            str(result),
            *(["--edition", edition] if edition else []),
        ]
        code = subprocess.call(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
        if not result.is_file():
            print(
                f"error: the monthly edition did not complete (exit status {code}); the flow "
                "logged the details above",
                file=sys.stderr,
            )
            return None
        data: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
        return data


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


if __name__ == "__main__":
    raise SystemExit(main())
