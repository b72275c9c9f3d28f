"""A draft on disk: ``out/editions/<key>/<lang>/`` holds email.html, email.txt, message.json, social.json.

What is written here is exactly what is approved and sent: :func:`read_rendered` gives back the same
:class:`RenderedMessage` (same content hash) that :func:`write_rendered` wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

from hrc_outreach.errors import RenderError
from hrc_outreach.models import LintFinding, RenderedMessage, SocialPost


def edition_dir(out_dir: Path, key: str) -> Path:
    return out_dir / "editions" / key


def write_rendered(msg: RenderedMessage, out_dir: Path) -> Path:
    """Write one language of an edition under ``out_dir/editions/<key>/<lang>/``; returns that folder."""
    d = edition_dir(out_dir, msg.edition_key) / msg.lang
    d.mkdir(parents=True, exist_ok=True)
    (d / "email.html").write_text(msg.html, encoding="utf-8")
    (d / "email.txt").write_text(msg.text, encoding="utf-8")
    meta = {
        "edition": msg.edition_key,
        "lang": msg.lang,
        "dir": msg.dir,
        "subject": msg.subject,
        "preheader": msg.preheader,
        "sha256": msg.content_hash(),
        "nonce": msg.nonce,
        "provenance": msg.provenance_counts,
        "lint": [f.model_dump(mode="json") for f in msg.lint],
    }
    (d / "message.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    posts = [p.model_dump(mode="json") for p in msg.social]
    (d / "social.json").write_text(json.dumps(posts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return d


def read_rendered(out_dir: Path, key: str) -> dict[str, RenderedMessage]:
    """Every language of a drafted edition, by language; RenderError when it was never drafted or
    a file was changed by hand (the stored sha256 no longer matches)."""
    root = edition_dir(out_dir, key)
    if not root.is_dir():
        raise RenderError(f"edition {key!r} has no draft in {root}; run `hrc-outreach edition draft --edition {key}`")
    out: dict[str, RenderedMessage] = {}
    for meta_path in sorted(root.glob("*/message.json")):
        d = meta_path.parent
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            msg = RenderedMessage(
                edition_key=meta["edition"],
                lang=meta["lang"],
                dir=meta.get("dir", "ltr"),
                subject=meta["subject"],
                preheader=meta.get("preheader", ""),
                html=(d / "email.html").read_text(encoding="utf-8"),
                text=(d / "email.txt").read_text(encoding="utf-8"),
                social=tuple(
                    SocialPost.model_validate(p)
                    for p in json.loads((d / "social.json").read_text(encoding="utf-8"))
                ),
                lint=tuple(LintFinding.model_validate(f) for f in meta.get("lint", [])),
                provenance_counts=meta.get("provenance", {}),
                nonce=meta.get("nonce", ""),
            )
        except (OSError, KeyError, ValueError) as exc:
            raise RenderError(f"draft {d} is incomplete or unreadable: {exc}") from exc
        if msg.content_hash() != meta.get("sha256"):
            raise RenderError(
                f"draft {d} was changed after rendering (sha256 differs); draft the edition again"
            )
        out[msg.lang] = msg
    if not out:
        raise RenderError(f"edition {key!r} has no rendered language in {root}")
    return out
