"""SendGrid: ``POST /v3/mail/send`` with one personalization per recipient.

The neutral ``[[x]]`` strings are used as substitution keys directly; the HTML part uses
``[[x_html]]`` keys whose values are HTML-escaped (SendGrid substitutes the same keys in every part).
Each personalization carries that person's ``List-Unsubscribe`` headers and ``custom_args`` with the
subscriber id, so webhook events can be matched back. SendGrid has no idempotency key.
"""

from __future__ import annotations

import html as htmllib
from datetime import UTC, datetime
from typing import Any, ClassVar

from hrc_outreach.config import Table
from hrc_outreach.deliver.base import SuppressionEvent, SuppressionReason
from hrc_outreach.deliver.mime import content_language, list_unsubscribe
from hrc_outreach.deliver.providers._http import HttpProvider, webhook_objects
from hrc_outreach.models import (
    PLACEHOLDERS,
    Batch,
    Recipient,
    SendResult,
    placeholder,
    placeholder_pattern,
)

_SUPPRESSION_LISTS: dict[str, SuppressionReason] = {
    "bounces": SuppressionReason.HARD_BOUNCE,
    "spam_reports": SuppressionReason.COMPLAINT,
    "unsubscribes": SuppressionReason.UNSUBSCRIBED,
}
WEBHOOK_EVENTS: dict[str, SuppressionReason] = {
    "bounce": SuppressionReason.HARD_BOUNCE,
    "spamreport": SuppressionReason.COMPLAINT,
    "unsubscribe": SuppressionReason.UNSUBSCRIBED,
    "group_unsubscribe": SuppressionReason.UNSUBSCRIBED,
}


def html_keys(text: str, nonce: str = "") -> str:
    """``[[name.<nonce>]]`` -> ``[[name_html.<nonce>]]``, for the HTML part."""
    return placeholder_pattern(nonce).sub(lambda m: placeholder(f"{m.group(1)}_html", nonce), text)


def substitutions(r: Recipient, keys: set[str], nonce: str = "") -> dict[str, str]:
    """One recipient's substitutions. The keys are the render's own placeholders, which carry its
    random nonce: no text in the content can be (or overwrite) one of them."""
    values = {"name": r.name, "email": r.email, **r.params}
    out: dict[str, str] = {}
    for key in keys | set(PLACEHOLDERS):
        v = values.get(key, "")
        out[placeholder(key, nonce)] = v
        out[placeholder(f"{key}_html", nonce)] = htmllib.escape(v, quote=True)
    return out


class SendGridSettings(Table):
    """``[delivery.sendgrid]``."""

    # SendGrid's Email Activity API (a paid add-on) settles in-doubt batches when enabled
    email_activity: bool = False


