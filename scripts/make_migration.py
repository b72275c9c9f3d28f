"""Regenerate the initial migration from the models (the schema has not been released yet).

Usage: python scripts/make_migration.py   (``make migration``)
Once a release has shipped, new migrations are added with a message instead of regenerating 0001.
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from hrc_outreach.store.db import MIGRATIONS

versions = MIGRATIONS / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    engine = create_engine(f"sqlite:///{tmp}/empty.db")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
print("wrote", *sorted(p.name for p in versions.glob("0001_*.py")), file=sys.stderr)
