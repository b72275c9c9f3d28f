#!/usr/bin/env python3
"""Check the template chrome catalogs: exit 1 on a missing, fuzzy or broken string in any
configured language, or a template string that messages.pot lacks (see
hrc_outreach.i18n.catalog_check)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hrc_outreach.i18n.catalog_check import main  # noqa: E402


def campaigns_complete() -> int:
    """Campaign languages may exceed i18n.languages: their catalogs must hold what campaign
    templates use (hrc_outreach.campaigns.catalogs)."""
    from hrc_outreach.campaigns.catalogs import campaign_languages, check_campaign_catalogs

    langs = campaign_languages(ROOT / "campaigns")
    problems = check_campaign_catalogs(langs)
    for p in problems:
        print(f"catalogs (campaigns): {p}", file=sys.stderr)
    if not problems:
        print(f"catalogs: campaign strings complete in {', '.join(langs) or 'no campaign'}")
    return 1 if problems else 0


if __name__ == "__main__":
    code = main(["--root", str(ROOT), *sys.argv[1:]])
    sys.exit(campaigns_complete() or code)
