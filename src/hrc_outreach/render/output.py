"""Drafts: the rendered messages of an edition, one per language.

The drafts that count live in the store (:func:`save_drafts`, :func:`load_drafts`): what approval
hashes and what sending reads, the same on every machine that opens the store.

A copy for people goes on disk: ``out/editions/<key>/<lang>/`` holds email.html, email.txt,
message.json, social.json (:func:`write_rendered`); :func:`read_rendered` reads such a copy back
with the same content hash, but nothing that approves or sends relies on it.

>>> save_drafts(store, result.messages.values())        # doctest: +SKIP
>>> load_drafts(store, "2026-12")["fr"].content_hash()    # doctest: +SKIP
'3f1c…'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select

from hrc_outreach.errors import RenderError
from hrc_outreach.models import LintFinding, RenderedMessage, SocialPost
from hrc_outreach.store.db import Store
from hrc_outreach.store.tables import DraftRow, utcnow


def _meta(msg: RenderedMessage) -> dict[str, object]:
    """Everything of ``msg`` but its html and text, as JSON values."""
    return msg.model_dump(mode="json", exclude={"html", "text", "edition_key", "lang"})


def save_drafts(store: Store, messages: Iterable[RenderedMessage]) -> None:
    """Store ``messages`` as the drafts of their (edition, language), replacing earlier drafts of
    those languages (other languages of the edition stay), in one transaction."""
    with store.session() as s:
        for msg in messages:
            row = s.get(DraftRow, (msg.edition_key, msg.lang))
            if row is None:
                row = DraftRow(edition_key=msg.edition_key, lang=msg.lang)
                s.add(row)
            row.sha256 = msg.content_hash()
            row.html, row.text, row.meta = msg.html, msg.text, _meta(msg)
            row.drafted_at = utcnow()


def _message(row: DraftRow) -> RenderedMessage:
    where = f"draft of edition {row.edition_key!r} in {row.lang!r} (store table drafts)"
    try:
        msg = RenderedMessage.model_validate(
            {
                **row.meta,
                "edition_key": row.edition_key,
                "lang": row.lang,
                "html": row.html,
                "text": row.text,
            }
        )
    except ValidationError as exc:
        raise RenderError(f"{where} is unreadable: {exc}; draft the edition again") from exc
    if msg.content_hash() != row.sha256:
        raise RenderError(
            f"{where} was changed after rendering (sha256 differs); draft the edition again"
        )
    return msg


def load_drafts(
    store: Store, key: str, languages: Sequence[str] | None = None
) -> dict[str, RenderedMessage]:
    """Every language of edition ``key``'s drafts in the store (or only ``languages``), by language.

    RenderError when the edition was never drafted, a requested language has no draft, or a draft
    no longer hashes to what was rendered.
    """
    with store.session() as s:
        query = select(DraftRow).where(DraftRow.edition_key == key).order_by(DraftRow.lang)
        out = {row.lang: _message(row) for row in s.scalars(query)}
    if not out:
        raise RenderError(
            f"edition {key!r} has no draft in the store; run "
            f"`hrc-outreach edition draft --edition {key}`"
        )
    if languages is not None:
        missing = [lang for lang in languages if lang not in out]
        if missing:
            raise RenderError(
                f"edition {key!r} has no draft in {', '.join(missing)} (drafted: "
                f"{', '.join(out)}); draft it with --languages {','.join(languages)}"
            )
        out = {lang: out[lang] for lang in languages}
    return out


def edition_dir(out_dir: Path, key: str) -> Path:
    return out_dir / "editions" / key


def write_rendered(msg: RenderedMessage, out_dir: Path, *, folder: Path | None = None) -> Path:
    """Write one language of an edition under ``out_dir/editions/<key>/<lang>/`` (or
    ``folder/<lang>/``); returns that folder."""
    d = (folder if folder is not None else edition_dir(out_dir, msg.edition_key)) / msg.lang
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
        "strings": msg.string_counts,
        "lint": [f.model_dump(mode="json") for f in msg.lint],
    }
    (d / "message.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    posts = [p.model_dump(mode="json") for p in msg.social]
    (d / "social.json").write_text(
        json.dumps(posts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return d


def read_rendered(out_dir: Path, key: str) -> dict[str, RenderedMessage]:
    """Every language of a drafted edition, by language; RenderError when it was never drafted or
    a file was changed by hand (the stored sha256 no longer matches)."""
    root = edition_dir(out_dir, key)
    if not root.is_dir():
        raise RenderError(
            f"edition {key!r} has no draft in {root}; run `hrc-outreach edition draft --edition {key}`"
        )
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
                string_counts=meta.get("strings", {}),
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
