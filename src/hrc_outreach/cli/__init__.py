"""The command line: a thin layer over the library (it parses and prints, nothing more).

Each module below registers its commands on the apps in :mod:`hrc_outreach.cli.apps`.
"""

from __future__ import annotations

import importlib

from hrc_outreach.cli.apps import app

_COMMAND_MODULES = ("gather", "edition", "delivery", "subscribers", "translations", "orchestrate")

for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"hrc_outreach.cli.{_name}")
    except ModuleNotFoundError as exc:  # a module not written yet
        if exc.name != f"hrc_outreach.cli.{_name}":
            raise

__all__ = ["app"]
