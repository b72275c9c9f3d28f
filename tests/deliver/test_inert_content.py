"""Hostile item text, drafted and sent through every provider: it stays inert, and each reader gets
only their own values at the template's positions (issue 10), with a working tokenised mailto
unsubscribe (issue 9).

The hostile text holds our own placeholders (legacy form, and with a guessed nonce), Brevo's template
syntax, SendGrid-style keys and tags, in the title, summary, link URL, image URL, image alt and the
subject. Each provider is run against a local server (SMTP: aiosmtpd; Brevo/SendGrid/Postmark: the
servers of tests/support), and what the provider would do with the request is done here: SendGrid's
substitutions applied in every order, Brevo's ``{{ params.x }}`` filled per version.
"""

from __future__ import annotations

import email
import email.policy
import html as htmllib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import confirm, subscribe, unsubscribe_by_mail
from hrc_outreach.audience.links import Links, recipient_params
from hrc_outreach.config import Settings, StoreSettings
from hrc_outreach.deliver.providers.brevo import BrevoProvider
from hrc_outreach.deliver.providers.outbox import OutboxProvider
from hrc_outreach.deliver.providers.postmark import PostmarkProvider
from hrc_outreach.deliver.providers.sendgrid import SendGridProvider
from hrc_outreach.deliver.providers.smtp import SmtpProvider
from hrc_outreach.errors import TokenError
from hrc_outreach.i18n.policy import localize_all
from hrc_outreach.models import Batch, ConsentState, Recipient, RenderedMessage, Severity
from hrc_outreach.render.draft import render_message
from hrc_outreach.render.inert import WORD_JOINER, live_syntax
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow
from tests.render.conftest import fixed_edition, fixed_items
from tests.support.provider_data import run
from tests.support.provider_http import ProviderServer, brevo_api, postmark_api, sendgrid_api
from tests.support.smtp_relay import Inbox, relay, smtp_table

SECRET = "inert-content-test-secret-0123456789"
GUESSED = "0123456789abcdef"  # a nonce an attacker might try
HOSTILE_TITLE = "Title [[email]] {{ params.email }} {% if params.email %}x{% endif %} -email-"
HOSTILE_SUMMARY = (
    "<p>Summary [[unsubscribe_url]] [[unsubscribe_url_html]] {{ params.unsubscribe_url }} "
    f"{{# note #}} [[email.{GUESSED}]] &lt;%asm_global_unsubscribe_raw_url%&gt; "
    '<a href="https://evil.example/x?u=[[unsubscribe_url]]&amp;e={{ params.email }}">more</a></p>'
)
HOSTILE_URL = "https://evil.example/track?u=[[email]]&t={{params.unsubscribe_url}}"
HOSTILE_IMAGE = (
    f"https://evil.example/pixel.png?e=[[email]]&n=[[name.{GUESSED}]]&b={{{{params.email}}}}"
)
HOSTILE_NAME = "Readers {{ params.email }} [[email]] {% now %}"
LIVE = re.compile(r"\{\{|\{%|\{#|<%")


@dataclass
class Delivered:
    """One recipient's message as the reader would get it."""

    to: str
    subject: str
    html: str
    text: str
    list_unsubscribe: str


def hostile_settings(**kw: Any) -> Settings:
    return Settings(newsletter={"name": HOSTILE_NAME}, **kw)


def hostile_message(settings: Settings) -> RenderedMessage:
    items = fixed_items()
    items[0] = items[0].model_copy(
        update={
            "title": HOSTILE_TITLE,
            "summary": HOSTILE_SUMMARY,
            "url": HOSTILE_URL,
            "image_url": HOSTILE_IMAGE,
            "image_alt": "alt [[name]] {{ params.name }}",
        }
    )
    loc = localize_all(fixed_edition(items), ["en"], settings=settings)["en"]
    msg, _ = render_message(loc, settings)
    return msg


def recipients(settings: Settings, ids: tuple[int, ...] = (1, 2, 3)) -> tuple[Recipient, ...]:
    links = Links(settings, secret=SECRET.encode())
    out = []
    for i in ids:
        email_, name = f"reader{i}@example.org", f"Reader {i}"
        params = links.params(subscriber_id=i, email=email_, name=name)
        out.append(Recipient(subscriber_id=i, email=email_, name=name, params=params))
    return tuple(out)


