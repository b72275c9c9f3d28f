"""Languages with subscribers but no draft: a send never silently gives them the source language.

The planner gives a subscriber whose language has no message the source language's message. That
is right when staff chose it (``--fallback-source``, or a language held back for its coverage) and
wrong when an edition was simply drafted for part of the configured languages: then sending is
refused, naming the languages and how many people read each.
"""

from __future__ import annotations

from collections.abc import Iterable

from hrc_outreach.config import Settings
from hrc_outreach.deliver.planner import dry_run, find_job
from hrc_outreach.errors import DeliveryError
from hrc_outreach.models import RenderedMessage
from hrc_outreach.store.db import Store


def undrafted(
    store: Store, settings: Settings, messages: dict[str, RenderedMessage], provider: str
) -> dict[str, int]:
    """Configured languages that subscribers read and that have no draft: language -> people."""
    plan = dry_run(store, settings, messages, provider)
    return dict(sorted(plan.fallback_counts.items()))


def check_drafted(
    store: Store,
    settings: Settings,
    key: str,
    messages: dict[str, RenderedMessage],
    provider: str,
    *,
    fallback_source: bool = False,
    held_back: Iterable[str] = (),
) -> dict[str, int]:
    """The languages that get the source language's edition (language -> people), or
    DeliveryError when some were not chosen to: neither ``fallback_source`` nor ``held_back``.

    A job already planned keeps its plan: resuming it checks nothing again.
    """
    with store.session() as s:
        if find_job(s, key, provider) is not None:
            return {}
    missing = undrafted(store, settings, messages, provider)
    unchosen = {lang: n for lang, n in missing.items() if lang not in set(held_back)}
    if unchosen and not fallback_source:
        source = settings.i18n.source_language
        langs = ", ".join(f"{lang} ({n} subscriber{'s' if n != 1 else ''})"
                          for lang, n in unchosen.items())
        raise DeliveryError(
            f"edition {key} is not drafted in {langs}: they would get the {source!r} edition. "
            f"Draft and approve those languages (`hrc-outreach edition draft --edition {key} "
            f"--languages {','.join(unchosen)}`, then `edition approve`), or send the {source!r} "
            "edition to them on purpose with --fallback-source"
        )
    return missing
