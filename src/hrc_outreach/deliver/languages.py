"""Languages with subscribers but no draft: a send never silently gives them the source language.

The planner gives a subscriber whose language has no message the source language's message. That
is right when staff chose it (``--fallback-source``, or a language held back for its coverage) and
wrong when an edition was simply drafted for part of the configured languages: then sending is
refused, naming the languages and how many people read each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

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
        langs = ", ".join(
            f"{lang} ({n} subscriber{'s' if n != 1 else ''})" for lang, n in unchosen.items()
        )
        raise DeliveryError(
            f"edition {key} is not drafted in {langs}: they would get the {source!r} edition. "
            f"Draft and approve those languages (`hrc-outreach edition draft --edition {key} "
            f"--languages {','.join(unchosen)}`, then `edition approve`), or send the {source!r} "
            "edition to them on purpose with --fallback-source"
        )
    return missing


def send_refusal(settings: Settings, key: str, *, fallback_source: bool = False) -> str | None:
    """Why sending edition ``key`` as drafted now would be refused for languages with subscribers
    but no draft, or None (the monthly flow asks before anyone is asked to approve)."""
    from hrc_outreach.render.output import load_drafts
    from hrc_outreach.store import open_store

    store = open_store(settings)
    try:
        messages, held = without_held_back(load_drafts(store, key), settings)
        provider = settings.delivery.provider.lower()
        check_drafted(
            store,
            settings,
            key,
            messages,
            provider,
            fallback_source=fallback_source,
            held_back=held,
        )
    except DeliveryError as exc:
        return str(exc)
    finally:
        store.dispose()
    return None


def without_held_back(
    messages: dict[str, RenderedMessage], settings: Settings
) -> tuple[dict[str, RenderedMessage], dict[str, str]]:
    """The messages to send and the languages held back (lang -> why: an empty edition, or
    coverage below ``i18n.min_coverage``), whose subscribers get the source-language edition."""
    from hrc_outreach.i18n.coverage import held_back

    held = held_back(messages, settings)
    return {lang: m for lang, m in messages.items() if lang not in held}, held


def audience_with_held_back(settings: Settings, held: Iterable[str]) -> Any:
    """The planner's audience (``plan_job(audience=...)``) with the subscribers of the held-back
    languages given the source language: no batch of a held-back language is planned, while
    the approval still covers every drafted language."""
    from hrc_outreach.deliver.planner import stream_audience

    langs, source = set(held), settings.i18n.source_language

    def audience(session: Any) -> Iterator[tuple[int, str, str, str]]:
        for sid, email, name, lang in stream_audience(session, settings):
            yield sid, email, name, (source if lang in langs else lang)

    return audience