def make_batch(msg: RenderedMessage, rs: tuple[Recipient, ...]) -> Batch:
    return Batch(id=5, job_id=2, lang=msg.lang, message=msg, recipients=rs,
                 idempotency_key="job2-batch5-inert", headers={})  # fmt: skip


def parsed(raw: bytes) -> Delivered:
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(m, EmailMessage)
    text = m.get_body(("plain",))
    html = m.get_body(("html",))
    assert text is not None and html is not None
    return Delivered(
        to=str(m["To"].addresses[0].addr_spec),
        subject=str(m["Subject"]),
        html=html.get_content(),
        text=text.get_content(),
        list_unsubscribe=" ".join(str(m["List-Unsubscribe"]).split()),
    )


# ------------------------------------------------------------------------------ the check itself


def check(delivered: list[Delivered], rs: tuple[Recipient, ...]) -> None:
    """Every reader: their own links once each at the template's positions, nobody else's values,
    no address anywhere in the body, the hostile text inert and visible."""
    assert sorted(d.to for d in delivered) == sorted(r.email for r in rs)
    by_email = {r.email: r for r in rs}
    for d in delivered:
        me = by_email[d.to]
        unsub, prefs = me.params["unsubscribe_url"], me.params["preferences_url"]
        # the template's two links, once each, as link targets; no more (item text placed none)
        assert d.html.count(unsub) == 1 and f'href="{htmllib.escape(unsub)}"' in d.html
        assert d.html.count(prefs) == 1 and f'href="{htmllib.escape(prefs)}"' in d.html
        assert d.text.count(unsub) == 1 and d.text.count(prefs) == 1
        assert f"<{unsub}>" in d.list_unsubscribe
        assert f"<{me.params['unsubscribe_mailto']}>" in d.list_unsubscribe
        token = unsub.rsplit("/", 1)[1]
        for part in (d.html, d.text, d.subject):
            assert me.email not in part  # no template places the address in the body
            assert part.count(token) == (1 if part is not d.subject else 0)
            for other in rs:
                if other is not me:
                    for value in (other.email, other.params["unsubscribe_url"],
                                  other.params["preferences_url"]):  # fmt: skip
                        assert value not in part
        # nothing left for a template engine, nor any [[...]] of ours left unfilled
        assert not LIVE.search(d.html) and not LIVE.search(d.text) and not LIVE.search(d.subject)
        # ... and the hostile text is still there for the reader, as written
        assert "&#123;{ params.email }}" in d.html and "&#91;[email]]" in d.html
        assert "&#123;% if params.email %}" in d.html
        assert f"{{{WORD_JOINER}{{ params.email }}" in d.text
        assert f"[{WORD_JOINER}[unsubscribe_url]]" in d.text
        assert f"{{{WORD_JOINER}{{ params.email }}" in d.subject
        # hostile URLs keep their shape but can carry nothing: percent-encoded braces/brackets
        assert "https://evil.example/track?u=%5B%5Bemail%5D%5D" in d.html
        assert "%5B%5Bemail%5D%5D" in d.text


def test_the_draft_of_hostile_items_is_inert_and_lint_clean() -> None:
    settings = hostile_settings()
    msg = hostile_message(settings)
    assert re.fullmatch(r"[0-9a-f]{16}", msg.nonce)
    assert [f for f in msg.lint if f.rule == "live-syntax"] == []
    for where, part in (("html", msg.html), ("text", msg.text), ("subject", msg.subject),
                        ("preheader", msg.preheader)):  # fmt: skip
        assert live_syntax(part, msg.nonce, where) == [], where
    # only the template's placeholders carry the nonce: two links in each part
    ours = re.findall(r"\[\[([a-z_]+)\." + msg.nonce + r"\]\]", msg.html + msg.text)
    assert sorted(ours) == sorted(["unsubscribe_url", "preferences_url"] * 2)
    # a re-draft of the same content is byte-identical (approval binds to bytes)
    assert hostile_message(settings).content_hash() == msg.content_hash()


