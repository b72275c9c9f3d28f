"""Start a flow in the foreground: what ``hrc-outreach run monthly|preview``, ``hrc-outreach deploy``
and ``make run`` start as ``python -m flows.run ...`` (the library never imports ``flows/``).

    python -m flows.run monthly [--edition KEY] [--languages en,fr] [--no-gather] [--auto-approve]
                                [--config FILE] [--result-json FILE]
    python -m flows.run preview [--edition KEY] [--config FILE]
    python -m flows.run deploy [--config FILE]

A foreground monthly run has no deployment, so it waits for approval in this process (Prefect's
``pause_flow_run``); deployed runs suspend instead (see ``flows/monthly.py``). Exit status: 0 sent
(or previewed), 1 anything else; the last line says how the run ended.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# Before Prefect is imported: library logs reach the run's logs (and the UI), no telemetry.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "hrc_outreach")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def run_monthly(**params: Any) -> tuple[str, str, dict[str, Any]]:
    """Run the monthly flow here; (final state's name, its message, the run's result)."""
    from prefect.client.schemas.objects import State

    from flows.monthly import monthly_edition

    state: State[Any] = monthly_edition(**params, return_state=True)  # type: ignore[assignment]
    try:
        result = state.result(raise_on_failure=False)
    except Exception as exc:  # noqa: BLE001 - a result that cannot be read is reported as such
        result = exc
    data = (
        result
        if isinstance(result, dict)
        else {"status": "failed", "sent": False, "message": str(result)}
    )
    return state.name or state.type.value, state.message or "", data


def _write(path: str | None, data: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(data, default=str), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.run", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    monthly = sub.add_parser("monthly")
    monthly.add_argument("--edition")
    monthly.add_argument("--languages")
    monthly.add_argument("--no-gather", action="store_true")
    monthly.add_argument("--auto-approve", action="store_true")
    monthly.add_argument("--fallback-source", action="store_true")
    preview = sub.add_parser("preview")
    preview.add_argument("--edition")
    sub.add_parser("deploy")
    for p in (monthly, preview, sub.choices["deploy"]):
        p.add_argument("--config", default=os.environ.get("HRC_CONFIG"))
        p.add_argument("--result-json", help="write the run's result here (JSON)")
    args = parser.parse_args(argv)

    if args.what == "deploy":
        from flows.deploy import serve_all

        serve_all(args.config)
        return 0
    if args.what == "preview":
        from flows.preview import preview as preview_flow

        result = preview_flow(edition=args.edition, config=args.config)
        _write(args.result_json, result)
        print(f"previews of {result['key']} in {result['out_dir']}")
        return 0
    langs = [x.strip() for x in args.languages.split(",")] if args.languages else None
    state, message, data = run_monthly(
        edition=args.edition,
        languages=langs,
        config=args.config,
        auto_approve=args.auto_approve,
        gather=not args.no_gather,
        fallback_source=args.fallback_source,
    )
    _write(args.result_json, {**data, "state": state, "state_message": message})
    print(
        f"edition {data.get('edition', args.edition or '?')}: {data.get('status', state)}"
        + (f" ({message})" if message and not data.get("sent") else "")
    )
    return 0 if data.get("sent") else 1


if __name__ == "__main__":
    sys.exit(main())
