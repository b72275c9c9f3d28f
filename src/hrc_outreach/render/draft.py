"""The draft pipeline, readable in one function: curate → localize → render → social → lint → write
→ preview archive. What it writes under ``out/editions/<key>/<lang>/`` is exactly what is approved
and sent. The archive pages go to ``out/preview/archive/``: they are published once the edition is
sent (:mod:`hrc_outreach.publish`). A draft that changes an edition a flow run waits on voids that
wait (:attr:`DraftResult.voided`).

An edition already sent is what was sent: drafting it again (a correction, a look at it) writes
everything, its archive preview included, under ``out/editions/<key>/after-send/`` and leaves the
store's drafts, its approval and its published archive pages and cards as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from hrc_outreach.config import Settings
from hrc_outreach.curate import curate_edition, record_draft
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import (
    Edition,
    EditionStatus,
    LintFinding,
    LocalizedEdition,
    RenderedMessage,
    SocialPost,
)
from hrc_outreach.render.archive import PREVIEW_ARCHIVE, ArchivePaths, write_archive
from hrc_outreach.render.brand import publish_brand
from hrc_outreach.render.content_lint import content_findings
from hrc_outreach.render.email import render_email, render_preheader, render_subject
from hrc_outreach.render.inert import settle_nonce
from hrc_outreach.render.lint import lint_message, published_images
from hrc_outreach.render.output import edition_dir, save_drafts, write_rendered
from hrc_outreach.render.social import social_posts
from hrc_outreach.render.text import render_text
from hrc_outreach.render.view import build_view
from hrc_outreach.storage import PublishedFiles, published_files
from hrc_outreach.store.db import Store
from hrc_outreach.store.tables import EditionRow

AFTER_SEND = "after-send"  # the folder of drafts of an edition already sent


@dataclass(frozen=True)
class VoidedWait:
    """A flow run that waited for approval of drafts this draft replaced: its wait no longer holds."""

    flow_run: str
    changed: tuple[str, ...]  # the languages whose content hash changed


@dataclass(frozen=True)
class DraftResult:
    """A drafted edition: the rendered message and its folder for every language."""

    edition: Edition
    messages: dict[str, RenderedMessage]
    paths: dict[str, Path]
    archive: dict[str, ArchivePaths] = field(default_factory=dict)
    untranslated: dict[str, tuple[str, ...]] = field(default_factory=dict)
    voided: VoidedWait | None = None  # the waiting run to tell (workflow.void_waiting_run)
    after_send: bool = False  # the edition was sent: drafted under after-send/, nothing replaced

    @property
    def lint_errors(self) -> int:
        return sum(m.lint_errors for m in self.messages.values())


def render_message(
    loc: LocalizedEdition,
    settings: Settings,
    *,
    cards_dir: Path | None = None,
    files: PublishedFiles | None = None,
) -> tuple[RenderedMessage, str]:
    """One language of an edition rendered, with its social posts and lint; and its preheader.
    ``files``: the published files, where the lint finds the images the email shows from there."""
    view = build_view(loc, settings)
    subject = render_subject(view)
    preheader = render_preheader(view)
    html = render_email(view, preheader)
    text = render_text(view)
    # the per-recipient placeholders' nonce, settled on a hash of this render (render.inert)
    nonce, (subject, preheader, html, text) = settle_nonce(
        view.nonce, subject, preheader, html, text
    )
    social: tuple[SocialPost, ...] = tuple(social_posts(loc, settings, cards_dir=cards_dir))
    lint: tuple[LintFinding, ...] = tuple(
        lint_message(html, text, loc.lang, nonce=nonce, subject=subject, preheader=preheader,
                     published=published_images(settings, files) if files else None)
    ) + tuple(content_findings(loc))  # generated headlines, for staff to check
    msg = RenderedMessage(
        edition_key=loc.edition.key, lang=loc.lang, dir=view.dir, subject=subject,
        preheader=preheader, html=html, text=text, social=social, lint=lint,
        provenance_counts=loc.provenance_counts(), string_counts=loc.string_counts, nonce=nonce,
    )
    return msg, preheader


def draft_edition(
    settings: Settings,
    store: Store,
    key: str,
    languages: Sequence[str],
    out_dir: Path,
    *,
    today: date | None = None,
    translator: object | None = None,
) -> DraftResult:
    """Curate edition ``key`` from the store and render it in every language under ``out_dir``.

    Raises EmptyEditionError (nothing to send) or CurateError; lint findings are in the result,
    not raised: errors block sending later, not drafting.
    """
    with store.session() as session:
        after_send = _was_sent(session, key)
        edition = curate_edition(session, settings, key, today=today)
    localized = localize_all(
        edition, list(languages), settings=settings, store=store, translator=translator
    )
    messages: dict[str, RenderedMessage] = {}
    paths: dict[str, Path] = {}
    archive: dict[str, ArchivePaths] = {}
    folder = edition_dir(out_dir, key) / AFTER_SEND if after_send else edition_dir(out_dir, key)
    files = published_files(settings, out_dir)
    publish_brand(files)  # the logo the emails show, beside the archive (render.brand)
    # after a send, the archive preview is the folder's own: publishing never picks it up
    preview: PublishedFiles | Path = folder if after_send else files
    for lang in languages:
        loc = localized[lang]
        cards_dir = folder / lang
        cards_dir.mkdir(parents=True, exist_ok=True)
        msg, preheader = render_message(loc, settings, cards_dir=cards_dir, files=files)
        messages[lang] = msg
        paths[lang] = write_rendered(msg, out_dir, folder=folder)
        if not after_send:
            _publish_cards(files, msg, cards_dir)
        archive[lang] = write_archive(build_view(loc, settings), preheader, msg.subject,
                                      settings, preview, root=PREVIEW_ARCHIVE)
    voided = None
    if not after_send:
        hashes = {lang: m.content_hash() for lang, m in messages.items()}
        save_drafts(store, messages.values())  # what approval and sending read, on every machine
        with store.session() as session:
            voided = _void_wait(session, key, hashes)
            record_draft(session, edition, hashes)
    return DraftResult(
        edition=edition, messages=messages, paths=paths, archive=archive,
        untranslated={lang: loc.untranslated for lang, loc in localized.items()},
        voided=voided, after_send=after_send,
    )


def _was_sent(session: Session, key: str) -> bool:
    row = session.get(EditionRow, key)
    return row is not None and row.status == EditionStatus.SENT


def _publish_cards(files: PublishedFiles, msg: RenderedMessage, cards_dir: Path) -> None:
    """The message's image cards, drawn in ``cards_dir`` on this machine, to the published files
    (``editions/<key>/<lang>/<card>``: the same place when they are the local ``out`` folder)."""
    for post in msg.social:
        if not post.image:
            continue
        local = cards_dir / post.image
        path = f"editions/{msg.edition_key}/{msg.lang}/{post.image}"
        if files.local and Path(files.location(path)).resolve() == local.resolve():
            continue
        files.put_file(local, path)


def _void_wait(session: Session, key: str, hashes: dict[str, str]) -> VoidedWait | None:
    """When a flow run waits for approval of other drafts of ``key``, forget that it waits (so
    `edition approve` records decisions on the new drafts directly) and say which run to tell."""
    row = session.get(EditionRow, key)
    if row is None or not row.waiting_flow_run:
        return None
    before = row.content_hashes or {}
    changed = tuple(sorted(lang for lang, h in hashes.items() if before.get(lang) != h))
    if not changed:
        return None  # the same bytes again: what the reviewer sees is still what would be sent
    run, row.waiting_flow_run = row.waiting_flow_run, None
    return VoidedWait(flow_run=run, changed=changed)
