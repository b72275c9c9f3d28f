"""Provider webhooks ``POST /webhooks/{brevo|sendgrid|postmark}``: authenticated as each provider
allows, parsed by :func:`hrc_outreach.deliver.webhooks.parse_webhook`, applied by
:func:`hrc_outreach.audience.consent.apply_suppressions` in one transaction (a few bulk
statements per delivery, whatever the number of events).

Credentials (read once when the app starts, from the environment or Prefect Secret blocks):

- SendGrid signed event webhook: ``HRC_SENDGRID_WEBHOOK_PUBLIC_KEY`` (the base64 DER public key
  SendGrid shows); ECDSA P-256 / SHA-256 over ``timestamp + raw body``.
- Postmark: basic auth in the webhook URL, ``HRC_POSTMARK_WEBHOOK_USER`` and
  ``HRC_POSTMARK_WEBHOOK_PASSWORD``.
- Brevo: ``HRC_BREVO_WEBHOOK_TOKEN`` (``Authorization: Bearer``) and/or basic auth with
  ``HRC_BREVO_WEBHOOK_USER`` and ``HRC_BREVO_WEBHOOK_PASSWORD``.

Answers: 200 applied (``{"events": N, "changed": M}``) (the same event twice changes nothing the second time), 400 a body that is
not the provider's JSON (nothing changed), 401 missing or wrong credentials or signature (nothing
changed), 404 an unknown provider, 503 a provider whose credentials are not configured.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hrc_outreach.audience.consent import apply_suppressions
from hrc_outreach.config import secret
from hrc_outreach.deliver.base import SuppressionEvent
from hrc_outreach.deliver.webhooks import parse_webhook, parsers
from hrc_outreach.errors import ConfigError, ProviderError
from hrc_outreach.store import Store

log = logging.getLogger(__name__)
router = APIRouter()
parsers()  # the providers' parsers are imported with the app, not in the first delivery
MAX_BODY_BYTES = 8 * 1024 * 1024  # a SendGrid batch of ~1,000 events is well under 1 MB
SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
# The JSON shape each provider posts: SendGrid an array, Postmark an object, Brevo either.
_SHAPES: dict[str, tuple[type, ...]] = {
    "sendgrid": (list,),
    "postmark": (dict,),
    "brevo": (dict, list),
}


@dataclass(frozen=True)
class WebhookCredentials:
    """What authenticates each provider's webhook; None where it is not configured."""

    sendgrid_key: ec.EllipticCurvePublicKey | None = None
    postmark_basic: tuple[str, str] | None = None
    brevo_basic: tuple[str, str] | None = None
    brevo_token: str | None = None

    @classmethod
    def from_secrets(cls, env: dict[str, str] | None = None) -> WebhookCredentials:
        """Read the ``HRC_*_WEBHOOK_*`` secrets; ConfigError naming one that is malformed."""
        raw_key = secret("SENDGRID_WEBHOOK_PUBLIC_KEY", env=env)
        return cls(
            sendgrid_key=sendgrid_public_key(raw_key) if raw_key else None,
            postmark_basic=_pair("POSTMARK", env),
            brevo_basic=_pair("BREVO", env),
            brevo_token=secret("BREVO_WEBHOOK_TOKEN", env=env) or None,
        )


def _pair(provider: str, env: dict[str, str] | None) -> tuple[str, str] | None:
    user = secret(f"{provider}_WEBHOOK_USER", env=env)
    password = secret(f"{provider}_WEBHOOK_PASSWORD", env=env)
    if bool(user) != bool(password):
        raise ConfigError(
            f"set both HRC_{provider}_WEBHOOK_USER and HRC_{provider}_WEBHOOK_PASSWORD, or neither"
        )
    return (user, password) if user and password else None


def sendgrid_public_key(value: str) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key: base64 DER SubjectPublicKeyInfo of a P-256 key (a PEM block
    is accepted too)."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        text = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    try:
        key = load_der_public_key(base64.b64decode(text, validate=False))
    except (ValueError, binascii.Error) as exc:
        raise ConfigError(
            "HRC_SENDGRID_WEBHOOK_PUBLIC_KEY is not a base64 DER public key: copy the "
            f"verification key from SendGrid's Mail Settings > Event Webhook ({exc})"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ConfigError("HRC_SENDGRID_WEBHOOK_PUBLIC_KEY must be an ECDSA P-256 public key")
    return key


def verify_sendgrid(
    key: ec.EllipticCurvePublicKey, signature_b64: str, timestamp: str, body: bytes
) -> bool:
    """True when ``signature_b64`` (base64 DER ECDSA) signs ``timestamp + body`` with ``key``."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(signature, timestamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error, UnicodeEncodeError):
        return False
    return True


def _basic(header: str, expected: tuple[str, str]) -> bool:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    ok_user = hmac.compare_digest(user.encode(), expected[0].encode())
    ok_password = hmac.compare_digest(password.encode(), expected[1].encode())
    return bool(sep) and ok_user and ok_password


def _bearer(header: str, expected: str) -> bool:
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), expected.encode()
    )


def authenticate(provider: str, creds: WebhookCredentials, headers: Any, body: bytes) -> int:
    """0 when the request is authentic, else the status to answer (401, or 503 unconfigured)."""
    auth = headers.get("authorization", "")
    if provider == "sendgrid":
        if creds.sendgrid_key is None:
            return 503
        sig, ts = headers.get(SIGNATURE_HEADER, ""), headers.get(TIMESTAMP_HEADER, "")
        return 0 if sig and ts and verify_sendgrid(creds.sendgrid_key, sig, ts, body) else 401
    if provider == "postmark":
        if creds.postmark_basic is None:
            return 503
        return 0 if _basic(auth, creds.postmark_basic) else 401
    if creds.brevo_basic is None and creds.brevo_token is None:
        return 503
    if creds.brevo_token and _bearer(auth, creds.brevo_token):
        return 0
    if creds.brevo_basic and _basic(auth, creds.brevo_basic):
        return 0
    return 401


def apply_events(store: Store, events: list[SuppressionEvent]) -> int:
    """Apply suppressions in one transaction; the number that changed anything."""
    with store.session() as s:
        return apply_suppressions(s, events)


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"error": detail}, status_code=status)


@router.post("/webhooks/{provider}")
async def webhook(request: Request, provider: str) -> JSONResponse:
    """Receive one webhook delivery from ``provider``."""
    if provider not in _SHAPES:
        return _problem(404, f"no webhook for {provider!r}; known: {', '.join(_SHAPES)}")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        return _problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
    creds: WebhookCredentials = request.app.state.webhook_credentials
    refused = authenticate(provider, creds, request.headers, body)
    if refused == 503:
        log.warning("%s webhook refused: its credentials are not configured", provider)
        return _problem(503, f"the {provider} webhook is not configured on this server")
    if refused:
        log.warning("%s webhook refused: bad credentials or signature", provider)
        return _problem(401, "bad credentials or signature")
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _problem(400, f"the body is not JSON as {provider} sends it")
    if not isinstance(data, _SHAPES[provider]):
        return _problem(400, f"{provider} posts a JSON {_SHAPES[provider][0].__name__}")
    try:
        events = parse_webhook(provider, cast(Any, data))
    except ProviderError:
        return _problem(400, f"the body is not a {provider} event")
    changed = await run_in_threadpool(apply_events, request.app.state.store, events)
    log.info("%s webhook: %d suppression event(s), %d change(s)", provider, len(events), changed)
    return JSONResponse({"events": len(events), "changed": changed})
