"""After a send: the edition's pages go from the preview archive to the public one.

An edition is public once people have it: :func:`publish_archive` publishes only when a send job of
the edition has accepted recipients, and only the pages drafted with the messages that job sent
(the drafts in the store must still hash to the job's content hashes).

>>> publish_archive(settings, store, "2026-12")          # doctest: +SKIP
[ArchivePaths(page='/srv/hrc/out/archive/en/2026-12.html', ...), ...]
"""

from __future__ import annotations

from sqlalchemy import func, select

from hrc_outreach.config import Settings
from hrc_outreach.errors import RenderError
from hrc_outreach.render.archive import ArchivePaths, publish_pages
from hrc_outreach.render.output import load_drafts
from hrc_outreach.storage import published_files
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SendJobRow, SendRecipientRow

ACCEPTED = "accepted"  # a recipient the provider took (models.RecipientState.ACCEPTED)


def publish_archive(
    settings: Settings, store: Store, edition_key: str, *, provider: str | None = None
) -> list[ArchivePaths]:
    """Publish edition ``edition_key``'s archive pages if a send job of it (of ``provider``, when
    given) has accepted recipients; [] when none has. RenderError when the drafts changed since
    that job was planned (the pages would not be those of what was sent)."""
    with store.session() as s:
        query = select(SendJobRow).where(SendJobRow.edition_key == edition_key)
        if provider is not None:
            query = query.where(SendJobRow.provider == provider)
        job = None
        for candidate in s.scalars(query.order_by(SendJobRow.id)).all():
            accepted = s.scalar(
                select(func.count())
                .select_from(SendRecipientRow)
                .where(SendRecipientRow.job_id == candidate.id, SendRecipientRow.state == ACCEPTED)
            )
            if accepted:
                job = candidate
                break
        if job is None:
            return []
        sent_hashes = dict(job.content_hashes or {})
    drafts = {lang: m.content_hash() for lang, m in load_drafts(store, edition_key).items()}
    changed = sorted(lang for lang, h in sent_hashes.items() if drafts.get(lang) != h)
    if changed:
        raise RenderError(
            f"edition {edition_key!r}: the drafts of {', '.join(changed)} changed since send job "
            f"{job.id} was planned; the archive shows what was sent, so it is not published from "
            "these drafts"
        )
    return publish_pages(settings, published_files(settings), edition_key, sorted(sent_hashes))
