"""Postmark: ``POST /email/batch``, one message per recipient with the placeholders filled here.

The answer is an array with one ``ErrorCode`` per message (0 = accepted): a refused recipient is
reported in ``SendResult.failed`` while the others count as accepted. A batch whose body would pass
Postmark's 50 MB limit is sent in several requests, in order. Postmark has no idempotency key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

from hrc_outreach.config import Table
from hrc_outreach.deliver.base import SuppressionEvent, SuppressionReason
from hrc_outreach.deliver.mime import (
    address,
    content_language,
    fill_placeholders,
    list_unsubscribe,
    subject_for,
)
from hrc_outreach.deliver.providers._http import (
    HttpProvider,
    no_outcome,
    part_failed,
    webhook_objects,
)
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import Batch, Recipient, SendResult

MAX_BODY_BYTES = 50 * 1000 * 1000
HARD_BOUNCES = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated"})
DUMP_REASONS: dict[str, SuppressionReason] = {
    "HardBounce": SuppressionReason.HARD_BOUNCE,
    "SpamComplaint": SuppressionReason.COMPLAINT,
    "ManualSuppression": SuppressionReason.UNSUBSCRIBED,
}


def parse_time(value: Any) -> datetime:
    """Postmark's ISO times (``2026-10-02T10:00:01.1234567-04:00``) as aware datetimes."""
    if not value:
        return datetime.now(UTC)
    text = str(value).replace("Z", "+00:00")
    # Postmark sends up to 7 fractional digits; Python reads at most 6
    if "." in text:
        head, _, rest = text.partition(".")
        tz_at = next((i for i, c in enumerate(rest) if not c.isdigit()), len(rest))
        digits, tz = rest[:tz_at], rest[tz_at:]
        text = f"{head}.{digits[:6]}{tz}"
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class PostmarkSettings(Table):
    """``[delivery.postmark]``."""

    stream: str = "broadcast"  # the MessageStream newsletters go out on


