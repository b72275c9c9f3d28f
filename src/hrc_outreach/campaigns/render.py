"""A campaign step rendered like an edition: one message per language, with the same brand
header, footer and unsubscribe placeholders, the same plain-text rules, social posts and lint.

A language the campaign file leaves out is translated from the source language by the configured
machine translator (marked as such in the message); :mod:`~hrc_outreach.campaigns.validate`
refuses a campaign where no translation path exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from hrc_outreach.campaigns.model import Campaign, Step
from hrc_outreach.config import Settings
from hrc_outreach.errors import RenderError
from hrc_outreach.i18n.catalog import html_lang, text_direction
from hrc_outreach.i18n.formatting import country_name
from hrc_outreach.models import RenderedMessage, SocialPlatform, SocialPost, placeholder
from hrc_outreach.render.brand import logo_url
from hrc_outreach.render.cards import card_file_name
from hrc_outreach.render.email import compile_mjml
from hrc_outreach.render.environment import environment
from hrc_outreach.render.inert import neutralise_html, neutralise_text, new_nonce, settle_nonce
from hrc_outreach.render.lint import lint_message
from hrc_outreach.render.safe import html_to_text, markdown_html, safe_url
from hrc_outreach.render.social import RULES, add_utm, is_own_link, truncate
from hrc_outreach.render.text import _rtl_lines, wrap
from hrc_outreach.render.view import ARABIC_FONTS, SYSTEM_FONTS, Footnotes, _social_links

EMAIL_TEMPLATE = "email/campaign.mjml.j2"
TEXT_TEMPLATE = "text/campaign.txt.j2"
ARABIC_SCRIPT = frozenset({"ar", "fa", "ur"})
_BLANKS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class StepTexts:
    """What staff wrote for one step in one language (or what the translator made of it)."""

    subject: str
    preheader: str
    body_markdown: str
    cta_label: str
    machine_translated: bool = False


@dataclass(frozen=True)
class StepView:
    key: str
    lang: str
    html_lang: str
    dir: str
    align: str
    fonts: str
    subject: str
    body_html: Markup
    body_text: str
    cta_label: str
    cta_url: str | None
    cta_countries: tuple[tuple[str, str], ...]  # (country named in the reader's language, url)
    machine_translated: bool
    organisation: str
    address: str
    website: str
    logo_url: str | None
    social: tuple[tuple[str, str], ...]
    unsubscribe_url: str
    preferences_url: str
    brand_color: str
    nonce: str
    footnotes: Footnotes

    @property
    def rtl(self) -> bool:
        return self.dir == "rtl"


def step_texts(
    campaign: Campaign, step: Step, directory: Path, translator: Any = None, store: Any = None
) -> dict[str, StepTexts]:
    """Every campaign language's texts for ``step``: as written, else translated from the source
    language string by string through the translation memory (``store``; see
    :mod:`~hrc_outreach.campaigns.translate`: reviewed > remembered > machine); RenderError naming
    the step and language when neither is possible."""
    out: dict[str, StepTexts] = {}
    src = campaign.source_language
    for lang in campaign.languages:
        written = _written(step, directory, lang)
        if written is not None:
            out[lang] = written
            continue
        source = _written(step, directory, src)
        if source is None:
            raise RenderError(
                f"campaign {campaign.name!r} step {step.name!r} has no text in {lang!r} nor in "
                f"its source language {src!r}; write {src} texts"
            )
        out[lang] = _translated(campaign, step, source, lang, translator, store)
    return out


def _translated(
    campaign: Campaign, step: Step, source: StepTexts, lang: str, translator: Any, store: Any
) -> StepTexts:
    from hrc_outreach.campaigns.translate import BODY, step_strings, translated
    from hrc_outreach.errors import TranslationError

    strings = step_strings(source.subject, source.preheader, source.body_markdown, source.cta_label)
    usable = translator if translator is not None and translator.supports(lang) else None
    problems: list[str] = []
    try:
        found = translated(
            [s for _, s in strings], source=campaign.source_language, target=lang, store=store,
            translator=usable, problems=problems,
        )  # fmt: skip
    except TranslationError as exc:
        raise RenderError(
            f"campaign {campaign.name!r} step {step.name!r}: translating into {lang!r} "
            f"failed: {exc}"
        ) from exc
    missing = [field for field, text in strings if text not in found]
    if missing and problems:
        raise RenderError(
            f"campaign {campaign.name!r} step {step.name!r} in {lang!r}: "
            f"{'; '.join(problems)} (untranslated: {', '.join(missing)}); translate it on the "
            f"staff review page or write {lang} texts"
        )
    if missing:
        raise RenderError(
            f"campaign {campaign.name!r} step {step.name!r} has no text in {lang!r} and no "
            f"machine translator for it (untranslated: {', '.join(missing)}); write {lang} "
            "texts or configure i18n.translator"
        )
    text = {field: found[s].text for field, s in strings}
    body = "\n\n".join(text[f] for f, _ in strings if f.startswith(BODY))
    return StepTexts(
        subject=text.get("subject", ""), preheader=text.get("preheader", ""),
        body_markdown=body + "\n", cta_label=text.get("cta_label", ""),
        machine_translated=any(found[s].origin != "human" for _, s in strings),
    )  # fmt: skip


def written_texts(step: Step, directory: Path, lang: str) -> StepTexts | None:
    """What staff wrote for ``step`` in ``lang`` (None: nothing, it is translated)."""
    return _written(step, directory, lang)


def _written(step: Step, directory: Path, lang: str) -> StepTexts | None:
    if not step.subject.get(lang) or not step.body.get(lang):
        return None
    path = directory / step.body[lang]
    try:
        body = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot read {path}: {exc.strerror or exc}") from exc
    label = (step.cta.label.get(lang) or "") if step.cta else ""
    return StepTexts(
        subject=step.subject[lang].strip(),
        preheader=(step.preheader.get(lang) or "").strip(),
        body_markdown=body,
        cta_label=label.strip(),
    )


def cta_groups(step: Step) -> dict[str, str]:
    """Country -> the variant its call to action needs: countries whose link differs from the
    step's default share one variant per distinct link, named by the first of them (sorted).

    >>> cta_groups(Step(name="s", cta={"url": "https://eu.example/", "countries": {
    ...     "BE": "https://be.example/", "NL": "https://be.example/", "DE": "https://eu.example/"}}))
    {'BE': 'BE', 'NL': 'BE'}
    """
    if step.cta is None:
        return {}
    first: dict[str, str] = {}
    out: dict[str, str] = {}
    for country, url in sorted(step.cta.countries.items()):
        if url == step.cta.url:
            continue  # the default link: the language's own message
        out[country] = first.setdefault(url, country)
    return out


def message_key(lang: str, group: str = "") -> str:
    """The key a step's message is drafted, approved and sent under: the language, plus
    ``@<group>`` for a call-to-action variant (``de@BE``)."""
    return f"{lang}@{group}" if group else lang


def base_language(key: str) -> str:
    """The language of a message key: ``de@BE`` -> ``de``."""
    return key.split("@", 1)[0]


def recipient_message(groups: dict[str, str], lang: str, country: str | None) -> str:
    """The message a reader of ``lang`` living in ``country`` gets (the default one when the
    country has no link of its own, or is not known)."""
    return message_key(lang, groups.get((country or "").upper(), ""))


def build_step_view(
    campaign: Campaign,
    step: Step,
    lang: str,
    texts: StepTexts,
    settings: Settings,
    cta_url: str | None = None,
) -> StepView:
    nonce = new_nonce()
    nl = settings.newsletter
    direction = text_direction(lang)
    notes = Footnotes()
    body_html = markdown_html(texts.body_markdown)
    countries: tuple[tuple[str, str], ...] = ()
    if step.cta is not None:
        countries = tuple(
            sorted(
                ((country_name(code, lang), url) for code, url in step.cta.countries.items()),
                key=lambda c: c[0],
            )
        )
    return StepView(
        key=campaign.key(step.name),
        lang=lang,
        html_lang=html_lang(lang),
        dir=direction,
        align="right" if direction == "rtl" else "left",
        fonts=ARABIC_FONTS if lang.split("_")[0] in ARABIC_SCRIPT else SYSTEM_FONTS,
        subject=texts.subject,
        body_html=body_html,
        body_text=html_to_text(str(body_html), notes.ref),
        cta_label=texts.cta_label,
        cta_url=safe_url(cta_url or step.cta.url) if step.cta else None,
        cta_countries=countries,
        machine_translated=texts.machine_translated,
        organisation=nl.organisation,
        address=nl.address,
        website=safe_url(nl.website) or "",
        logo_url=safe_url(logo_url(settings)),  # the shipped logo, published with the archive
        social=_social_links(nl.social),
        unsubscribe_url=placeholder("unsubscribe_url", nonce),
        preferences_url=placeholder("preferences_url", nonce),
        brand_color=nl.brand_color,
        nonce=nonce,
        footnotes=notes,
    )


def _preheader(texts: StepTexts, view: StepView) -> str:
    if texts.preheader:
        return texts.preheader
    first = view.body_text.strip().split("\n\n", 1)[0]
    return truncate(" ".join(first.split()), 140, len)


def _text(view: StepView) -> str:
    text = environment(view.lang).get_template(TEXT_TEMPLATE).render(view=view, wrap=wrap)
    text = "\n".join(line.rstrip() if line != "-- " else line for line in text.split("\n"))
    text = _BLANKS.sub("\n\n", text).strip("\n") + "\n"
    if view.rtl:
        text = _rtl_lines(text)
    return text


def _social(
    campaign: Campaign, step: Step, view: StepView, settings: Settings
) -> tuple[SocialPost, ...]:
    """One post per platform: the subject, the body's first paragraph, the call to action (with
    UTM parameters only when it is the network's own link: another site's URL stays exact)."""
    if not step.social:
        return ()
    first = " ".join(view.body_text.strip().split("\n\n", 1)[0].split())
    own = view.cta_url is not None and is_own_link(view.cta_url, settings)
    posts = []
    for platform, rules in RULES.items():
        link = view.cta_url
        if link and own:
            link = add_utm(link, platform.value, campaign.name)
        tail = f"\n\n{view.cta_label}: {link}" if link and rules.link_in_text else ""
        head = f"{view.subject}\n\n"
        budget = rules.limit - rules.measure(head) - rules.measure(tail)
        body = truncate(first, min(budget, rules.summary_chars), rules.measure)
        posts.append(
            SocialPost(
                platform=SocialPlatform(platform), lang=view.lang, text=f"{head}{body}{tail}",
                link=link, image=card_name(campaign, step, view.lang, rules.card),
                image_alt=f"{view.subject} — {view.organisation}",
            )
        )  # fmt: skip
    return tuple(posts)


def step_definition(campaign: Campaign, step: Step) -> str:
    """The campaign file's part that a step's approval covers beyond its texts: the campaign's
    own keys (audience, languages, reference day and time zone, ...) and the step's entry, not
    the other steps' (editing a later step leaves this one's approval holding)."""
    return campaign.model_dump_json(exclude={"steps"}) + "\x1f" + step.model_dump_json()


def card_name(campaign: Campaign, step: Step, lang: str, size: tuple[int, int]) -> str:
    """The image card's file name: ``campaign-<name>-<step>-<lang>-<W>x<H>.png``."""
    return card_file_name(f"campaign-{campaign.name}-{step.name}", lang, None, size).replace(
        "-edition-", "-"
    )


