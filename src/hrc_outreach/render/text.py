"""The plain-text part, from the same view as the HTML (never by stripping the HTML).

For a right-to-left language every line of prose starts with a RIGHT-TO-LEFT MARK, so plain-text
readers lay the paragraph out right to left even when it starts with a Latin word or a number, and
text in a left-to-right language inside it is wrapped in a LEFT-TO-RIGHT ISOLATE, so it keeps its
own direction. URL lines are left alone (marks next to a URL break auto-linking).
"""

from __future__ import annotations

import re
import textwrap

from hrc_outreach.render.environment import environment
from hrc_outreach.render.inert import neutralise_text
from hrc_outreach.render.view import EditionView

TEXT_TEMPLATE = "text/edition.txt.j2"
RLM = "\u200f"
LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"
_URL_LINE = re.compile(r"^\s*(\[\d+\]\s*)?(https?://|\[\[)")
_BLANKS = re.compile(r"\n{3,}")
WIDTH = 76


def wrap(text: str, width: int = WIDTH) -> str:
    """Paragraphs of prose wrapped at ``width`` (never inside a word or a URL)."""
    return "\n\n".join(
        textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False)
        for p in text.split("\n\n")
    )


def _wrap(text: str, text_dir: str, view: EditionView) -> str:
    if text_dir == view.dir or not text:
        return text
    mark = LRI if text_dir == "ltr" else RLI
    return "\n".join(f"{mark}{line}{PDI}" if line.strip() else line for line in text.split("\n"))


def _rtl_lines(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if line.strip() and not _URL_LINE.match(line) and set(line.strip()) - set("=-"):
            stripped = line.lstrip(" ")
            line = line[: len(line) - len(stripped)] + RLM + stripped
        out.append(line)
    return "\n".join(out)


def render_text(view: EditionView) -> str:
    """The plain-text part for one language."""
    text = environment(view.lang).get_template(TEXT_TEMPLATE).render(
        view=view,
        wrap=wrap,
        iso=lambda text, item: _wrap(text, item.text_dir, view),
        iso_intro=lambda text: _wrap(text, view.intro_dir, view),
    )
    text = "\n".join(line.rstrip() if line != "-- " else line for line in text.split("\n"))
    text = neutralise_text(_BLANKS.sub("\n\n", text).strip("\n") + "\n", view.nonce)
    return _rtl_lines(text) if view.rtl else text
