"""Brevo (EU): ``POST /v3/smtp/email`` with one ``messageVersions`` entry per recipient.

One version per recipient, because a version's ``to`` list is one visible To header and each person
has their own unsubscribe link. Placeholders become Brevo's ``{{ params.x }}``; the HTML part uses
a pre-escaped copy (``params.x_html``) so nothing depends on Brevo's escaping rules.

Headers cannot vary per version (the spec lists ``to, params, bcc, cc, replyTo, subject,
htmlContent, textContent`` only). ``[delivery] brevo_list_unsubscribe = "params"`` (default) sends
``List-Unsubscribe: <{{ params.unsubscribe_url }}>, <mailto:…>`` for Brevo to fill per version;
``"mailto"`` sends the mailto form only, which every client honours but without one-click.
"""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from hrc_outreach.deliver.base import SuppressionEvent, SuppressionReason
from hrc_outreach.deliver.providers._http import HttpProvider, request
from hrc_outreach.models import Batch, Recipient, SendResult

_PLACEHOLDER = re.compile(r"\[\[([a-z_][a-z0-9_]*)\]\]")
_RESET = ("x-sib-ratelimit-reset",)

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


def to_brevo(text: str, *, html: bool) -> str:
    """``[[name]]`` -> ``{{ params.name }}`` (``{{ params.name_html }}`` in HTML)."""
    suffix = "_html" if html else ""
    return _PLACEHOLDER.sub(lambda m: "{{ params." + m.group(1) + suffix + " }}", text)


def version_params(r: Recipient) -> dict[str, str]:
    params = {"name": r.name, "email": r.email, **r.params}
    params.update({f"{k}_html": htmllib.escape(v, quote=True) for k, v in list(params.items())})
    return params


def parse_time(value: Any) -> datetime:
    """Brevo's ``2017-05-01T12:30:00Z``, ``2020-10-09 00:00:00`` or epoch seconds, as UTC."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return datetime.now(UTC)


class BrevoProvider(HttpProvider):
    name: ClassVar[str] = "brevo"
    max_recipients: ClassVar[int] = 2000  # per request, one messageVersion each
    idempotent: ClassVar[bool] = True  # headers.idempotencyKey
    default_base_url = "https://api.brevo.com"

    @property
    def _auth(self) -> dict[str, str]:
        return {"api-key": self._api_key, "accept": "application/json"}

    def payload(self, batch: Batch) -> dict[str, Any]:
        """The JSON body for one batch (also used by tests to validate against the spec)."""
        d = self.settings.delivery
        msg = batch.message
        mailto = f"<mailto:{d.unsubscribe_mailto}?subject=unsubscribe>"
        headers: dict[str, str] = {"idempotencyKey": batch.idempotency_key, **batch.headers}
        if d.brevo_list_unsubscribe == "params":
            headers["List-Unsubscribe"] = "<{{ params.unsubscribe_url }}>, " + mailto
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        else:
            headers["List-Unsubscribe"] = mailto
        if batch.test:
            headers["X-HRC-Test"] = "yes"
        body: dict[str, Any] = {
            "sender": {"name": d.from_name[:70], "email": d.from_email},
            "subject": ("[TEST] " if batch.test else "") + to_brevo(msg.subject, html=False),
            "htmlContent": to_brevo(msg.html, html=True),
            "textContent": to_brevo(msg.text, html=False),
            "headers": headers,
            "messageVersions": [
                {
                    "to": [
                        {"email": r.email, "name": r.name[:70]} if r.name else {"email": r.email}
                    ],
                    "params": version_params(r),
                }
                for r in batch.recipients
            ],
            "tags": [f"edition-{msg.edition_key}", f"lang-{msg.lang}"],
        }
        if d.reply_to:
            body["replyTo"] = {"email": d.reply_to}
        return body

    async def send(self, batch: Batch) -> SendResult:
        resp = await request(
            self.client,
            self.name,
            "POST",
            f"{self.base_url}/v3/smtp/email",
            headers=self._auth,
            json_body=self.payload(batch),
            reset_headers=_RESET,
        )
        data = resp.json() if resp.content else {}
        ids: list[str] = list(data.get("messageIds") or [])
        if not ids and data.get("messageId"):
            ids = [data["messageId"]] * len(batch.recipients)
        message_ids = {r.subscriber_id: mid for r, mid in zip(batch.recipients, ids, strict=False)}
        detail = f"brevo accepted {len(batch.recipients)} recipient(s) ({resp.status_code})"
        if ids and len(ids) != len(batch.recipients):
            detail += f"; {len(ids)} message id(s) for {len(batch.recipients)} recipients"
        return SendResult(accepted=True, message_ids=message_ids, detail=detail)

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        """Blocked and unsubscribed transactional contacts since ``since`` (all pages)."""
        out: list[SuppressionEvent] = []
        start = since.astimezone(UTC).date()
        end = max(date.today(), start) + timedelta(days=1)
        offset, limit = 0, 100
        while True:
            resp = await request(
                self.client,
                self.name,
                "GET",
                f"{self.base_url}/v3/smtp/blockedContacts",
                headers=self._auth,
                params={
                    "startDate": start.isoformat(),
                    "endDate": end.isoformat(),
                    "limit": limit,
                    "offset": offset,
                    "sort": "asc",
                },
                reset_headers=_RESET,
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
    events = payload if isinstance(payload, list) else [payload]
    out: list[SuppressionEvent] = []
    for e in events:
        if not isinstance(e, dict):
            continue
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
