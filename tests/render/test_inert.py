"""The text-to-message boundary (render.inert): what it neutralises, what it spares, in every part."""

from __future__ import annotations

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.render.draft import render_message
from hrc_outreach.render.inert import (
    WORD_JOINER,
    live_syntax,
    neutralise_html,
    neutralise_text,
    settle_nonce,
)

from .conftest import fixed_edition, fixed_items

HOSTILE = [
    "{{ params.email }}",
    "{{params.unsubscribe_url}}",
    "{% if contact.EMAIL %}x{% endif %}",
    "{# comment #}",
    "{{{ triple }}}",
    "[[email]]",
    "[[unsubscribe_url_html]]",
    "[[ name ]]",
    "[[email.0123456789abcdef]]",
    "<%asm_group_unsubscribe_raw_url%>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralised_text_and_html_have_nothing_live_and_are_idempotent(text: str) -> None:
    once = neutralise_text(text, "ab12")
    assert live_syntax(once, "ab12", "text") == []
    assert neutralise_text(once, "ab12") == once
    assert once.replace(WORD_JOINER, "") == text  # the reader sees what was written
    html = neutralise_html(f"<p>{text}</p>", "ab12")
    assert live_syntax(html, "ab12", "html") == []
    assert neutralise_html(html, "ab12") == html


def test_our_placeholders_and_style_blocks_are_spared() -> None:
    html = '<style>.a{color:red}</style><a href="[[unsubscribe_url.ab12]]">u</a> {{ x }}'
    out = neutralise_html(html, "ab12")
    assert (
        out == '<style>.a{color:red}</style><a href="[[unsubscribe_url.ab12]]">u</a> &#123;{ x }}'
    )
    assert neutralise_text("[[name.ab12]] [[name.ffff]]", "ab12") == (
        f"[[name.ab12]] [{WORD_JOINER}[name.ffff]]"
    )


def test_settled_nonce_depends_on_the_content_not_on_the_provisional_one() -> None:
    a = settle_nonce("r1", "<a href='[[u.r1]]'>", "[[u.r1]]")
    b = settle_nonce("r2", "<a href='[[u.r2]]'>", "[[u.r2]]")
    c = settle_nonce("r1", "<a href='[[u.r1]]'>!", "[[u.r1]]")
    assert a == b and a[0] != c[0]
    assert a[1] == (f"<a href='[[u.{a[0]}]]'>", f"[[u.{a[0]}]]")


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_hostile_text_in_every_field_drafts_lint_clean_in_every_direction(lang: str) -> None:
    bad = " ".join(HOSTILE)
    items = [
        i.model_copy(
            update={
                "title": f"{i.title} {bad}",
                "summary": f"<p>{bad}</p>",
                "location": bad if i.location else None,
                "image_alt": bad,
            }
        )
        for i in fixed_items()
    ]
    settings = Settings(newsletter={"name": f"Readers {bad}"})
    loc = localize_all(fixed_edition(items), [lang], settings=settings)[lang]
    msg, _ = render_message(loc, settings)
    live = [f.message for f in msg.lint if f.rule == "live-syntax"]
    assert live == []
    assert msg.html.count(f".{msg.nonce}]]") == 2 and msg.text.count(f".{msg.nonce}]]") == 2
