"""A subscriber's language: the shared normaliser lives in :mod:`hrc_outreach.languages`."""

from __future__ import annotations

from hrc_outreach.languages import normalise_language

__all__ = ["normalise_language"]