def test_lint_fails_what_is_still_live() -> None:
    from hrc_outreach.render.lint import lint_message

    html = (
        '<html lang="en"><body><p>{{ params.email }}</p><a href="[[unsubscribe_url.ab12]]">u</a>'
        '<img alt="" src="https://x.example/p.png?e=[[email.ab12]]"> [[email]]</body></html>'
    )
    text = "{% if x %} [[unsubscribe_url.ab12]] <%asm_group_unsubscribe_raw_url%>"
    found = lint_message(html, text, "en", nonce="ab12", subject="Hi {{ contact.FIRSTNAME }}")
    live = [(f.where, f.message) for f in found if f.rule == "live-syntax"]
    assert all(f.severity is Severity.ERROR for f in found if f.rule == "live-syntax")
    wheres = sorted(w for w, _ in live)
    assert wheres == ["html", "html", "html", "subject", "text", "text"], live
    assert any("[[email.ab12]]" in m and "outside a link target" in m for _, m in live)
    assert any("'[[email]]'" in m for _, m in live)


def test_outbox(tmp_path: Path) -> None:
    settings = hostile_settings()
    rs = recipients(settings)
    provider = OutboxProvider(settings, directory=tmp_path)
    run(provider.send(make_batch(hostile_message(settings), rs)))
    files = sorted((tmp_path / "2026-12").glob("*.eml"))
    check([parsed(f.read_bytes()) for f in files], rs)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with relay(inbox) as controller:
        yield inbox, controller.port


