"""The MIME message: structure, headers, encodings, placeholders."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from hrc_outreach.config import Settings
from hrc_outreach.deliver.mime import as_bytes, build_message, fill_placeholders, message_id
from tests.support.provider_data import message, recipient


def parsed(m: EmailMessage) -> EmailMessage:
    out = email.message_from_bytes(as_bytes(m), policy=email.policy.default)
    assert isinstance(out, EmailMessage)
    return out


def test_fill_placeholders_escapes_html_only() -> None:
    params = {"name": 'A & "B" <c>', "unsubscribe_url": "https://x/u/t?a=1&b=2"}
    text = "[[name]] [[unsubscribe_url]] [[other]]"
    assert fill_placeholders(text, params, html=False) == (
        'A & "B" <c> https://x/u/t?a=1&b=2 [[other]]'
    )
    assert fill_placeholders(text, params, html=True) == (
        "A &amp; &quot;B&quot; &lt;c&gt; https://x/u/t?a=1&amp;b=2 [[other]]"
    )
    # a known placeholder without a value is emptied, never shown to a reader
    assert fill_placeholders("Hi [[preferences_url]].", {}, html=False) == "Hi ."
    # an href that a renderer URL-quoted still gets filled
    assert fill_placeholders('<a href="%5B%5Bunsubscribe_url%5D%5D">', params, html=True) == (
        '<a href="https://x/u/t?a=1&amp;b=2">'
    )


def test_message_structure_and_headers() -> None:
    settings = Settings()
    r = recipient(4)
    m = parsed(build_message(message(), r, settings, msgid=message_id("k", 4, settings)))
    assert m.get_content_type() == "multipart/alternative"
    parts = list(m.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert all(
        p["Content-Transfer-Encoding"] in ("quoted-printable", "base64", "7bit") for p in parts
    )
    assert m["From"] == "Human Rights Cities Network <newsletter@humanrightscities.net>"
    assert m["To"].addresses[0].addr_spec == "reader4@example.org"
    assert m["To"].addresses[0].display_name == "Ana 4 & <Co>"
    assert m["Reply-To"] == "info@humanrightscities.net"
    assert m["Subject"] == "Nouvelles de décembre"
    assert m["Date"].datetime is not None
    assert m["Message-ID"] == "<k.4@humanrightscities.net>"
    assert m["Content-Language"] == "fr"
    assert m["List-Unsubscribe"] == (
        "<https://outreach.example.org/u/tok4.sig?x=1&y=2>, "
        "<mailto:unsubscribe@humanrightscities.net?subject=unsubscribe>"
    )
    assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parts[0].get_content()
    html = parts[1].get_content()
    assert "Bonjour Ana 4 & <Co>," in text
    assert "Se désabonner : https://outreach.example.org/u/tok4.sig?x=1&y=2" in text
    assert "Bonjour Ana 4 &amp; &lt;Co&gt;," in html
    assert 'href="https://outreach.example.org/u/tok4.sig?x=1&amp;y=2"' in html
    assert "[[" not in text + html


def test_long_unsubscribe_url_is_never_encoded() -> None:
    settings = Settings()
    r = recipient(1).model_copy(
        update={"params": {"unsubscribe_url": "https://outreach.example.org/u/" + "T" * 180}}
    )
    raw = as_bytes(build_message(message(), r, settings))
    header = raw.split(b"List-Unsubscribe:", 1)[1].split(b"\r\n\r\n")[0]
    assert b"=?utf-8?" not in header
    assert b"<https://outreach.example.org/u/" + b"T" * 180 + b">" in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_any_script_in_names_and_subject_and_test_prefix() -> None:
    settings = Settings()
    msg = message("ar", subject="نشرة مدن حقوق الإنسان", html="<p>مرحبا [[name]]</p>" * 40,
                  text="مرحبا [[name]]\n" * 40)  # fmt: skip
    r = recipient(9, name="علي بن أحمد", email="ali@bücher.example")
    raw = as_bytes(build_message(msg, r, settings, test=True))
    assert raw.isascii()  # 7-bit safe on the wire: RFC 2047 headers, QP/base64 bodies
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert m["Subject"] == "[TEST] نشرة مدن حقوق الإنسان"
    assert m["To"].addresses[0].display_name == "علي بن أحمد"
    assert m["To"].addresses[0].domain == "xn--bcher-kva.example"
    assert m["Content-Language"] == "ar"
    html = m.get_body(("html",))
    assert html is not None and html["Content-Transfer-Encoding"] == "base64"
    assert "مرحبا علي بن أحمد" in html.get_content()


def test_extra_headers_added_but_structure_kept() -> None:
    m = build_message(
        message(), recipient(1), Settings(),
        headers={"X-HRC-Job": "3", "Content-Type": "text/plain"},
    )  # fmt: skip
    assert m["X-HRC-Job"] == "3"
    assert m.get_content_type() == "multipart/alternative"


def test_without_unsubscribe_url_only_mailto_and_no_one_click() -> None:
    r = recipient(1).model_copy(update={"params": {}})
    m = build_message(message(), r, Settings())
    assert m["List-Unsubscribe"] == (
        "<mailto:unsubscribe@humanrightscities.net?subject=unsubscribe>"
    )
    assert m["List-Unsubscribe-Post"] is None
