"""``make run``: the monthly edition end to end on the bundled samples, with the embedded defaults.

The flow runs through the flows' runner (``python -m flows.run monthly``) in the foreground: no
deployment, so it would wait in its process; here it approves itself. Prefect's local server, the
outbox provider, the example subscribers, every configured language; approval given automatically
and recorded as "demo auto-approval".

The demo has its own store and output folder (``out/demo``, or ``--demo-dir``/``HRC_DEMO_DIR``):
the configuration's sources, languages and brand are used, but never its store, out folder,
outbox, publish location or provider, so a demo never marks a real edition as sent. Ends by
printing where everything is.

    python -m hrc_outreach.demo [--edition KEY] [--config FILE] [--demo-dir DIR]
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
from typing import TYPE_CHECKING, Any

from hrc_outreach.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from hrc_outreach.config import Settings

DEFAULT_DEMO_DIR = PROJECT_ROOT / "out" / "demo"


def _quiet_prefect() -> None:
    # No telemetry (no network here) and no heartbeat wait per run; set before Prefect is imported.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the temporary server's start is ~10 s on an idle 2-core machine; give a busy one room
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def demo_environment(demo_dir: Path) -> dict[str, str]:
    """The settings the demo overrides (as ``HRC_*`` variables, which win over the file): its own
    store, out folder, outbox and published files under ``demo_dir``, and the outbox provider.
    Both spellings of a setting that has a short alias are set, so neither of the caller's wins."""
    d = demo_dir.resolve()
    return {
        "HRC_DATABASE_URL": f"sqlite:///{d / 'outreach.db'}",
        "HRC_STORE__URL": f"sqlite:///{d / 'outreach.db'}",
        "HRC_OUT_DIR": str(d),
        "HRC_DELIVERY__OUTBOX_DIR": str(d / "outbox"),
        "HRC_PROVIDER": "outbox",
        "HRC_DELIVERY__PROVIDER": "outbox",
        "HRC_PUBLISH__URL": "",  # published files go to the out folder: the demo's
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hrc_outreach.demo", description=__doc__)
    parser.add_argument("--edition", help="edition key, e.g. 2026-12 (default: the next one)")
    parser.add_argument(
        "--config", default=os.environ.get("HRC_CONFIG") or str(PROJECT_ROOT / "outreach.toml")
    )
    parser.add_argument(
        "--demo-dir",
        type=Path,
        default=Path(os.environ.get("HRC_DEMO_DIR") or DEFAULT_DEMO_DIR),
        help="the demo's own store and output folder (default: out/demo; HRC_DEMO_DIR)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    started = time.monotonic()
    _quiet_prefect()
    env = {**os.environ, **demo_environment(args.demo_dir)}
    settings = _settings(args.config, env)
    if settings is None:
        return 1
    args.demo_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"demo store and output folder: {_rel(args.demo_dir)} (the configured ones are untouched)"
    )
    _import_examples(settings)
    outcome = _run_monthly(args.edition, str(settings.config_path or args.config), env)
    if outcome is None:
        return 1
    return _report(outcome, settings, started)


def _settings(config: str, env: dict[str, str]) -> Settings | None:
    """The configuration with the demo's own store and folders, or None (the error printed)."""
    from hrc_outreach.config import load_settings
    from hrc_outreach.errors import OutreachError

    try:
        return load_settings(config, env=env)
    except OutreachError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _import_examples(settings: Settings) -> None:
    """The example subscribers, in the demo's store."""
    from hrc_outreach.audience.importer import import_csv
    from hrc_outreach.paths import SUBSCRIBERS_DIR
    from hrc_outreach.store import open_store

    store = open_store(settings)
    with store.session() as session:
        result = import_csv(session, settings, SUBSCRIBERS_DIR / "example.csv", source="demo")
    store.dispose()
    print(
        f"example subscribers: {result.imported} imported, {result.updated} updated, "
        f"{result.unchanged} unchanged, {len(result.rejected)} rejected"
    )


def _report(outcome: dict[str, Any], settings: Settings, started: float) -> int:
    """Where everything is, and the exit status: 0 sent (now or by an earlier demo run)."""
    out = settings.resolve(settings.out_dir)
    outbox = settings.resolve(settings.delivery.outbox_dir)
    messages = sorted(outbox.rglob("*.eml")) if outbox.is_dir() else []
    print()
    status = outcome.get("status", "failed")
    if status == "refused" and "was sent" in str(outcome.get("message", "")):
        status = "already sent by an earlier demo run"
    print(f"edition {outcome.get('edition', '?')}: {status}")
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
    if outcome.get("status") in ("refused", "failed"):
        print(f"  {outcome.get('message', '')}")
        if "was sent" in str(outcome.get("message", "")):
            # sent by an earlier demo run: the paths above are still where it is
            print(f"  (remove {_rel(out)} to run the demo afresh)")
            return 0
        return 1
    return 0 if outcome.get("sent") else 1


def _run_monthly(edition: str | None, config: str, env: dict[str, str]) -> dict[str, Any] | None:
    """The monthly flow, auto-approved, through the flows' runner (``python -m flows.run``: the
    library never imports ``flows/``) with the demo's ``env``; its result, or None when it did
    not complete."""
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
        code = subprocess.call(cmd, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL)
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
