"""A campaign's machine-translated languages through the translation memory, string by string.

A step's texts in the source language are cut into strings (subject, preheader, each paragraph of
the body, the call to action's label: :func:`step_strings`). For a language staff did not write,
each string is, in this order: a person's reviewed translation (the staff review page, a PO
import), the memory's remembered one, else the machine's, remembered as soon as it arrives. So a
second preview of an unchanged step asks the translator nothing, and a changed paragraph is the
only string translated again.

>>> step_strings("Vote", "", "One.\\n\\nTwo.\\n", "How")
[('subject', 'Vote'), ('body.1', 'One.'), ('body.2', 'Two.'), ('cta_label', 'How')]
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from hrc_outreach.i18n import memory
from hrc_outreach.i18n.translators.base import batches, html_to_plain, plain_to_html
from hrc_outreach.models import ReviewState

_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_LINK = re.compile(r"https?://[^\s<>()\[\]\"']+", re.IGNORECASE)
BODY = "body."


@dataclass(frozen=True)
class Found:
    """A string's translation and where it came from: ``human`` (reviewed), ``memory`` (an
    engine's, remembered), ``machine`` (translated now)."""

    text: str
    origin: str


def body_paragraphs(markdown: str) -> list[str]:
    """The body's Markdown blocks (separated by blank lines), each translated on its own."""
    return [p.strip("\n") for p in _PARAGRAPH.split(markdown.strip()) if p.strip()]


def step_strings(
    subject: str, preheader: str, body_markdown: str, cta_label: str
) -> list[tuple[str, str]]:
    """``(field, source text)`` of every non-empty string of a step's texts, in reading order."""
    out = [("subject", subject), ("preheader", preheader)]
    out += [(f"{BODY}{i}", p) for i, p in enumerate(body_paragraphs(body_markdown), 1)]
    out.append(("cta_label", cta_label))
    return [(f, s) for f, s in out if s.strip()]


def links(text: str) -> Counter[str]:
    """The http(s) links a string carries (Markdown links, autolinks, bare URLs), counted.

    >>> sorted(links("See [this](https://a.example/x?y=1) or <https://b.example>."))
    ['https://a.example/x?y=1', 'https://b.example']
    """
    return Counter(m.rstrip(".,;:!?") for m in _LINK.findall(text))


def translated(
    texts: list[str],
    *,
    source: str,
    target: str,
    store: Any,
    translator: Any = None,
    problems: list[str] | None = None,
) -> dict[str, Found]:
    """Source text -> its translation into ``target``: reviewed > remembered > machine (each
    batch remembered as it arrives; a TranslationError after it loses nothing already
    translated). Without a translator: what the memory knows, nothing else.

    A machine translation whose links differ from the source's is neither used nor remembered
    (an engine may rewrite a URL): it is named in ``problems``, and the string stays untranslated
    until a person translates it."""
    wanted = sorted({t for t in texts if t.strip()})
    found: dict[str, Found] = {}
    if store is not None and wanted:
        engine = translator.name if translator is not None else None
        with store.session() as s:
            hits = memory.lookup(s, wanted, target, engine)
        for src, hit in hits.items():
            reviewed = hit.review is ReviewState.REVIEWED
            found[src] = Found(hit.text, "human" if reviewed else "memory")
    missing = [t for t in wanted if t not in found]
    if not missing or translator is None:
        return found
    sent = [plain_to_html(t) for t in missing]  # as the policy sends plain fields
    for idx in batches(sent, translator.max_texts, translator.max_bytes):
        out = translator.translate_batch(
            [sent[i] for i in idx], source=source, target=target, html=False
        )
        pairs = {missing[i]: html_to_plain(t) for i, t in zip(idx, out, strict=True)}
        for src, text in list(pairs.items()):
            if links(src) != links(text):
                del pairs[src]
                if problems is not None:
                    lost = sorted((links(src) - links(text)).elements())
                    problems.append(f"the machine changed the links of {src!r} (lost: {lost})")
        if store is not None:
            try:
                with store.session() as s:
                    memory.record(
                        s, pairs, source_lang=source, target=target, engine=translator.name
                    )
            except IntegrityError:
                pass  # another preview remembered the same strings at the same moment
        found.update({src: Found(text, "machine") for src, text in pairs.items()})
    return found


def record_reviewed(store: Any, pairs: dict[str, str], *, source_lang: str, target: str) -> None:
    """A person's corrections (source text -> text) into the memory as reviewed human
    translations, in one transaction: the next preview uses them, here and wherever the same
    sentence appears (as an edition intro's review is kept)."""
    with store.session() as s:
        memory.record(
            s, pairs, source_lang=source_lang, target=target, engine=memory.HUMAN_ENGINE,
            review=ReviewState.REVIEWED,
        )  # fmt: skip
