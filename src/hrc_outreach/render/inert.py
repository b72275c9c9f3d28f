"""The boundary where text becomes a message: outside text is made inert, our placeholders stay live.

Per-recipient values are filled only at the placeholders our templates place, which carry a nonce
of their render (:func:`hrc_outreach.models.placeholder`): random while rendering, then settled on a
hash of what was rendered (:func:`settle_nonce`), so a re-draft is byte-identical and no gathered
text can know it. Everything else that a provider or we might read as live syntax is neutralised in
the rendered output, whichever field it came from:

- template openers of Brevo's engine and its kin (Django, Jinja, Handlebars): ``{{``, ``{%``, ``{#``;
- our own placeholder shape ``[[…]]`` (legacy or with a foreign nonce);
- SendGrid's ``<%…%>`` tags.

In HTML the first character becomes a character reference (``&#123;{`` shows as ``{{``); in the
plain-text part, subject and preheader a WORD JOINER (U+2060, invisible, no line break) goes between
the two characters. Either way the reader sees the text as written and no engine sees an opener.
:func:`live_syntax` finds what is still live; lint fails an edition that has any.

>>> neutralise_text("{{ params.email }} [[name]] [[name.ab12]]", "ab12")
'{\\u2060{ params.email }} [\\u2060[name]] [[name.ab12]]'
>>> neutralise_html('<p>{% if x %}</p><a href="[[email.ab12]]">', "ab12")
'<p>&#123;% if x %}</p><a href="[[email.ab12]]">'
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from hrc_outreach.models import placeholder, placeholder_pattern

WORD_JOINER = "\u2060"
NONCE_BYTES = 8  # 64 random bits: 16 hex digits

# A character that starts live syntax when followed by the one in the lookahead.
_OPENER = re.compile(r"\{(?=[{%#])|\[(?=\[)|<(?=%)")
_HTML_REF = {"{": "&#123;", "[": "&#91;", "<": "&lt;"}
# Raw-text elements: character references are not decoded there, and nothing gathered goes in them.
_RAW = re.compile(r"(<(style|script)\b[^>]*>.*?</\2\s*>)", re.IGNORECASE | re.DOTALL)
# Anything shaped like a placeholder of ours, with or without a nonce.
_ANY_PLACEHOLDER = re.compile(r"\[\[\s*([A-Za-z_][\w]*)(?:\.([0-9A-Za-z]*))?\s*\]\]")
_LIVE = re.compile(r"\{\{|\{%|\{#|<%")
_HREF_VALUE = re.compile(r"""href\s*=\s*["']\s*$""", re.IGNORECASE)


def new_nonce() -> str:
    """A fresh random nonce for one render's placeholders (provisional: see :func:`settle_nonce`)."""
    return secrets.token_hex(NONCE_BYTES)


def _outside_placeholders(text: str, nonce: str, repl: Callable[[re.Match[str]], str]) -> str:
    """``text`` with every opener outside this render's placeholders replaced by ``repl``.

    Without a nonce the legacy ``[[name]]`` placeholders are the ones spared.
    """
    parts = placeholder_pattern(nonce).split(text)  # text, name, text, name, ..., text
    return "".join(
        placeholder(p, nonce) if i % 2 else _OPENER.sub(repl, p) for i, p in enumerate(parts)
    )


def neutralise_text(text: str, nonce: str) -> str:
    """Plain text (text part, subject, preheader) with no live syntax but our own placeholders.

    Idempotent.
    """
    return _outside_placeholders(text, nonce, lambda m: m.group(0) + WORD_JOINER)


def neutralise_html(html: str, nonce: str) -> str:
    """HTML with every live opener outside our placeholders turned into a character reference.

    ``<style>`` and ``<script>`` contents are left alone (references are not decoded there, and
    only our templates write them). Idempotent.
    """
    parts = _RAW.split(html)  # text, whole raw element, its tag name, text, ...
    out: list[str] = []
    for i, piece in enumerate(parts):
        if i % 3 == 0:
            out.append(_outside_placeholders(piece, nonce, lambda m: _HTML_REF[m.group(0)]))
        elif i % 3 == 1:
            out.append(piece)
    return "".join(out)


@dataclass(frozen=True)
class Live:
    """Something in a rendered part that a provider or we could still read as syntax."""

    kind: str  # "opener", "placeholder", "position"
    snippet: str
    where: str  # "html", "text", "subject", "preheader"

    def message(self) -> str:
        if self.kind == "opener":
            return (
                f"the {self.where} holds live template syntax {self.snippet!r}: a provider's "
                "template engine (Brevo, SendGrid) would evaluate it; it must come out escaped"
            )
        if self.kind == "placeholder":
            return (
                f"the {self.where} holds placeholder-like text {self.snippet!r} that our templates "
                "did not place: per-recipient values must never be filled there"
            )
        return (
            f"the {self.where} holds the per-recipient placeholder {self.snippet!r} outside a link "
            "target: a reader's data would be sent where the template did not mean it to go"
        )


def _snippet(text: str, start: int, end: int) -> str:
    return text[start : end + 30].split("\n", 1)[0]


def live_syntax(part: str, nonce: str, where: str) -> list[Live]:
    """Everything still live in one rendered part (``where``: html, text, subject or preheader).

    With a nonce: any ``[[…]]`` that is not one of this render's placeholders, and in the HTML
    any of ours outside an ``href`` value (``name`` may also stand in text). Always: ``{{``,
    ``{%``, ``{#`` and ``<%``, outside ``<style>``/``<script>`` in the HTML.
    """
    found: list[Live] = []
    scan = _RAW.sub(lambda m: " " * len(m.group(0)), part) if where == "html" else part
    for m in _LIVE.finditer(scan):
        found.append(Live("opener", _snippet(scan, m.start(), m.end()), where))
    if not nonce:
        return found
    for m in _ANY_PLACEHOLDER.finditer(scan):
        if m.group(2) != nonce:
            found.append(Live("placeholder", m.group(0), where))
            continue
        name = m.group(1)
        if name == "name":
            continue
        if where == "html":
            in_href = _HREF_VALUE.search(scan[max(0, m.start() - 40) : m.start()])
            closes = scan[m.end() : m.end() + 1] in ('"', "'")
            if not (in_href and closes):
                found.append(Live("position", m.group(0), where))
        elif where in ("subject", "preheader"):
            found.append(Live("position", m.group(0), where))
    return found


def settle_nonce(provisional: str, *parts: str) -> tuple[str, tuple[str, ...]]:
    """The final nonce of a render, and its parts with the provisional one replaced by it.

    A render draws a random provisional nonce, neutralises everything else against it, then
    settles on a nonce derived from what it rendered (its parts with the placeholders' nonce
    taken out): a re-draft of the same content is byte-identical, and no text can carry the final
    nonce because it is a hash of that very text (a fixed point of SHA-256).
    """
    canonical = [p.replace("." + provisional, "") for p in parts]
    digest = hashlib.sha256("\x1f".join(canonical).encode())
    nonce = digest.hexdigest()[: NONCE_BYTES * 2]
    return nonce, tuple(p.replace("." + provisional, "." + nonce) for p in parts)
