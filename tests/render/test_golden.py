"""Golden files: the fixed edition renders to exactly the committed files.

Regenerate with ``make golden`` (HRC_REGENERATE_GOLDEN=1) and review the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hrc_outreach.config import load_settings
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.render.draft import render_message

from .conftest import fixed_edition

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
REGENERATE = bool(os.environ.get("HRC_REGENERATE_GOLDEN"))


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_golden(lang: str) -> None:
    settings = load_settings(env={})
    loc = localize_all(fixed_edition(), [lang], settings=settings)[lang]
    msg, _ = render_message(loc, settings)
    files = {
        "email.html": msg.html,
        "email.txt": msg.text,
        "social.json": json.dumps([p.model_dump(mode="json") for p in msg.social],
                                  ensure_ascii=False, indent=2) + "\n",
    }
    case = GOLDEN / f"fixed-{lang}"
    if REGENERATE:
        case.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (case / name).write_text(content, encoding="utf-8")
    for name, content in files.items():
        path = case / name
        assert path.is_file(), f"{path} missing: run `make golden` and commit it"
        assert content == path.read_text(encoding="utf-8"), (
            f"{path} differs from the render: review, then `make golden`"
        )
