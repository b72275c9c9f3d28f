"""The command line: a thin layer over the library (it parses and prints, nothing more).

Each module below registers its commands on the apps in :mod:`hrc_outreach.cli.apps`.
"""

from __future__ import annotations

# Each import registers its commands; a module that fails to import must fail the CLI loudly.
from hrc_outreach.cli import (  # noqa: F401
    campaign,
    delivery,
    edition,
    gather,
    orchestrate,
    social,
    staff,
    subscribers,
    translations,
    web,
)
from hrc_outreach.cli.apps import app

__all__ = ["app"]
