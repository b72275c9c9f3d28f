"""The public web version of a sent campaign step: one page per language under
``archive/campaigns/<name>/<step>/<lang>.html`` of the published files (``publish.url``, else the
out folder), written once someone got the step. The same text as the email, nothing per recipient.
"""

from __future__ import annotations

from pathlib import Path

from hrc_outreach.campaigns.model import Campaign, Step
from hrc_outreach.campaigns.render import build_step_view, step_texts
from hrc_outreach.config import Settings
from hrc_outreach.render.environment import environment
from hrc_outreach.storage import published_files

PAGE_TEMPLATE = "web/campaign.html.j2"


def page_path(campaign: Campaign, step: str, lang: str) -> str:
    return f"archive/campaigns/{campaign.name}/{step}/{lang}.html"


def publish_step(
    settings: Settings,
    campaign: Campaign,
    step: Step,
    directory: Path,
    translator: object = None,
    store: object = None,
) -> list[str]:
    """Write the step's page in every campaign language (translations from the memory in
    ``store``, as the email's); the locations written."""
    files = published_files(settings)
    texts = step_texts(campaign, step, directory, translator, store)
    nl = settings.newsletter
    written = []
    for lang in campaign.languages:
        view = build_step_view(campaign, step, lang, texts[lang], settings)
        html = environment(lang).get_template(PAGE_TEMPLATE).render(
            view=view, html_lang=view.html_lang, dir=view.dir, fonts=view.fonts,
            brand_color=nl.brand_color, accent_color=nl.accent_color,
        )  # fmt: skip
        written.append(files.write_text(page_path(campaign, step.name, lang), html))
    return written
