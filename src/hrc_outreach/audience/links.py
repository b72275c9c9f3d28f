"""Per-recipient links: the values of the neutral placeholders, and the List-Unsubscribe mailto.

The token secret is ``HRC_TOKEN_SECRET`` (or the Prefect Secret block ``hrc-token-secret``). With
the ``outbox`` provider and no secret configured, a random one is generated once and kept in
``token-secret`` (mode 0600) beside the default SQLite store, so the demo works. With a real provider
and no configured secret we refuse to run: a secret that lives in one machine's ``var/`` folder
breaks every unsubscribe link already sent once that folder is lost or the web app runs elsewhere.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from hrc_outreach.audience.tokens import make_token

# the token secret is resolved in config, because the store keys the address hash with it too
from hrc_outreach.config import MIN_SECRET_LENGTH, Settings, secret_file, token_secret
from hrc_outreach.models import display_name

log = logging.getLogger(__name__)
__all__ = [
    "MIN_SECRET_LENGTH",
    "Links",
    "links_for",
    "list_unsubscribe_headers",
    "recipient_params",
    "secret_file",
    "token_secret",
    "unsubscribe_mailto",
]


class Links:
    """Builds the links for one configuration; build once, call per recipient (HMAC, no I/O).

    >>> links = Links(Settings(), secret=b"0123456789abcdef")
    >>> links.unsubscribe_url(7).startswith("https://outreach.humanrightscities.net/u/")
    True
    """

    def __init__(self, settings: Settings, *, secret: bytes | None = None) -> None:
        self.settings = settings
        self.secret = secret if secret is not None else token_secret(settings)
        self.base_url = settings.web.base_url.rstrip("/")
        self.mailto = settings.delivery.unsubscribe_mailto
        self.confirm_days = settings.audience.confirm_token_days

    def unsubscribe_url(self, subscriber_id: int) -> str:
        return f"{self.base_url}/u/{make_token(self.secret, 'unsubscribe', subscriber_id)}"

    def preferences_url(self, subscriber_id: int) -> str:
        return f"{self.base_url}/p/{make_token(self.secret, 'preferences', subscriber_id)}"

    def confirm_token(self, subscriber_id: int, *, now: datetime | None = None) -> str:
        expires = (now or datetime.now(UTC)) + timedelta(days=self.confirm_days)
        return make_token(self.secret, "confirm", subscriber_id, expires=expires)

    def confirm_url(self, subscriber_id: int, *, now: datetime | None = None) -> str:
        return f"{self.base_url}/c/{self.confirm_token(subscriber_id, now=now)}"

    def unsubscribe_mailto(self, subscriber_id: int) -> str:
        return self._mailto(make_token(self.secret, "unsubscribe", subscriber_id))

    def _mailto(self, token: str) -> str:
        # what :func:`hrc_outreach.audience.consent.unsubscribe_by_mail` reads back
        return f"mailto:{self.mailto}?subject={quote('unsubscribe ' + token)}"

    def params(self, *, subscriber_id: int, email: str, name: str) -> dict[str, str]:
        unsubscribe = make_token(self.secret, "unsubscribe", subscriber_id)
        return {
            "unsubscribe_url": f"{self.base_url}/u/{unsubscribe}",
            "preferences_url": self.preferences_url(subscriber_id),
            "name": display_name(name),  # may stand in the subject: one line
            "email": email,
            # the List-Unsubscribe mailto, token in its subject (headers only, never in the body)
            "unsubscribe_mailto": self._mailto(unsubscribe),
        }

    def list_unsubscribe_headers(self, subscriber_id: int) -> dict[str, str]:
        """``List-Unsubscribe`` (https + tokenised mailto) and the RFC 8058 one-click header: the
        same headers every provider sends, built from :meth:`params` by
        :func:`hrc_outreach.deliver.mime.list_unsubscribe`."""
        from hrc_outreach.deliver.mime import list_unsubscribe  # deliver sits after audience

        params = self.params(subscriber_id=subscriber_id, email="", name="")
        return list_unsubscribe(params, self.settings)


# One Links per Settings object, found by identity (Settings holds lists, so it is not hashable);
# the strong reference to the settings keeps its id from being reused while cached.
_CACHE: dict[int, tuple[Settings, Links]] = {}


def links_for(settings: Settings) -> Links:
    """The cached :class:`Links` of ``settings``."""
    hit = _CACHE.get(id(settings))
    if hit is not None and hit[0] is settings:
        return hit[1]
    if len(_CACHE) > 64:
        _CACHE.clear()
    links = Links(settings)
    _CACHE[id(settings)] = (settings, links)
    return links


def recipient_params(
    settings: Settings, *, subscriber_id: int, email: str, name: str, lang: str
) -> dict[str, str]:
    """Values of :data:`hrc_outreach.models.PLACEHOLDERS` for one recipient.

    ``lang`` is accepted so callers need not care which placeholders depend on it (none do yet:
    the web pages read the language from the subscriber).
    """
    return links_for(settings).params(subscriber_id=subscriber_id, email=email, name=name)


def unsubscribe_mailto(
    settings: Settings, *, subscriber_id: int, email: str = "", name: str = "", lang: str = ""
) -> str:
    """The ``mailto:`` part of List-Unsubscribe, carrying a signed token in the subject."""
    return links_for(settings).unsubscribe_mailto(subscriber_id)


def list_unsubscribe_headers(settings: Settings, *, subscriber_id: int) -> dict[str, str]:
    """``List-Unsubscribe`` and ``List-Unsubscribe-Post`` for one recipient."""
    return links_for(settings).list_unsubscribe_headers(subscriber_id)
