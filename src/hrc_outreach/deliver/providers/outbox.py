"""The default provider: each message becomes an ``.eml`` file in ``[delivery] outbox_dir``.

One file per recipient, placeholders filled locally, written atomically (temporary file + rename).
The file name comes from the job, language, batch and subscriber, so a retried batch overwrites its
files instead of adding copies: ``<outbox>/<edition>/job3-fr-batch12-sub4711.eml``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import httpx

from hrc_outreach.config import Settings, Table
from hrc_outreach.deliver.base import SuppressionEvent
from hrc_outreach.deliver.mime import as_bytes, build_message, message_id
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import Batch, Recipient, SendResult


def eml_name(batch: Batch, recipient: Recipient) -> str:
    """The file name of one recipient's message in a batch (stable across retries)."""
    prefix = "test-" if batch.test else ""
    return (
        f"{prefix}job{batch.job_id}-{batch.lang}-batch{batch.id}-sub{recipient.subscriber_id}.eml"
    )


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class OutboxSettings(Table):
    """``[delivery.outbox]``: nothing yet (the folder is ``[delivery] outbox_dir``)."""


class OutboxProvider:
    """Writes every message as an RFC 5322 ``.eml`` file; nothing leaves the machine."""

    name: ClassVar[str] = "outbox"
    settings_model: ClassVar[type[Table]] = OutboxSettings
    max_recipients: ClassVar[int] = 1000
    idempotent: ClassVar[bool] = True  # a resend overwrites the same files
    idempotency_window_seconds: ClassVar[float] = float("inf")

    async def lookup(self, batch: Batch) -> dict[int, str] | None:
        return None

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        *,
        directory: Path | None = None,
    ) -> None:
        self.settings = settings
        self.options = settings.delivery.provider_settings(self.name, OutboxSettings)
        self.directory = directory or settings.resolve(settings.delivery.outbox_dir)

    def folder(self, batch: Batch) -> Path:
        return self.directory / batch.message.edition_key

    def _write(self, batch: Batch) -> dict[int, str]:
        ids: dict[int, str] = {}
        folder = self.folder(batch)
        for r in batch.recipients:
            mid = message_id(batch.idempotency_key, r.subscriber_id, self.settings)
            m = build_message(
                batch.message, r, self.settings, headers=batch.headers, test=batch.test, msgid=mid
            )
            write_atomic(folder / eml_name(batch, r), as_bytes(m))
            ids[r.subscriber_id] = mid
        return ids

    async def send(self, batch: Batch) -> SendResult:
        try:
            ids = await asyncio.to_thread(self._write, batch)
        except OSError as exc:
            raise ProviderError(
                f"outbox: cannot write to {self.folder(batch)}: {exc}; check [delivery] outbox_dir",
                provider=self.name,
            ) from exc
        return SendResult(
            accepted=True, message_ids=ids, detail=f"{len(ids)} file(s) in {self.folder(batch)}"
        )

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        return []  # nobody receives these files, so nobody bounces or complains

    async def aclose(self) -> None:
        return None
