"""Which account each platform publishes to, from the environment; tokens from secrets (``HRC_*``
variables or Prefect Secret blocks), never the configuration file.

| platform  | variables (``HRC_`` + …)                                                               |
|-----------|----------------------------------------------------------------------------------------|
| mastodon  | ``MASTODON_BASE_URL``, ``MASTODON_ACCESS_TOKEN``                                       |
| bluesky   | ``BLUESKY_BASE_URL`` (https://bsky.social), ``BLUESKY_HANDLE``, ``BLUESKY_APP_PASSWORD`` |
| facebook  | ``FACEBOOK_BASE_URL`` (Graph API), ``FACEBOOK_PAGE_ID``, ``FACEBOOK_ACCESS_TOKEN``       |
| instagram | ``INSTAGRAM_BASE_URL`` (Graph API), ``INSTAGRAM_USER_ID``, ``INSTAGRAM_ACCESS_TOKEN``    |
| linkedin  | ``LINKEDIN_BASE_URL`` (https://api.linkedin.com), ``LINKEDIN_ORGANIZATION``,             |
|           | ``LINKEDIN_ACCESS_TOKEN``, ``LINKEDIN_VERSION`` (YYYYMM)                               |

Every platform also reads ``HRC_<PLATFORM>_LANGUAGES`` (comma-separated; default: the source
language): the languages whose posts go to that account.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Mapping

import httpx

from hrc_outreach.config import Settings, secret
from hrc_outreach.errors import ConfigError
from hrc_outreach.social.base import Publisher
from hrc_outreach.social.bluesky import BlueskyPublisher
from hrc_outreach.social.facebook import FacebookPublisher
from hrc_outreach.social.instagram import InstagramPublisher
from hrc_outreach.social.linkedin import VERSION, LinkedInPublisher
from hrc_outreach.social.mastodon import MastodonPublisher

GRAPH_API = "https://graph.facebook.com/v21.0"
PLATFORMS = ("export", "mastodon", "bluesky", "facebook", "instagram", "linkedin")
DEFAULT_BASE = {
    "bluesky": "https://bsky.social",
    "facebook": GRAPH_API,
    "instagram": GRAPH_API,
    "linkedin": "https://api.linkedin.com",
}


def _need(env: Mapping[str, str], name: str, platform: str, *, is_secret: bool = False) -> str:
    value = secret(name, env=dict(env)) if is_secret else env.get(f"HRC_{name}", "")
    if not value:
        kind = (
            "a secret (environment or Prefect Secret block hrc-"
            if is_secret
            else "an environment variable"
        )
        hint = f"{name.lower().replace('_', '-')})" if is_secret else ""
        raise ConfigError(
            f"publishing to {platform} needs HRC_{name}, {kind}{hint}; set it (see README, "
            "'Social publishing') or publish with --platform export"
        )
    value = value.strip()
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        # a line break inside a token would split the Authorization header (or be refused by
        # the HTTP library with the token in its message): name the variable, never the value
        raise ConfigError(
            f"HRC_{name} for {platform} holds a line break or another control character inside "
            "it (a copy-paste slip?); set it again as one line"
        )
    return value


def languages_for(
    platform: str, settings: Settings, env: Mapping[str, str] | None = None
) -> list[str]:
    """The languages whose posts go to ``platform``'s account."""
    env = os.environ if env is None else env
    raw = env.get(f"HRC_{platform.upper()}_LANGUAGES", "")
    if platform == "export" and not raw:
        return list(settings.i18n.languages)
    langs = [p.strip() for p in raw.split(",") if p.strip()]
    return langs or [settings.i18n.source_language]


def publisher_for(
    platform: str,
    client: httpx.Client,
    env: Mapping[str, str] | None = None,
    *,
    sleep: Callable[[float], None] | None = None,
) -> Publisher:
    """The publisher of ``platform`` (not ``export``) for the account the environment names."""
    env = os.environ if env is None else env
    if platform not in PLATFORMS or platform == "export":
        raise ConfigError(
            f"unknown platform {platform!r} to publish to; one of {', '.join(PLATFORMS[1:])}"
        )
    prefix = platform.upper()
    base = env.get(f"HRC_{prefix}_BASE_URL") or DEFAULT_BASE.get(platform, "")
    if not base:
        base = _need(env, f"{prefix}_BASE_URL", platform)
    extra = {"sleep": sleep} if sleep else {}
    if platform == "mastodon":
        token = _need(env, "MASTODON_ACCESS_TOKEN", platform, is_secret=True)
        return MastodonPublisher(client, base, access_token=token, **extra)
    if platform == "bluesky":
        return BlueskyPublisher(
            client,
            base,
            handle=_need(env, "BLUESKY_HANDLE", platform),
            app_password=_need(env, "BLUESKY_APP_PASSWORD", platform, is_secret=True),
            **extra,
        )
    if platform == "facebook":
        return FacebookPublisher(
            client,
            base,
            page_id=_need(env, "FACEBOOK_PAGE_ID", platform),
            access_token=_need(env, "FACEBOOK_ACCESS_TOKEN", platform, is_secret=True),
            **extra,
        )
    if platform == "instagram":
        return InstagramPublisher(
            client,
            base,
            user_id=_need(env, "INSTAGRAM_USER_ID", platform),
            access_token=_need(env, "INSTAGRAM_ACCESS_TOKEN", platform, is_secret=True),
            **extra,
        )
    return LinkedInPublisher(
        client,
        base,
        organization=_need(env, "LINKEDIN_ORGANIZATION", platform),
        access_token=_need(env, "LINKEDIN_ACCESS_TOKEN", platform, is_secret=True),
        version=env.get("HRC_LINKEDIN_VERSION") or VERSION,
        **extra,
    )