def render_step_message(
    campaign: Campaign,
    step: Step,
    lang: str,
    texts: StepTexts,
    settings: Settings,
    group: str = "",
) -> RenderedMessage:
    """One language of a step (``group``: the call-to-action variant, see :func:`cta_groups`):
    HTML, text, subject, preheader, social posts (the language's default message only) and lint."""
    cta_url = step.cta.countries[group] if group and step.cta else None
    view = build_step_view(campaign, step, lang, texts, settings, cta_url)
    subject = neutralise_text(" ".join(view.subject.split()), view.nonce)
    preheader = neutralise_text(_preheader(texts, view), view.nonce)
    source = environment(lang).get_template(EMAIL_TEMPLATE).render(view=view, preheader=preheader)
    key = message_key(lang, group)
    html = compile_mjml(source, lang=view.html_lang, dir=view.dir, where=f"{view.key}/{key}")
    html = neutralise_html(html, view.nonce)
    text = neutralise_text(_text(view), view.nonce)
    # The nonce (hence every message's bytes, which an approval binds to) also settles on what
    # the step's sending depends on besides its words: an edit of the audience or the send time
    # after approval is a change to approve again.
    nonce, (subject, preheader, html, text, _) = settle_nonce(
        view.nonce, subject, preheader, html, text, step_definition(campaign, step)
    )
    social = () if group else _social(campaign, step, view, settings)
    lint = tuple(lint_message(html, text, lang, nonce=nonce, subject=subject, preheader=preheader))
    return RenderedMessage(
        edition_key=view.key, lang=key, dir=view.dir, subject=subject, preheader=preheader,
        html=html, text=text, social=social, lint=lint,
        provenance_counts={"machine" if texts.machine_translated else "human": 1}, nonce=nonce,
    )  # fmt: skip


def render_step(
    settings: Settings,
    campaign: Campaign,
    step: Step,
    directory: Path,
    translator: Any = None,
    store: Any = None,
) -> dict[str, RenderedMessage]:
    """Every campaign language of ``step``, rendered once per distinct call-to-action link: the
    language's default message under ``lang`` and one per country link under ``lang@GROUP``
    (texts are made, or translated, once per language)."""
    texts = step_texts(campaign, step, directory, translator, store)
    variants = sorted(set(cta_groups(step).values()))
    out: dict[str, RenderedMessage] = {}
    for lang in campaign.languages:
        for group in ["", *variants]:
            msg = render_step_message(campaign, step, lang, texts[lang], settings, group)
            out[msg.lang] = msg
    return out
