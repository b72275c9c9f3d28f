"""A deployed monthly run waits for approval without a process, on a real ``prefect server``.

The test starts its own server (127.0.0.1, SQLite), deploys ``prefect.yaml``'s monthly deployment
with the venv's ``prefect deploy``, and runs a process worker. The run suspends while it waits
(its process exits); the worker is killed with SIGKILL and replaced; approving from a shell then
resumes the run on the new worker, which replays to the wait and sends: every confirmed
subscriber gets exactly one message (the outbox's .eml files are counted)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hrc_outreach.audience.importer import import_csv
from hrc_outreach.config import load_settings
from hrc_outreach.paths import PROJECT_ROOT, SUBSCRIBERS_DIR
from hrc_outreach.sources.gather import gather_sync
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import ApprovalRow, SubscriberRow
from tests.support.smtp_relay import free_port

pytestmark = [pytest.mark.flow, pytest.mark.slow]

EDITION = "2026-12"
BIN = Path(sys.executable).parent


def _until(cond: Callable[[], Any], what: str, timeout: float, procs: dict[str, Any]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.5)
    logs = {
        name: Path(p.args_log).read_text(errors="replace")[-3000:]
        for name, p in procs.items()
        if getattr(p, "args_log", None)
    }
    raise AssertionError(f"timed out waiting for {what}; logs: {json.dumps(logs, indent=1)}")


def _log_tail(path: Path, chars: int = 6000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.is_file() else f"({path} is absent)"


class _Proc(subprocess.Popen[bytes]):
    args_log: str


def _start(cmd: list[str], env: dict[str, str], log: Path) -> _Proc:
    out = log.open("wb")
    proc = _Proc(
        cmd, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.args_log = str(log)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A Prefect server, the store with gathered samples and the example subscribers, the env
    every worker and staff shell shares."""
    port = free_port()
    editions = tmp_path / "editions"
    shutil.copytree(PROJECT_ROOT / "editions", editions)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HRC_"))}
    env.update(
        {
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(tmp_path / "results"),
            "PREFECT_LOGGING_LEVEL": "INFO",
            "HRC_PROJECT_DIR": str(PROJECT_ROOT),
            "HRC_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
            "HRC_OUT_DIR": str(tmp_path / "out"),
            "HRC_DELIVERY__OUTBOX_DIR": str(tmp_path / "outbox"),
            "HRC_DELIVERY__PROVIDER": "outbox",
            "HRC_DELIVERY__SENDER_TASKS": "3",
            "HRC_NEWSLETTER__EDITIONS_DIR": str(editions),
            "HRC_TOKEN_SECRET": "suspended-run-secret-0123456789abcdef",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        }
    )
    procs: dict[str, Any] = {}
    server = _start(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        tmp_path / "server.log",
    )
    procs["server"] = server
    api = httpx.Client(base_url=env["PREFECT_API_URL"], timeout=30)

    def healthy() -> bool:
        try:
            return api.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _until(healthy, "the Prefect server", 180, procs)
        # the store as the monthly run finds it: gathered samples, the example subscribers
        saved = {k: os.environ.get(k) for k in env if k.startswith("HRC_")}
        os.environ.update({k: v for k, v in env.items() if k.startswith("HRC_")})
        try:
            settings = load_settings(PROJECT_ROOT / "outreach.toml")
            store = open_store(settings)
            with store.session() as s:
                import_csv(s, settings, SUBSCRIBERS_DIR / "example.csv", source="test")
            gather_sync(settings, store)
            with store.session() as s:
                confirmed = {
                    r.email
                    for r in s.scalars(
                        select(SubscriberRow).where(SubscriberRow.state == "confirmed")
                    )
                }
            store.dispose()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        yield {
            "env": env,
            "api": api,
            "procs": procs,
            "tmp": tmp_path,
            "confirmed": confirmed,
            "settings": settings,
        }
    finally:
        for proc in reversed(list(procs.values())):
            _stop(proc)
        api.close()