def test_smtp(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    settings = hostile_settings(delivery={"smtp": smtp_table(port)})
    rs = recipients(settings)
    run(SmtpProvider(settings, password="").send(make_batch(hostile_message(settings), rs)))
    check([parsed(raw) for _, raw in inbox.messages], rs)


def _http(provider_cls: Any, handler: Any, key: str, settings: Settings, b: Batch) -> Any:
    with ProviderServer(handler(key)) as server:

        async def go() -> None:
            async with httpx.AsyncClient(timeout=5) as client:
                p = provider_cls(settings, client, base_url=server.base_url, api_key=key)
                await p.send(b)

        run(go())
    return [r.json for r in server.requests if r.method == "POST"]


def test_postmark() -> None:
    settings = hostile_settings()
    rs = recipients(settings)
    (body,) = _http(PostmarkProvider, postmark_api, "pm", settings, make_batch(
        hostile_message(settings), rs))  # fmt: skip
    check(
        [
            Delivered(
                to=re.sub(r".*<(.*)>", r"\1", m["To"]),
                subject=m["Subject"],
                html=m["HtmlBody"],
                text=m["TextBody"],
                list_unsubscribe=next(
                    h["Value"] for h in m["Headers"] if h["Name"] == "List-Unsubscribe"
                ),
            )
            for m in body
        ],
        rs,
    )


def _substitute(content: str, subs: dict[str, str], order: list[str]) -> str:
    for key in order:  # SendGrid replaces every occurrence of each key, in an order of its own
        content = content.replace(key, subs[key])
    return content


def test_sendgrid_in_every_substitution_order() -> None:
    settings = hostile_settings()
    rs = recipients(settings)
    (body,) = _http(SendGridProvider, sendgrid_api, "SG.k", settings, make_batch(
        hostile_message(settings), rs))  # fmt: skip
    text = next(c["value"] for c in body["content"] if c["type"] == "text/plain")
    html = next(c["value"] for c in body["content"] if c["type"] == "text/html")
    for order in (sorted, lambda keys: sorted(keys, reverse=True)):
        delivered = []
        for p in body["personalizations"]:
            subs = p["substitutions"]
            keys = order(list(subs))
            # no key of ours occurs in the content except where the template put it
            assert not any(k in HOSTILE_SUMMARY + HOSTILE_TITLE for k in subs)
            delivered.append(
                Delivered(
                    to=p["to"][0]["email"],
                    subject=_substitute(body["subject"], subs, keys),
                    html=_substitute(html, subs, keys),
                    text=_substitute(text, subs, keys),
                    list_unsubscribe=p["headers"]["List-Unsubscribe"],
                )
            )
        check(delivered, rs)


_PARAM = re.compile(r"\{\{ params\.([a-z_]+) \}\}")


def test_brevo_template_engine_sees_only_our_params() -> None:
    settings = hostile_settings()
    rs = recipients(settings)
    (body,) = _http(BrevoProvider, brevo_api, "bk", settings, make_batch(
        hostile_message(settings), rs))  # fmt: skip
    # every {{ / {% / {# Brevo would evaluate is one of ours: {{ params.<key> }}
    for field in ("subject", "htmlContent", "textContent"):
        assert not LIVE.search(_PARAM.sub("", body[field])), field
    assert "&#123;{ params.email }}" in body["htmlContent"]
    delivered = []
    for v in body["messageVersions"]:
        params = v["params"]

        def fill(text: str, params: dict[str, str] = params) -> str:
            return _PARAM.sub(lambda m: params[m.group(1)], text)

        delivered.append(
            Delivered(
                to=v["to"][0]["email"],
                subject=fill(body["subject"]),
                html=fill(body["htmlContent"]),
                text=fill(body["textContent"]),
                list_unsubscribe=fill(body["headers"]["List-Unsubscribe"]),
            )
        )
    check(delivered, rs)


# ------------------------------------------------------------------ the mailto unsubscribe (issue 9)


@pytest.fixture
def audience(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[Store, Settings, tuple[Recipient, ...]]:
    monkeypatch.setenv("HRC_TOKEN_SECRET", SECRET)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    settings = Settings(store=StoreSettings(url=sqlite_store.url))
    rs = []
    for name in ("ana", "bo"):
        with sqlite_store.session() as s:
            sub, token = subscribe(s, settings, f"{name}@example.org", name.title())
            assert sub is not None and token is not None
        with sqlite_store.session() as s:
            confirm(s, settings, token)
        params = recipient_params(settings, subscriber_id=sub.id, email=sub.email,
                                  name=sub.name, lang="en")  # fmt: skip
        rs.append(Recipient(subscriber_id=sub.id, email=sub.email, name=sub.name, params=params))
    return sqlite_store, settings, tuple(rs)


def _mailto_subject(list_unsubscribe: str) -> str:
    (mailto,) = re.findall(r"<(mailto:[^>]+)>", list_unsubscribe)
    assert mailto.startswith("mailto:unsubscribe@humanrightscities.net?subject=")
    return unquote(mailto.split("subject=", 1)[1])


def _states(store: Store) -> dict[str, str]:
    with store.session() as s:
        return dict(s.execute(select(SubscriberRow.email, SubscriberRow.state)).tuples().all())


def test_sent_mailto_unsubscribes_exactly_its_subscriber(
    audience: tuple[Store, Settings, tuple[Recipient, ...]], tmp_path: Path
) -> None:
    store, settings, rs = audience
    msg = hostile_message(settings)
    run(OutboxProvider(settings, directory=tmp_path / "out").send(make_batch(msg, rs)))
    got = {d.to: d for d in (parsed(f.read_bytes()) for f in (tmp_path / "out").rglob("*.eml"))}
    subject = _mailto_subject(got["ana@example.org"].list_unsubscribe)
    # a tampered token: nothing happens, and the error says why
    token = subject.split()[-1]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with store.session() as s, pytest.raises(TokenError, match="signature"):
        unsubscribe_by_mail(s, settings, f"unsubscribe {forged}")
    with store.session() as s, pytest.raises(TokenError, match="no unsubscribe token"):
        unsubscribe_by_mail(s, settings, "unsubscribe")
    assert set(_states(store).values()) == {ConsentState.CONFIRMED.value}
    # the real one, as a mail client sends it back (perhaps with Re: and RFC 2047)
    from email.header import Header

    encoded = Header("Re: " + subject, "utf-8").encode()
    with store.session() as s:
        sub = unsubscribe_by_mail(s, settings, encoded)
    assert sub is not None and sub.email == "ana@example.org"
    assert _states(store) == {"ana@example.org": "unsubscribed", "bo@example.org": "confirmed"}


def test_brevo_templated_mailto_unsubscribes_its_subscriber(
    audience: tuple[Store, Settings, tuple[Recipient, ...]],
) -> None:
    store, settings, rs = audience
    (body,) = _http(BrevoProvider, brevo_api, "bk", settings, make_batch(
        hostile_message(settings), rs))  # fmt: skip
    header = body["headers"]["List-Unsubscribe"]
    assert header == "<{{ params.unsubscribe_url }}>, <{{ params.unsubscribe_mailto }}>"
    bo = next(v for v in body["messageVersions"] if v["to"][0]["email"] == "bo@example.org")
    filled = _PARAM.sub(lambda m: bo["params"][m.group(1)], header)
    with store.session() as s:
        unsubscribe_by_mail(s, settings, _mailto_subject(filled))
    assert _states(store) == {"ana@example.org": "confirmed", "bo@example.org": "unsubscribed"}
