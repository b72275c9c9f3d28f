"""Public subscriber pages (filled in below)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from hrc_outreach.config import Settings

router = APIRouter()


def mount_archive(app: FastAPI, settings: Settings) -> None:
    """Serve the published archive (``out/archive/``) under ``/archive/``."""
