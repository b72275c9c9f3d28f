"""Brevo (EU): ``POST /v3/smtp/email`` with one ``messageVersions`` entry per recipient.

One version per recipient, because a version's ``to`` list is one visible To header and each person
has their own unsubscribe link. Placeholders become Brevo's ``{{ params.x }}``; where HTML escaping
would change a value (``&``, ``<``...), the HTML part uses a pre-escaped copy (``params.x_html``), so
nothing depends on Brevo's escaping rules. Only the placeholders the message uses are sent, to stay
under Brevo's 1,000 KB of params per request; a batch that would pass it is split.

Headers cannot vary per version (the spec lists ``to, params, bcc, cc, replyTo, subject,
htmlContent, textContent`` only). ``[delivery.brevo] list_unsubscribe = "params"`` (default) sends
``List-Unsubscribe: <{{ params.unsubscribe_url }}>, <mailto:…>`` for Brevo to fill per version;
``"mailto"`` sends the mailto form only, which every client honours but without one-click.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Literal

from hrc_outreach.config import Table
from hrc_outreach.deliver.base import SuppressionEvent, SuppressionReason
from hrc_outreach.deliver.providers._http import (
    HttpProvider,
    no_outcome,
    part_failed,
    webhook_objects,
)
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import Batch, Recipient, SendResult, placeholder_pattern
from hrc_outreach.render.inert import neutralise_html, neutralise_text

MAX_PARAMS_BYTES = 900_000  # Brevo: at most 1,000 KB of params across a request's versions

BLOCK_REASONS: dict[str, SuppressionReason] = {
    "hardBounce": SuppressionReason.HARD_BOUNCE,
    "contactFlaggedAsSpam": SuppressionReason.COMPLAINT,
    "unsubscribedViaMA": SuppressionReason.UNSUBSCRIBED,
    "unsubscribedViaEmail": SuppressionReason.UNSUBSCRIBED,
    "unsubscribedViaApi": SuppressionReason.UNSUBSCRIBED,
    "adminBlocked": SuppressionReason.UNSUBSCRIBED,
}
WEBHOOK_EVENTS: dict[str, SuppressionReason] = {
    "hard_bounce": SuppressionReason.HARD_BOUNCE,
    "spam": SuppressionReason.COMPLAINT,
    "complaint": SuppressionReason.COMPLAINT,
    "unsubscribed": SuppressionReason.UNSUBSCRIBED,
    "unsubscribe": SuppressionReason.UNSUBSCRIBED,
}


def to_brevo(
    text: str, *, escaped: frozenset[str] = frozenset(), nonce: str = "", html: bool = False
) -> str:
    """Content for Brevo's template engine: every opener of its syntax (``{{``, ``{%``, ``{#``)
    that is not ours neutralised (a character reference in HTML, a word joiner in text, see
    :mod:`hrc_outreach.render.inert`), then this render's placeholders ``[[name.<nonce>]]`` ->
    ``{{ params.name }}``; keys in ``escaped`` use their ``_html`` copy.

    >>> to_brevo("{{ contact.EMAIL }} [[email]] [[email.ab]]", nonce="ab", html=True)
    '&#123;{ contact.EMAIL }} &#91;[email]] {{ params.email }}'
    """

    def repl(m: re.Match[str]) -> str:
        key = m.group(1)
        return "{{ params." + key + ("_html" if key in escaped else "") + " }}"

    inert = neutralise_html(text, nonce) if html else neutralise_text(text, nonce)
    return placeholder_pattern(nonce).sub(repl, inert)


def _values(r: Recipient) -> dict[str, str]:
    return {"name": r.name, "email": r.email, **r.params}


def _size(params: dict[str, str]) -> int:
    return len(json.dumps(params, ensure_ascii=False).encode())


def parse_time(value: Any) -> datetime:
    """Brevo's ``2017-05-01T12:30:00Z``, ``2020-10-09 00:00:00`` or epoch seconds, as UTC."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return datetime.now(UTC)


