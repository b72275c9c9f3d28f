"""How much of an edition each language's readers get in their language, and which languages are
held back: their subscribers get the source-language edition instead (reported, never silent).

A language is held back when its edition is empty (``i18n.untranslated = "omit"`` left no item:
an empty edition is never sent) or when the share of its strings shown translated (human, memory,
machine) is below ``i18n.min_coverage``. The source language is never held back.

>>> share({"human": 6, "memory": 1, "machine": 1, "source": 2})
0.8
"""

from __future__ import annotations

from collections.abc import Mapping

from hrc_outreach.config import Settings
from hrc_outreach.models import Frozen, Provenance, RenderedMessage

ORDER = tuple(p.value for p in Provenance)  # human, memory, machine, source


def share(strings: Mapping[str, int]) -> float:
    """Translated strings over all strings (1.0 when there is none)."""
    total = sum(strings.values())
    return 1.0 if total == 0 else (total - strings.get(Provenance.SOURCE.value, 0)) / total


class LanguageCoverage(Frozen):
    """One language of a drafted edition: items and strings by provenance, and whether it is held
    back (why, else "")."""

    lang: str
    items: dict[str, int]
    strings: dict[str, int]
    share: float
    held_back: str = ""

    @property
    def empty(self) -> bool:
        return sum(self.items.values()) == 0

    def line(self) -> str:
        """``fr: 80% translated; strings 6 human, 1 memory, 1 machine, 2 source; items ...``"""

        def counts(d: Mapping[str, int]) -> str:
            return ", ".join(f"{d.get(p, 0)} {p}" for p in ORDER)

        held = f"; HELD BACK: {self.held_back}" if self.held_back else ""
        return (
            f"{self.lang}: {self.share:.0%} translated; strings {counts(self.strings)}; "
            f"items {counts(self.items)}{held}"
        )


def coverage_of(msg: RenderedMessage, settings: Settings) -> LanguageCoverage:
    items = {p: int(msg.provenance_counts.get(p, 0)) for p in ORDER}
    strings = {p: int(msg.string_counts.get(p, 0)) for p in ORDER}
    c = share(strings)
    return LanguageCoverage(
        lang=msg.lang,
        items=items,
        strings=strings,
        share=round(c, 4),
        held_back=_held_back(msg.lang, msg.provenance_counts, c, settings),
    )


def _held_back(lang: str, items: Mapping[str, int], c: float, settings: Settings) -> str:
    source = settings.i18n.source_language
    if lang == source:
        return ""
    if items and sum(items.values()) == 0:  # counted and none (a draft of old has no counts)
        return (
            f'empty edition (i18n.untranslated = "omit" left no item in {lang}): never sent; '
            f"its subscribers get the {source} edition"
        )
    least = settings.i18n.min_coverage
    if c < least:
        return (
            f"{c:.0%} of its strings translated, below i18n.min_coverage {least:.0%}: its "
            f"subscribers get the {source} edition"
        )
    return ""


def coverage(
    messages: Mapping[str, RenderedMessage], settings: Settings
) -> dict[str, LanguageCoverage]:
    """Every drafted language's coverage, by language."""
    return {lang: coverage_of(m, settings) for lang, m in messages.items()}


def held_back(messages: Mapping[str, RenderedMessage], settings: Settings) -> dict[str, str]:
    """The drafted languages whose subscribers get the source-language edition: lang -> why."""
    return {lang: c.held_back for lang, c in coverage(messages, settings).items() if c.held_back}
