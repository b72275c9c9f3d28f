"""Rebuild src/hrc_outreach/render/data/caniemail.json from the caniemail corpus.

Usage: .venv/bin/python scripts/build_caniemail.py [CANIEMAIL_DIR]
(default: ../shared/corpora/caniemail). The product reads only the JSON; commit it after a rebuild.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hrc_outreach.render.caniemail import CLIENTS, DATA_PATH, extract

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "corpora" / "caniemail"


def main(argv: list[str]) -> int:
    corpus = Path(argv[1]) if len(argv) > 1 else DEFAULT
    features = corpus / "_features"
    if not features.is_dir():
        print(
            f"{features} does not exist: pass the caniemail folder as the first argument",
            file=sys.stderr,
        )
        return 1
    source = (
        (corpus / "SOURCE.txt").read_text(encoding="utf-8").strip()
        if (corpus / "SOURCE.txt").is_file()
        else "hteumeuleu/caniemail"
    )
    licence = (corpus / "LICENSE").read_text(encoding="utf-8").splitlines()
    data = {
        "_attribution": {
            "source": source,
            "url": "https://www.caniemail.com",
            "license": "MIT",
            "copyright": next((line for line in licence if "Copyright" in line), ""),
            "note": "support of the newest tested version per client platform: y n a(partial) u",
        },
        "clients": CLIENTS,
        **extract(features),
    }
    DATA_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATA_PATH.write_text(
        json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )
    counts = ", ".join(
        f"{k}: {len(v)}" for k, v in data.items() if not k.startswith("_") and k != "clients"
    )
    print(f"wrote {DATA_PATH} ({DATA_PATH.stat().st_size} bytes; {counts})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
