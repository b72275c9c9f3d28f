"""One rendered message, personalised for one recipient, as a standards-compliant MIME message.

Used by the providers that fill the per-recipient placeholders locally (SMTP, outbox, Postmark).

>>> from hrc_outreach.config import Settings
>>> from hrc_outreach.models import Recipient, RenderedMessage
>>> m = RenderedMessage(edition_key="2026-12", lang="en", subject="News", preheader="",
...                     html="<p>Hi [[name]]</p>", text="Hi [[name]]")
>>> r = Recipient(subscriber_id=1, email="ana@example.org", name="Ana", params={"name": "Ana"})
>>> build_message(m, r, Settings())["To"]
'Ana <ana@example.org>'
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid

from hrc_outreach.config import Settings
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import PLACEHOLDERS, Recipient, RenderedMessage, placeholder_pattern

# Headers whose values are lists of URLs: the stock policy would turn a long token into RFC 2047
# encoded words, which no mail client reads as a URL. These are folded at ", " only.
_URL_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "message-id"})
# Structural headers a caller's extra ``headers`` may not replace.
_PROTECTED = frozenset({"content-type", "content-transfer-encoding", "mime-version"})


class _SendPolicy(EmailPolicy):
    """``email.policy.SMTP`` (CRLF, RFC 2047, 7-bit bodies) except URL headers are never encoded."""

    def _fold_url(self, name: str, value: str) -> str:
        parts = [p.strip() for p in str(value).split(",")]
        return f"{name}: " + ("," + self.linesep + " ").join(parts) + self.linesep

    def fold(self, name: str, value: str) -> str:
        if name.lower() in _URL_HEADERS:
            return self._fold_url(name, value)
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in _URL_HEADERS:
            return self._fold_url(name, value).encode("ascii")
        return super().fold_binary(name, value)


SEND_POLICY = _SendPolicy(linesep="\r\n", cte_type="7bit")


def fill_placeholders(text: str, params: Mapping[str, str], *, html: bool, nonce: str = "") -> str:
    """Replace this render's placeholders (``[[name.<nonce>]]``, see
    :func:`hrc_outreach.models.placeholder`) with ``params`` values, HTML-escaped when ``html``.

    Only placeholders carrying ``nonce`` are filled: ``[[email]]`` written by a partner's feed stays
    text. A known placeholder (``unsubscribe_url``, ``name``...) without a value becomes empty, so
    no reader sees ``[[name]]``; an unknown one with no value is left as is.

    >>> fill_placeholders("<p>[[name.ab12]] [[email]]</p>", {"name": "A & B"}, html=True,
    ...                   nonce="ab12")
    '<p>A &amp; B [[email]]</p>'
    >>> fill_placeholders("Hi [[name]],", {}, html=False)
    'Hi ,'
    """

    def value(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in params:
            return "" if key in PLACEHOLDERS else m.group(0)
        v = params[key]
        return htmllib.escape(v, quote=True) if html else v

    out = placeholder_pattern(nonce).sub(value, text)
    if html and "%5B%5B" in out.upper():
        # a renderer that URL-quoted an href turned [[x.n]] into %5B%5Bx.n%5D%5D
        out = _pct_pattern(nonce).sub(value, out)
    return out


def _pct_pattern(nonce: str) -> re.Pattern[str]:
    tail = r"\." + re.escape(nonce) if nonce else ""
    return re.compile(r"%5B%5B([a-z_][a-z0-9_]*)" + tail + r"%5D%5D", re.IGNORECASE)


def content_language(lang: str) -> str:
    """A BCP 47 tag from a configured language code (or a campaign message key, ``de@BE``):
    ``pt_PT`` -> ``pt-PT``."""
    return lang.split("@", 1)[0].replace("_", "-")


def address(email: str, name: str = "") -> Address:
    """An :class:`Address` with an IDN domain turned into its ASCII (punycode) form.

    >>> str(address("ana@bücher.example", "Ana"))
    'Ana <ana@xn--bcher-kva.example>'
    """
    local, sep, domain = email.strip().rpartition("@")
    if not sep or not local or not domain:
        raise ProviderError(f"{email!r} is not an email address; fix the subscriber's address")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ProviderError(f"{email!r}: the domain cannot be encoded ({exc})") from exc
    return Address(display_name=name, username=local, domain=domain)


def from_domain(settings: Settings) -> str:
    """The domain of the From address, for Message-IDs."""
    return address(settings.delivery.from_email).domain


def message_id(key: str, subscriber_id: int, settings: Settings) -> str:
    """A stable Message-ID for (idempotency key, subscriber): a retry carries the same id.

    >>> message_id("job-1-batch-2", 7, Settings())
    '<job-1-batch-2.7@humanrightscities.net>'
    """
    safe = re.sub(r"[^A-Za-z0-9.\-_]", "-", key)[:64]
    return f"<{safe}.{subscriber_id}@{from_domain(settings)}>"


def list_unsubscribe(params: Mapping[str, str], settings: Settings) -> dict[str, str]:
    """The RFC 2369/8058 unsubscribe headers for one recipient.

    The mailto is the recipient's own (``params["unsubscribe_mailto"]``, built by
    :meth:`hrc_outreach.audience.links.Links.unsubscribe_mailto`: a signed token in its subject,
    which :func:`hrc_outreach.audience.consent.unsubscribe_by_mail` reads); params made without it
    get the bare address. ``List-Unsubscribe-Post`` (one click) is only offered with an https
    URL, as RFC 8058 asks.
    """
    own = params.get("unsubscribe_mailto", "")
    if own.startswith("mailto:"):
        mailto = f"<{own}>"
    else:
        mailto = f"<mailto:{settings.delivery.unsubscribe_mailto}?subject=unsubscribe>"
    url = params.get("unsubscribe_url", "")
    if not url:
        return {"List-Unsubscribe": mailto}
    out = {"List-Unsubscribe": f"<{url}>, {mailto}"}
    if url.startswith("https://"):
        out["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return out


def subject_for(msg: RenderedMessage, params: Mapping[str, str], *, test: bool) -> str:
    """The subject for one recipient (``[TEST]`` first for a test send)."""
    subject = fill_placeholders(msg.subject, params, html=False, nonce=msg.nonce)
    return f"[TEST] {subject}" if test else subject


def build_message(
    msg: RenderedMessage,
    recipient: Recipient,
    settings: Settings,
    *,
    headers: Mapping[str, str] | None = None,
    test: bool = False,
    msgid: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) for one recipient, placeholders filled.

    ``msgid`` defaults to a fresh Message-ID on the From domain; ``headers`` are added (or replace
    ours, except the MIME structure headers).
    """
    d = settings.delivery
    params = dict(recipient.params)
    params.setdefault("email", recipient.email)
    params.setdefault("name", recipient.name)
    m = EmailMessage(policy=SEND_POLICY)
    # Content first: set_content() drops any Content-* header set before it. With a 7bit policy the
    # email package picks quoted-printable for mostly-Latin text and base64 for scripts where QP
    # would triple the size; no part needs the server's 8BITMIME.
    text = fill_placeholders(msg.text, params, html=False, nonce=msg.nonce)
    m.set_content(text, subtype="plain", charset="utf-8")
    html = fill_placeholders(msg.html, params, html=True, nonce=msg.nonce)
    m.add_alternative(html, subtype="html", charset="utf-8")
    m["From"] = address(d.from_email, d.from_name)
    m["To"] = address(recipient.email, recipient.name)
    if d.reply_to:
        m["Reply-To"] = address(d.reply_to)
    m["Subject"] = subject_for(msg, params, test=test)
    m["Date"] = format_datetime(date or datetime.now(UTC))
    m["Message-ID"] = msgid or make_msgid(domain=from_domain(settings))
    for name, value in list_unsubscribe(params, settings).items():
        m[name] = value
    m["Content-Language"] = content_language(msg.lang)
    if test:
        m["X-HRC-Test"] = "yes"
    for name, value in (headers or {}).items():
        if name.lower() in _PROTECTED:
            continue
        del m[name]
        m[name] = value
    return m


def as_bytes(m: EmailMessage) -> bytes:
    """The message on the wire: CRLF line ends, URL headers unencoded."""
    return m.as_bytes(policy=SEND_POLICY)