class SendGridProvider(HttpProvider):
    name: ClassVar[str] = "sendgrid"
    settings_model: ClassVar[type[Table]] = SendGridSettings
    options: SendGridSettings
    max_recipients: ClassVar[int] = 1000  # personalizations per request
    idempotent: ClassVar[bool] = False
    default_base_url = "https://api.sendgrid.com"
    reset_headers: ClassVar[tuple[str, ...]] = ("x-ratelimit-reset",)

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}

    def payload(self, batch: Batch) -> dict[str, Any]:
        """The JSON body for one batch."""
        d = self.settings.delivery
        msg = batch.message
        keys = set(placeholder_pattern(msg.nonce).findall(msg.html + msg.text + msg.subject))
        personalizations = []
        for r in batch.recipients:
            values = {"name": r.name, "email": r.email, **r.params}
            to = {"email": r.email, "name": r.name} if r.name else {"email": r.email}
            personalizations.append(
                {
                    "to": [to],
                    "substitutions": substitutions(r, keys, msg.nonce),
                    "headers": list_unsubscribe(values, self.settings),
                    "custom_args": {
                        "subscriber_id": str(r.subscriber_id),
                        "job_id": str(batch.job_id),
                        "batch_id": str(batch.id),
                    },
                }
            )
        headers = {"Content-Language": content_language(msg.lang), **batch.headers}
        if batch.test:
            headers["X-HRC-Test"] = "yes"
        body: dict[str, Any] = {
            "personalizations": personalizations,
            "from": {"email": d.from_email, "name": d.from_name},
            "subject": ("[TEST] " if batch.test else "") + msg.subject,
            "content": [
                {"type": "text/plain", "value": msg.text or " "},
                {"type": "text/html", "value": html_keys(msg.html, msg.nonce) or " "},
            ],
            "headers": headers,
            "categories": [f"edition-{msg.edition_key}", f"lang-{msg.lang}"],
        }
        if d.reply_to:
            body["reply_to"] = {"email": d.reply_to}
        return body

    async def send(self, batch: Batch) -> SendResult:
        resp = await self._request("POST", "/v3/mail/send", json_body=self.payload(batch))
        mid = resp.headers.get("x-message-id", "")
        ids = {r.subscriber_id: mid for r in batch.recipients} if mid else {}
        return SendResult(
            accepted=True,
            message_ids=ids,
            detail=f"sendgrid accepted {len(batch.recipients)} recipient(s) ({resp.status_code})",
        )

    async def lookup(self, batch: Batch) -> dict[int, str] | None:
        """SendGrid's Email Activity (a paid add-on: ``[delivery.sendgrid] email_activity``),
        searched by the batch's ``custom_args``; None where it is not enabled."""
        if not self.options.email_activity:
            return None
        query = (
            f"unique_args['job_id']=\"{batch.job_id}\" AND unique_args['batch_id']=\"{batch.id}\""
        )
        resp = await self._request("GET", "/v3/messages", params={"limit": 1000, "query": query})
        by_email = {r.email.lower(): r.subscriber_id for r in batch.recipients}
        found: dict[int, str] = {}
        for m in resp.json().get("messages") or []:
            # any status (processed, delivered, not_delivered) means SendGrid took the request
            sub = by_email.get(str(m.get("to_email", "")).lower())
            if sub is not None:
                found[sub] = str(m.get("msg_id", ""))
        return found

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        """Bounces, spam reports and global unsubscribes created since ``since``."""
        out: list[SuppressionEvent] = []
        start = int(since.timestamp())
        end = int(datetime.now(UTC).timestamp()) + 60
        limit = 500
        for path, reason in _SUPPRESSION_LISTS.items():
            offset = 0
            while True:
                resp = await self._request(
                    "GET",
                    f"/v3/suppression/{path}",
                    params={"start_time": start, "end_time": end, "limit": limit, "offset": offset},
                )
                rows = resp.json() or []
                for row in rows:
                    status = str(row.get("status", ""))
                    if status.startswith("4"):  # a temporary failure is not a suppression
                        continue
                    out.append(
                        SuppressionEvent(
                            email=row["email"],
                            reason=reason,
                            at=datetime.fromtimestamp(int(row.get("created", start)), UTC),
                            provider=self.name,
                            detail=str(row.get("reason") or path),
                        )
                    )
                if len(rows) < limit:
                    break
                offset += limit
        return out


def parse_webhook(payload: Any) -> list[SuppressionEvent]:
    """SendGrid Event Webhook (a JSON array): bounces (not blocks), spam reports, unsubscribes."""
    out: list[SuppressionEvent] = []
    for e in webhook_objects(payload):
        kind = str(e.get("event", ""))
        reason = WEBHOOK_EVENTS.get(kind)
        if reason is None or not e.get("email"):
            continue
        # type "blocked" is a temporary refusal by the receiving server, not a dead address
        if kind == "bounce" and e.get("type") == "blocked":
            continue
        if kind == "bounce" and str(e.get("bounce_classification", "")).lower() in (
            "technical",
            "content",
            "reputation",
            "frequency or volume too high",
        ):
            continue
        out.append(
            SuppressionEvent(
                email=e["email"],
                reason=reason,
                at=datetime.fromtimestamp(int(e.get("timestamp", 0)), UTC),
                provider="sendgrid",
                detail=str(e.get("reason") or kind),
            )
        )
    return out