class BrevoSettings(Table):
    """``[delivery.brevo]``."""

    # Brevo cannot set headers per messageVersion: "params" templates List-Unsubscribe with
    # {{ params.unsubscribe_url }}; "mailto" sends the mailto form only (no one-click)
    list_unsubscribe: Literal["params", "mailto"] = "params"


class BrevoProvider(HttpProvider):
    name: ClassVar[str] = "brevo"
    settings_model: ClassVar[type[Table]] = BrevoSettings
    options: BrevoSettings
    max_recipients: ClassVar[int] = 2000  # per request, one messageVersion each
    idempotent: ClassVar[bool] = True  # headers.idempotencyKey
    # Brevo keeps a key 15-30 minutes: a resend later than the lower bound could duplicate
    idempotency_window_seconds: ClassVar[float] = 900.0
    default_base_url = "https://api.brevo.com"
    reset_headers: ClassVar[tuple[str, ...]] = ("x-sib-ratelimit-reset",)

    @property
    def _auth(self) -> dict[str, str]:
        return {"api-key": self._api_key, "accept": "application/json"}

    def payloads(self, batch: Batch) -> list[dict[str, Any]]:
        """The JSON bodies for one batch: one, unless Brevo's 1,000 KB limit on all versions'
        params together forces a split (each part then has its own key derived from the batch's,
        so a resent batch is still recognised part by part)."""
        d = self.settings.delivery
        msg = batch.message
        ours = placeholder_pattern(msg.nonce)
        used = set(ours.findall(msg.subject + msg.html + msg.text))
        if self.options.list_unsubscribe == "params":
            used |= {"unsubscribe_url", "unsubscribe_mailto"}
        in_html = set(ours.findall(msg.html))
        values = [_values(r) for r in batch.recipients]
        # Only keys whose value changes when escaped get an "_html" copy, keeping params small.
        escaped = frozenset(
            k for k in in_html if any(htmllib.escape(v.get(k, ""), quote=True) != v.get(k, "")
                                      for v in values)
        )  # fmt: skip
        versions: list[dict[str, Any]] = []
        for r, v in zip(batch.recipients, values, strict=True):
            params = {k: v.get(k, "") for k in sorted(used)}
            if "unsubscribe_mailto" in params and not params["unsubscribe_mailto"]:
                params["unsubscribe_mailto"] = f"mailto:{d.unsubscribe_mailto}?subject=unsubscribe"
            params.update({f"{k}_html": htmllib.escape(params[k], quote=True) for k in escaped})
            to = {"email": r.email, "name": r.name[:70]} if r.name else {"email": r.email}
            versions.append({"to": [to], "params": params})
        parts: list[list[dict[str, Any]]] = [[]]
        total = 0
        for version in versions:
            size = _size(version["params"])
            if parts[-1] and total + size > MAX_PARAMS_BYTES:
                parts.append([])
                total = 0
            parts[-1].append(version)
            total += size
        return [
            self._body(batch, part, escaped, key=self._part_key(batch, i, len(parts)))
            for i, part in enumerate(parts)
        ]

    @staticmethod
    def _part_key(batch: Batch, i: int, n: int) -> str:
        if n == 1:
            return batch.idempotency_key
        try:
            base = uuid.UUID(batch.idempotency_key)
        except ValueError:
            base = uuid.uuid5(uuid.NAMESPACE_URL, batch.idempotency_key)
        return str(uuid.uuid5(base, f"part-{i}"))

    def _body(
        self, batch: Batch, versions: list[dict[str, Any]], escaped: frozenset[str], *, key: str
    ) -> dict[str, Any]:
        d = self.settings.delivery
        msg = batch.message
        headers: dict[str, str] = {"idempotencyKey": key, **batch.headers}
        if self.options.list_unsubscribe == "params":
            # each version's own link and mailto (signed token in the subject); a version whose
            # params carry no mailto (none built by audience.links) gets the bare address
            headers["List-Unsubscribe"] = (
                "<{{ params.unsubscribe_url }}>, <{{ params.unsubscribe_mailto }}>"
            )
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        else:
            headers["List-Unsubscribe"] = f"<mailto:{d.unsubscribe_mailto}?subject=unsubscribe>"
        if batch.test:
            headers["X-HRC-Test"] = "yes"
        body: dict[str, Any] = {
            "sender": {"name": d.from_name[:70], "email": d.from_email},
            "subject": ("[TEST] " if batch.test else "") + to_brevo(msg.subject, nonce=msg.nonce),
            "htmlContent": to_brevo(msg.html, escaped=escaped, nonce=msg.nonce, html=True),
            "textContent": to_brevo(msg.text, nonce=msg.nonce),
            "headers": headers,
            "messageVersions": versions,
            "tags": [f"edition-{msg.edition_key}", f"lang-{msg.lang}"],
        }
        if d.reply_to:
            body["replyTo"] = {"email": d.reply_to}
        return body

    async def send(self, batch: Batch) -> SendResult:
        """One request per part; a part that fails after earlier parts were accepted leaves those
        accepted, its own recipients failed or in doubt, and the later parts' recipients not sent."""
        ids: dict[int, str] = {}
        status = 0
        done = 0
        outcome = no_outcome()
        for body in self.payloads(batch):
            part = batch.recipients[done : done + len(body["messageVersions"])]
            try:
                resp = await self._request("POST", "/v3/smtp/email", json_body=body)
            except ProviderError as exc:
                if done == 0 or exc.in_doubt:
                    # Nothing went out, or this part may have: the whole batch is resent with the
                    # same part keys, and Brevo drops the parts it already has.
                    raise
                part_failed(outcome, exc, part, batch.recipients[done + len(part) :], "part")
                break
            status = resp.status_code
            data = resp.json() if resp.content else {}
            got: list[str] = list(data.get("messageIds") or [])
            if not got and data.get("messageId"):
                got = [data["messageId"]] * len(part)
            ids.update({r.subscriber_id: mid for r, mid in zip(part, got, strict=False)})
            done += len(part)
        detail = f"brevo accepted {done} recipient(s) ({status})"
        if ids and len(ids) != done:
            detail += f"; {len(ids)} message id(s) for {done} recipients"
        return SendResult(accepted=True, message_ids=ids, detail=detail, **outcome)

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        """Blocked and unsubscribed transactional contacts since ``since`` (all pages)."""
        out: list[SuppressionEvent] = []
        start = since.astimezone(UTC).date()
        end = max(date.today(), start) + timedelta(days=1)
        offset, limit = 0, 100
        while True:
            resp = await self._request(
                "GET",
                "/v3/smtp/blockedContacts",
                params={
                    "startDate": start.isoformat(),
                    "endDate": end.isoformat(),
                    "limit": limit,
                    "offset": offset,
                    "sort": "asc",
                },
            )
            contacts = resp.json().get("contacts") or []
            for c in contacts:
                code = (c.get("reason") or {}).get("code", "")
                reason = BLOCK_REASONS.get(code)
                at = parse_time(c.get("blockedAt"))
                if reason is None or at < since:
                    continue
                out.append(
                    SuppressionEvent(
                        email=c["email"], reason=reason, at=at, provider=self.name, detail=code
                    )
                )
            if len(contacts) < limit:
                return out
            offset += limit


def parse_webhook(payload: Any) -> list[SuppressionEvent]:
    """Brevo webhook events (one object or a list): hard bounces, spam and unsubscribes."""
    out: list[SuppressionEvent] = []
    for e in webhook_objects(payload):
        reason = WEBHOOK_EVENTS.get(str(e.get("event", "")).lower())
        email = e.get("email")
        if reason is None or not email:
            continue
        when = e.get("ts_event") or e.get("ts") or e.get("date")
        out.append(
            SuppressionEvent(
                email=email,
                reason=reason,
                at=parse_time(when),
                provider="brevo",
                detail=str(e.get("reason") or e.get("event")),
            )
        )
    return out
