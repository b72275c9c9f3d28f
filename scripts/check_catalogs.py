#!/usr/bin/env python3
"""Check the template chrome catalogs: exit 1 on a missing, fuzzy or broken string in any
configured language, or a template string that messages.pot lacks (see
hrc_outreach.i18n.catalog_check)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hrc_outreach.i18n.catalog_check import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--root", str(ROOT), *sys.argv[1:]]))