class PostmarkProvider(HttpProvider):
    name: ClassVar[str] = "postmark"
    settings_model: ClassVar[type[Table]] = PostmarkSettings
    options: PostmarkSettings
    max_recipients: ClassVar[int] = 500  # messages per request
    idempotent: ClassVar[bool] = False
    default_base_url = "https://api.postmarkapp.com"

    @property
    def _auth(self) -> dict[str, str]:
        return {"X-Postmark-Server-Token": self._api_key, "Accept": "application/json"}

    def message(self, batch: Batch, r: Recipient) -> dict[str, Any]:
        """One recipient's message in the batch body."""
        d = self.settings.delivery
        msg = batch.message
        params = {"name": r.name, "email": r.email, **r.params}
        headers = {
            **list_unsubscribe(params, self.settings),
            "Content-Language": content_language(msg.lang),
            **batch.headers,
        }
        if batch.test:
            headers["X-HRC-Test"] = "yes"
        out: dict[str, Any] = {
            "From": str(address(d.from_email, d.from_name)),
            "To": str(address(r.email, r.name)),
            "Subject": subject_for(msg, params, test=batch.test),
            "HtmlBody": fill_placeholders(msg.html, params, html=True, nonce=msg.nonce),
            "TextBody": fill_placeholders(msg.text, params, html=False, nonce=msg.nonce),
            "Headers": [{"Name": k, "Value": v} for k, v in headers.items()],
            "Tag": f"edition-{msg.edition_key}",
            "MessageStream": self.options.stream,
            "Metadata": {
                "subscriber_id": str(r.subscriber_id),
                "job": str(batch.job_id),
                "batch": str(batch.id),
            },
        }
        if d.reply_to:
            out["ReplyTo"] = d.reply_to
        return out

    def payloads(self, batch: Batch) -> list[list[dict[str, Any]]]:
        """The request bodies for one batch: one, unless 50 MB forces a split."""
        messages = [self.message(batch, r) for r in batch.recipients]
        size = len(json.dumps(messages, ensure_ascii=False).encode())
        parts = max(1, -(-size // MAX_BODY_BYTES))
        step = -(-len(messages) // parts)
        return [messages[i : i + step] for i in range(0, len(messages), step)]

    async def send(self, batch: Batch) -> SendResult:
        """Each request's answer is per message; a request that fails after earlier ones were
        accepted leaves its messages failed or in doubt and the later ones not sent."""
        ids: dict[int, str] = {}
        outcome = no_outcome()
        done = 0
        for body in self.payloads(batch):
            part = batch.recipients[done : done + len(body)]
            try:
                answers = await self._post(body)
            except ProviderError as exc:
                if done == 0:
                    raise
                rest = batch.recipients[done + len(part) :]
                part_failed(outcome, exc, part, rest, "request")
                break
            for r, a in zip(part, answers, strict=True):
                if a.get("ErrorCode", 0) == 0:
                    ids[r.subscriber_id] = str(a.get("MessageID", ""))
                else:
                    outcome["failed"][r.subscriber_id] = (
                        f"postmark refused it: {a.get('ErrorCode')} {a.get('Message', '')}"
                    )
            done += len(part)
        if not ids and not outcome["in_doubt"]:
            first = next(iter(outcome["failed"].values()), "no recipients")
            raise ProviderError(
                f"postmark refused every message of batch {batch.id}: {first}",
                provider=self.name,
                status=422,
            )
        return SendResult(
            accepted=True,
            message_ids=ids,
            detail=f"postmark accepted {len(ids)}, refused {len(outcome['failed'])}",
            **outcome,
        )

    async def _post(self, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        resp = await self._request("POST", "/email/batch", json_body=body)
        answers = resp.json()
        if not isinstance(answers, list) or len(answers) != len(body):
            n = len(answers) if isinstance(answers, list) else "no list of"
            raise ProviderError(
                f"postmark: /email/batch answered {n} results for {len(body)} messages; the "
                "messages may or may not have been accepted",
                provider=self.name,
                status=resp.status_code,
                in_doubt=True,
            )
        return [a if isinstance(a, dict) else {"ErrorCode": -1, "Message": str(a)} for a in answers]

    async def lookup(self, batch: Batch) -> dict[int, str] | None:
        """Postmark's outbound message search, filtered by the batch's metadata: subscriber id ->
        message id of every message of this batch that Postmark has on record."""
        wanted = {r.subscriber_id for r in batch.recipients}
        found: dict[int, str] = {}
        offset, count = 0, 500
        while True:
            resp = await self._request(
                "GET",
                "/messages/outbound",
                params={"count": count, "offset": offset, "metadata_batch": str(batch.id)},
            )
            rows = resp.json().get("Messages") or []
            for m in rows:
                meta = m.get("Metadata") or {}
                if str(meta.get("job")) != str(batch.job_id):
                    continue  # another job's batch with the same number (another store)
                try:
                    sub = int(meta.get("subscriber_id", ""))
                except ValueError:
                    continue
                if sub in wanted:
                    found[sub] = str(m.get("MessageID", ""))
            offset += count
            if len(rows) < count or offset + count > 10_000:  # the search's own limit
                return found

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        """Hard bounces (``GET /bounces``) and the stream's suppression list (dump)."""
        seen: set[tuple[str, str]] = set()
        out: list[SuppressionEvent] = []

        def add(email: str, reason: SuppressionReason, at: datetime, detail: str) -> None:
            if at >= since and (email.lower(), reason.value) not in seen:
                seen.add((email.lower(), reason.value))
                out.append(
                    SuppressionEvent(
                        email=email, reason=reason, at=at, provider=self.name, detail=detail
                    )
                )

        fromdate = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for kind in ("HardBounce", "SpamComplaint"):
            offset, count = 0, 500
            while True:
                resp = await self._request(
                    "GET",
                    "/bounces",
                    params={"count": count, "offset": offset, "type": kind, "fromdate": fromdate},
                )
                rows = resp.json().get("Bounces") or []
                for b in rows:
                    reason = (
                        SuppressionReason.COMPLAINT
                        if b.get("Type") == "SpamComplaint"
                        else SuppressionReason.HARD_BOUNCE
                    )
                    add(b["Email"], reason, parse_time(b.get("BouncedAt")), str(b.get("Type")))
                if len(rows) < count:
                    break
                offset += count
        stream = self.options.stream
        resp = await self._request(
            "GET",
            f"/message-streams/{stream}/suppressions/dump",
            params={"fromdate": since.astimezone(UTC).strftime("%Y-%m-%d")},
        )
        for s in resp.json().get("Suppressions") or []:
            why = DUMP_REASONS.get(str(s.get("SuppressionReason")))
            if why is not None:
                add(s["EmailAddress"], why, parse_time(s.get("CreatedAt")), str(s.get("Origin")))
        return out


def parse_webhook(payload: Any) -> list[SuppressionEvent]:
    """Postmark Bounce, SpamComplaint and SubscriptionChange webhooks (soft bounces ignored)."""
    out: list[SuppressionEvent] = []
    for e in webhook_objects(payload):
        kind = e.get("RecordType")
        if kind == "Bounce" and e.get("Type") in HARD_BOUNCES:
            reason = SuppressionReason.HARD_BOUNCE
            email, at = e.get("Email"), e.get("BouncedAt")
        elif kind == "SpamComplaint":
            reason = SuppressionReason.COMPLAINT
            email, at = e.get("Email"), e.get("BouncedAt")
        elif kind == "SubscriptionChange" and e.get("SuppressSending"):
            reason = DUMP_REASONS.get(
                str(e.get("SuppressionReason")), SuppressionReason.UNSUBSCRIBED
            )
            email, at = e.get("Recipient"), e.get("ChangedAt")
        else:
            continue
        if email:
            out.append(
                SuppressionEvent(
                    email=email,
                    reason=reason,
                    at=parse_time(at),
                    provider="postmark",
                    detail=str(e.get("Description") or e.get("Type") or kind),
                )
            )
    return out