def _sh(env: dict[str, str], *cmd: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(cmd),
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _hrc(world: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return _sh(
        world["env"],
        str(BIN / "hrc-outreach"),
        "--config",
        str(PROJECT_ROOT / "outreach.toml"),
        *args,
    )


def _run_state(api: httpx.Client, run_id: str) -> dict[str, Any]:
    state: dict[str, Any] = api.get(f"/flow_runs/{run_id}").json()["state"] or {}
    return state


def _eml(world: dict[str, Any]) -> list[Path]:
    return sorted((world["tmp"] / "outbox").rglob("*.eml"))


def test_a_suspended_run_survives_its_worker_and_sends_exactly_once(world: dict[str, Any]) -> None:
    env, api, procs, tmp = world["env"], world["api"], world["procs"], world["tmp"]
    r = _sh(env, str(BIN / "prefect"), "work-pool", "create", "hrc-outreach", "--type", "process")
    assert r.returncode == 0, r.stdout + r.stderr
    r = _sh(env, str(BIN / "prefect"), "--no-prompt", "deploy", "--name", "monthly")
    assert r.returncode == 0, r.stdout + r.stderr
    dep = api.get("/deployments/name/monthly-edition/monthly").json()
    assert dep["pull_steps"][0]["prefect.deployments.steps.set_working_directory"][
        "directory"
    ] == str(PROJECT_ROOT), "the project path is fixed at deploy time"

    worker = [
        str(BIN / "prefect"),
        "worker",
        "start",
        "--pool",
        "hrc-outreach",
        "--type",
        "process",
    ]
    procs["worker-1"] = _start(worker, env, tmp / "worker-1.log")
    run = api.post(
        f"/deployments/{dep['id']}/create_flow_run",
        json={
            "parameters": {
                "edition": EDITION,
                "languages": ["en", "fr"],
                "gather": False,
                "config": str(PROJECT_ROOT / "outreach.toml"),
                # two languages drafted, to be quick: readers of the others get English
                "fallback_source": True,
            }
        },
    ).json()
    run_id = run["id"]

    def suspended() -> bool:
        state = _run_state(api, run_id)
        ended = state.get("type") in ("FAILED", "CRASHED", "COMPLETED", "CANCELLED")
        # why it ended, in the failure: the state's message and the worker's log
        assert not ended, (state.get("message"), _log_tail(tmp / "worker-1.log"))
        return state.get("type") == "PAUSED" and state.get("name") == "Suspended"

    _until(suspended, "the run to suspend for approval", 300, procs)
    r = _hrc(world, "edition", "approve", EDITION, "--show", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    shown = json.loads(r.stdout)
    assert shown["waiting_flow_run"] == run_id, "the store knows the waiting run by its id"
    assert _eml(world) == []

    # the worker dies hard while the run waits; another takes its place
    os.kill(procs["worker-1"].pid, signal.SIGKILL)
    procs["worker-1"].wait(timeout=20)
    procs["worker-2"] = _start(worker, env, tmp / "worker-2.log")

    r = _hrc(world, "edition", "approve", EDITION, "--by", "Ana", "--hashes", shown["hashes_arg"])
    assert r.returncode == 0, r.stdout + r.stderr
    said = " ".join(r.stdout.split())
    assert "handed to the waiting flow run" in said and "rescheduled" in said, said

    def ended() -> dict[str, Any] | None:
        state = _run_state(api, run_id)
        return (
            state if state.get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
        )

    final = _until(ended, "the resumed run to end", 300, procs)
    worker2_log = (tmp / "worker-2.log").read_text(errors="replace")
    assert final["type"] == "COMPLETED", (final.get("message"), _log_tail(tmp / "worker-2.log"))
    assert run_id in worker2_log, "the new worker ran the resumed run"

    sent = _eml(world)
    to = [
        message_from_bytes(p.read_bytes(), policy=policy.default)["To"]
        .addresses[0]
        .addr_spec.lower()
        for p in sent
    ]
    assert len(to) == len(set(to)), "nobody got the edition twice"
    assert set(to) == world["confirmed"], "every confirmed subscriber got it exactly once"
    store = open_store(world["settings"])
    with store.session() as s:
        rows = s.scalars(select(ApprovalRow).where(ApprovalRow.edition_key == EDITION)).all()
        decisions = [(row.decision, row.by, row.method) for row in rows]
    store.dispose()
    assert decisions == [("approved", "Ana", "flow")]
    # the sender tasks and the library's logs are in the run's logs (the UI shows them)
    logs = api.post(
        "/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}, "limit": 200}
    ).json()
    assert any(log["name"].startswith("hrc_outreach") for log in logs), sorted(
        {log["name"] for log in logs}
    )
    tasks = api.post("/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}}).json()
    senders = [t["name"] for t in tasks if "-sender-" in t["name"]]
    assert sorted(senders) == [f"send-{EDITION}-sender-{i}" for i in (1, 2, 3)], senders
