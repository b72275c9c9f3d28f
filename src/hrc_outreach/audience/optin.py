"""The double opt-in email: rendered in the subscriber's language, sent through the configured
provider (the outbox by default), outside any send job.

>>> await send_confirmation(settings, subscriber, token)          # doctest: +SKIP
SendResult(accepted=True, ...)
"""

from __future__ import annotations

import uuid

from hrc_outreach.audience.links import recipient_params
from hrc_outreach.config import Settings
from hrc_outreach.deliver.base import Provider
from hrc_outreach.i18n.catalog import text_direction
from hrc_outreach.models import Batch, Recipient, RenderedMessage, SendResult, Subscriber
from hrc_outreach.render.environment import environment

OPTIN_KEY = "opt-in"  # the outbox folder and edition key of these messages


def confirm_url(settings: Settings, token: str) -> str:
    """The public confirmation page of ``token`` (served by the web app at ``/confirm/``)."""
    return f"{settings.web.base_url.rstrip('/')}/confirm/{token}"


def confirmation_message(settings: Settings, lang: str, url: str) -> RenderedMessage:
    """The confirmation email in ``lang`` with the link ``url`` (one recipient: no placeholders)."""
    env = environment(lang)
    context = {
        "lang": lang,
        "html_lang": lang.replace("_", "-"),
        "dir": text_direction(lang),
        "url": url,
        "newsletter": settings.newsletter,
        "days": int(settings.audience.confirm_token_days),
    }
    subject = env.get_template("web/public/optin_subject.txt.j2").render(**context).strip()
    return RenderedMessage(
        edition_key=OPTIN_KEY,
        lang=lang,
        dir=text_direction(lang),
        subject=subject,
        preheader="",
        html=env.get_template("web/public/optin_email.html.j2").render(subject=subject, **context),
        text=env.get_template("web/public/optin_email.txt.j2").render(subject=subject, **context),
    )


async def send_confirmation(
    settings: Settings, subscriber: Subscriber, token: str, *, provider: Provider | None = None
) -> SendResult:
    """Send ``subscriber`` the link that confirms their subscription, in their language."""
    from hrc_outreach.deliver.providers import provider_for  # deliver sits after audience

    message = confirmation_message(settings, subscriber.language, confirm_url(settings, token))
    params = recipient_params(
        settings,
        subscriber_id=subscriber.id,
        email=subscriber.email,
        name=subscriber.name,
        lang=subscriber.language,
    )
    batch = Batch(
        id=0,
        job_id=0,
        lang=subscriber.language,
        message=message,
        recipients=(
            Recipient(
                subscriber_id=subscriber.id,
                email=subscriber.email,
                name=subscriber.name,
                params=params,
            ),
        ),
        idempotency_key=str(uuid.uuid4()),
        headers={"X-HRC-Message": OPTIN_KEY},
    )
    own = provider is None
    prov = provider or provider_for(settings)
    try:
        return await prov.send(batch)
    finally:
        if own:
            await prov.aclose()


__all__ = ["OPTIN_KEY", "confirm_url", "confirmation_message", "send_confirmation"]
