"""Findings about an edition's content rather than its HTML: headlines made from the text (a
digest's or a spreadsheet's first clause), for staff to check or replace before approving."""

from __future__ import annotations

from hrc_outreach.models import LintFinding, LocalizedEdition, Severity

GENERATED_HEADLINE = "generated-headline"


def content_findings(loc: LocalizedEdition) -> list[LintFinding]:
    """One warning per item whose headline was generated from its text."""
    key = loc.edition.key
    return [
        LintFinding(
            rule=GENERATED_HEADLINE,
            severity=Severity.WARNING,
            message=(
                f"item {li.item.id} ({li.item.source}:{li.item.source_key}): the headline "
                f"{li.item.title!r} was made from the text's first clause; check it, or set one "
                f"under 'headlines:' in editions/{key}.yaml or on the staff preview page"
            ),
            where=li.item.id,
        )
        for li in loc.items
        if li.item.title_generated
    ]
