"""Helpers for the send ledger's tests: settings, the token secret, a Brevo provider on the simulator,
sending a job (with any provider, or on the simulator), and a provider without idempotency keys.

In a test module, import the autouse fixture with the helpers it needs::

    from tests.support.ledger_helpers import KEY, make_settings, send, token_secret  # noqa: F401
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.runner import arun_job
from hrc_outreach.models import Batch, SendResult
from hrc_outreach.store import Store
from tests.support.brevo_sim import BrevoSim

KEY = "2026-12"
SECRET = "test-token-secret-0123456789"


def make_settings(tmp_path: Path, **delivery: Any) -> Settings:
    return Settings.model_validate(
        {
            "out_dir": str(tmp_path / "out"),
            "store": {"url": f"sqlite:///{tmp_path / 'store.db'}"},
            "delivery": {"provider": "brevo", "retries": 8, "backoff_seconds": 0.05, **delivery},
        }
    )


@pytest.fixture(autouse=True)
def token_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-recipient links need HRC_TOKEN_SECRET (autouse in the modules that import it)."""
    monkeypatch.setenv("HRC_TOKEN_SECRET", SECRET)


def brevo(settings: Settings, sim: BrevoSim) -> Any:
    return provider_for(settings, name="brevo", env=_brevo_env(sim))


def _brevo_env(sim: BrevoSim) -> dict[str, str]:
    return {"HRC_BREVO_API_KEY": "sim-key", "HRC_BREVO_BASE_URL": sim.base_url}


def send_job(
    store: Store,
    settings: Settings,
    job_id: int,
    provider: str,
    env: dict[str, str] | None = None,
    *,
    within: float | None = None,
    **kw: Any,
) -> Any:
    """Run job ``job_id`` with ``provider`` (its secrets from ``env``) until it settles, within
    ``within`` seconds if given; ``kw`` goes to ``arun_job`` (no throttle, concurrency 2)."""
    kw.setdefault("rate_per_second", 1000)
    kw.setdefault("concurrency", 2)

    async def go() -> Any:
        prov = provider_for(settings, name=provider, env=env or {})
        try:
            job = arun_job(store, settings, job_id, prov, **kw)
            return await (asyncio.wait_for(job, within) if within else job)
        finally:
            await prov.aclose()

    return asyncio.run(go())


def send(store: Store, settings: Settings, job_id: int, sim: BrevoSim, **kw: Any) -> Any:
    """Run the job on the Brevo simulator (concurrency 4)."""
    kw.setdefault("concurrency", 4)
    return send_job(store, settings, job_id, "brevo", _brevo_env(sim), **kw)


class NoKeyProvider:
    """A provider without idempotency keys (like SendGrid), recording what it was given."""

    name: ClassVar[str] = "sendgrid"
    max_recipients: ClassVar[int] = 5
    idempotent: ClassVar[bool] = False
    idempotency_window_seconds: ClassVar[float] = 0.0

    def __init__(self) -> None:
        self.sent: list[Batch] = []

    async def send(self, batch: Batch) -> SendResult:
        self.sent.append(batch)
        return SendResult(accepted=True, detail="ok")

    async def suppressions(self, since: Any) -> list[Any]:
        return []

    async def lookup(self, batch: Batch) -> dict[int, str] | None:
        return None

    async def aclose(self) -> None:
        pass
