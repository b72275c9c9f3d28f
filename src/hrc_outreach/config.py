"""Settings: one TOML file (``outreach.toml``), every value overridable by an ``HRC_*`` variable.

Precedence, highest first: keyword arguments, environment, the file, the defaults below.

Environment names: ``HRC_<SECTION>__<KEY>`` for any value (``HRC_DELIVERY__FROM_EMAIL``), plus the
short aliases ``HRC_DATABASE_URL``, ``HRC_PROVIDER``, ``HRC_LANGUAGES`` (comma-separated),
``HRC_TOKEN_SECRET``, ``HRC_BASE_URL``. Provider and translator credentials are read by
:func:`secret` as ``HRC_<NAME>_API_KEY`` / ``HRC_<NAME>_BASE_URL``; they never live in the file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets as pysecrets
import tomllib
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from hrc_outreach.errors import ConfigError

DEFAULT_CONFIG_NAME = "outreach.toml"
DEFAULT_LANGUAGES = ["en", "fr", "nl", "de", "es", "it", "pt_PT", "pl", "hu", "uk", "ar"]


class SourceKind(StrEnum):
    FEED = "feed"
    ICAL = "ical"
    WORDPRESS = "wordpress"
    SPREADSHEET = "spreadsheet"
    MARKDOWN = "markdown"
    DIGEST = "digest"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Table(BaseModel):
    """Base of the tables a higher layer declares for itself (a source kind's options, a
    provider's settings): unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_T = TypeVar("_T", bound=BaseModel)


def _problems(exc: ValidationError) -> str:
    out = []
    for e in exc.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(the table)"
        if e["type"] == "extra_forbidden":
            out.append(f"unknown key {key!r}")
        else:
            out.append(f"{key}: {e['msg']}")
    return "; ".join(out)


def read_table(model: type[_T], data: Any, where: str) -> _T:
    """``data`` validated as ``model``; a :class:`ConfigError` naming ``where`` and the key otherwise.

    >>> read_table(FetchSettings, {"retries": 2}, "[fetch]").retries
    2
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        known = ", ".join(model.model_fields) or "none"
        raise ConfigError(f"{where}: {_problems(exc)} (known keys: {known})") from exc


class SourceConfig(BaseModel):
    """One ``[[sources]]`` table. Kind-specific keys (``columns``, ``window_days``...) are
    :attr:`options`, typed by the kind's own ``Options`` model (``sources.registry.options_for``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    kind: SourceKind
    url: str | None = None
    path: Path | None = None
    item_kind: Literal["practice", "project_update", "event", "news"] = "news"
    language: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True

    @property
    def options(self) -> dict[str, Any]:
        """The kind-specific keys of this table (everything not declared above)."""
        return dict(self.model_extra or {})

    @property
    def location(self) -> str:
        """The URL or path, for messages."""
        return self.url or (str(self.path) if self.path else "")


class StoreSettings(_Section):
    url: str = "sqlite:///var/outreach.db"


class FetchSettings(_Section):
    concurrency: int = 20  # sources are on different hosts: waiting, not CPU, dominates
    timeout_seconds: float = 20.0
    retries: int = 3
    backoff_seconds: float = 0.5
    max_response_bytes: int = 10 * 1024 * 1024
    user_agent: str = "hrc-outreach/0.1 (+https://humanrightscities.net)"
    # httpx's timeouts are per read: these total bounds hold against a server that trickles bytes
    source_deadline_seconds: float = 120.0  # one source, retries and pages included
    run_deadline_seconds: float = 900.0  # a whole gather run


class NewsletterSettings(_Section):
    name: str = "The Human Rights Readers"
    organisation: str = "Human Rights Cities Network"
    address: str = "Rue de la Loi 155, 1040 Brussels, Belgium"
    website: str = "https://humanrightscities.net"
    logo_url: str = ""  # empty: the shipped logo, published at <web.base_url>/archive/logo.png
    editions_dir: Path = Path("editions")
    first_issue: str = "2025-01"
    time_zone: str = "Europe/Brussels"
    brand_color: str = "#0b5394"
    accent_color: str = "#c0392b"
    social: dict[str, str] = Field(
        default_factory=lambda: {
            "instagram": "https://www.instagram.com/humanrightscities",
            "facebook": "https://www.facebook.com/humanrightscities",
            "linkedin": "https://www.linkedin.com/company/human-rights-cities-network",
        }
    )


class CurateSettings(_Section):
    event_window_days: int = 60
    caps: dict[str, int] = Field(
        default_factory=lambda: {"practice": 6, "project_update": 4, "event": 6, "news": 4}
    )
    # summaries longer than this (in characters of text) are cut at a sentence or word end, with "…"
    summary_max_chars: int = Field(default=600, ge=40)
    # an upcoming event featured by an earlier sent edition returns as a one-line reminder
    event_reminders: bool = True
    # cities as the network writes them, whatever the source says: {"Nikolaev": "Mykolaiv"}
    place_aliases: dict[str, str] = Field(default_factory=dict)


class I18nSettings(_Section):
    languages: list[str] = Field(default_factory=lambda: list(DEFAULT_LANGUAGES))
    source_language: str = "en"
    untranslated: Literal["source", "omit"] = "source"
    # a language with a smaller share of its strings translated is held back: its subscribers
    # get the source-language edition (i18n.coverage); 0 holds back none
    min_coverage: float = Field(default=0.0, ge=0.0, le=1.0)
    translator: Literal["none", "deepl", "libretranslate"] = "none"
    formality: Literal["default", "more", "less", "prefer_more", "prefer_less"] = "prefer_more"
    detect_threshold: float = 0.9

    @field_validator("languages", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [p.strip() for p in v.split(",") if p.strip()]
        return v


# The flat provider keys of old, now in [delivery.<provider>] tables (read with a warning)
_OLD_PROVIDER_KEYS: dict[str, tuple[str, str]] = {
    "smtp_host": ("smtp", "host"),
    "smtp_port": ("smtp", "port"),
    "smtp_starttls": ("smtp", "starttls"),
    "smtp_username": ("smtp", "username"),
    "smtp_ssl": ("smtp", "ssl"),
    "smtp_timeout_seconds": ("smtp", "timeout_seconds"),
    "postmark_stream": ("postmark", "stream"),
    "sendgrid_email_activity": ("sendgrid", "email_activity"),
    "brevo_list_unsubscribe": ("brevo", "list_unsubscribe"),
}


class DeliverySettings(_Section):
    """``[delivery]``: what every provider shares. A provider's own keys are in its
    ``[delivery.<provider>]`` table, declared and checked by the provider's module."""

    provider: str = "outbox"  # a name in deliver.providers (checked there)
    from_email: str = "newsletter@humanrightscities.net"
    from_name: str = "Human Rights Cities Network"
    reply_to: str = "info@humanrightscities.net"
    unsubscribe_mailto: str = "unsubscribe@humanrightscities.net"
    outbox_dir: Path = Path("out/outbox")
    # kept copies (outbox .eml files) older than this are purged by the daily flow; 0 keeps them
    outbox_retention_days: int = Field(default=90, ge=0)
    concurrency: int = 4
    # the monthly flow's send step: this many sender tasks claim batches of the same job at once
    sender_tasks: int = Field(default=2, ge=1)
    rate_per_second: float = 10.0
    retries: int = 5
    backoff_seconds: float = 1.0  # first retry after up to this (doubling), unless Retry-After
    # a sender renews its claims every quarter of this; a claim older than this is a dead sender's
    claim_lease_seconds: float = 120.0
    # [delivery.<provider>] tables, raw: each provider module validates its own
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _provider_tables(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        tables: dict[str, dict[str, Any]] = {
            k: dict(v) for k, v in dict(data.pop("providers", None) or {}).items()
        }
        old: list[str] = []
        for key in list(data):
            value = data[key]
            if isinstance(value, dict) and key not in cls.model_fields:
                tables.setdefault(key, {}).update(data.pop(key))
        for key in list(data):
            if key in _OLD_PROVIDER_KEYS:
                provider, new = _OLD_PROVIDER_KEYS[key]
                old.append(f"{key} -> [delivery.{provider}] {new}")
                tables.setdefault(provider, {}).setdefault(new, data.pop(key))  # a table wins
        if old:
            warnings.warn(
                f"deprecated keys in [delivery], write them in the provider's table: {'; '.join(old)}",
                FutureWarning,
                stacklevel=2,
            )
        data["providers"] = tables
        return data

    @field_validator("provider")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.strip().lower()

    def provider_settings(self, provider: str, model: type[_T]) -> _T:
        """The ``[delivery.<provider>]`` table read as the provider's own ``model``.

        >>> class Own(Table):
        ...     stream: str = "broadcast"
        >>> DeliverySettings(postmark={"stream": "news"}).provider_settings("postmark", Own).stream
        'news'
        """
        return read_table(model, self.providers.get(provider, {}), f"[delivery.{provider}]")


class AudienceSettings(_Section):
    """Subscribers: how long a double opt-in link lasts; where the named segments are defined."""

    confirm_token_days: float = 7.0
    segments_file: Path | None = None  # default: subscribers/segments.yaml of the project


class WebSettings(_Section):
    base_url: str = "https://outreach.humanrightscities.net"


class ApprovalSettings(_Section):
    timeout_days: float = 7.0
    poll_seconds: int = 10
    # who is told that an edition waits (and again a day before the wait times out): these
    # addresses, or, when empty, every staff account that can approve (approver, admin)
    notify: list[str] = Field(default_factory=list)
    # the staff pages' public address, for the links in that email (empty: web.base_url)
    review_base_url: str = ""


class PublishSettings(_Section):
    """Where published files (archive pages, feeds, image cards) go: a folder or an fsspec URL
    (file:///srv/outreach, s3://bucket/prefix); empty: the out_dir folder."""

    url: str = ""


class Settings(BaseModel):
    """Everything hrc-outreach reads from its configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    config_path: Path | None = None
    store: StoreSettings = StoreSettings()
    fetch: FetchSettings = FetchSettings()
    newsletter: NewsletterSettings = NewsletterSettings()
    curate: CurateSettings = CurateSettings()
    i18n: I18nSettings = I18nSettings()
    delivery: DeliverySettings = DeliverySettings()
    web: WebSettings = WebSettings()
    audience: AudienceSettings = AudienceSettings()
    approval: ApprovalSettings = ApprovalSettings()
    publish: PublishSettings = PublishSettings()
    out_dir: Path = Path("out")
    sources: tuple[SourceConfig, ...] = ()

    @property
    def base_dir(self) -> Path:
        """Relative paths in the file are relative to the file's folder (else the working directory)."""
        return self.config_path.parent if self.config_path else Path.cwd()

    def resolve(self, path: Path | str) -> Path:
        """A path from the configuration, made absolute against :attr:`base_dir`."""
        p = Path(path)
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def database_url(self) -> str:
        """The store's URL; a relative SQLite path is resolved against :attr:`base_dir`."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} in the configuration (known: {known})")


# Short environment aliases -> (section, key)
_ALIASES: dict[str, tuple[str, str]] = {
    "HRC_DATABASE_URL": ("store", "url"),
    "HRC_PROVIDER": ("delivery", "provider"),
    "HRC_LANGUAGES": ("i18n", "languages"),
    "HRC_TRANSLATOR": ("i18n", "translator"),
    "HRC_BASE_URL": ("web", "base_url"),
    "HRC_OUT_DIR": ("", "out_dir"),
}
_SECTIONS = {
    "store",
    "fetch",
    "newsletter",
    "curate",
    "i18n",
    "delivery",
    "web",
    "approval",
    "audience",
    "publish",
}


def _env_overrides(env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in env.items():
        if name in _ALIASES:
            section, key = _ALIASES[name]
        elif name.startswith("HRC_") and "__" in name:
            section, _, key = name[4:].lower().partition("__")
            if section not in _SECTIONS:
                continue
        else:
            continue
        if section:
            # HRC_DELIVERY__SMTP__HOST: a key of the [delivery.smtp] table
            *tables, last = key.split("__")
            target = out.setdefault(section, {})
            for t in tables:
                target = target.setdefault(t, {})
            target[last] = value
        else:
            out[key] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = _merge(merged[k], v)
        else:
            merged[k] = v
    return merged


def find_config(path: Path | str | None = None, env: dict[str, str] | None = None) -> Path | None:
    """The config file to read: ``path``, else ``HRC_CONFIG``, else ``./outreach.toml`` if present."""
    env = dict(os.environ) if env is None else env
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist; pass an existing file to --config")
        return p.resolve()
    if env.get("HRC_CONFIG"):
        p = Path(env["HRC_CONFIG"])
        if not p.is_file():
            raise ConfigError(f"HRC_CONFIG points at {p}, which does not exist")
        return p.resolve()
    p = Path.cwd() / DEFAULT_CONFIG_NAME
    return p.resolve() if p.is_file() else None


def load_settings(
    path: Path | str | None = None, *, env: dict[str, str] | None = None, **overrides: Any
) -> Settings:
    """Read the config file and the environment into :class:`Settings`.

    >>> load_settings(env={"HRC_PROVIDER": "brevo"}).delivery.provider
    'brevo'
    """
    env = dict(os.environ) if env is None else env
    config_path = find_config(path, env)
    data: dict[str, Any] = {}
    if config_path is not None:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    data = _merge(data, _env_overrides(env))
    data = _merge(data, overrides)
    data["config_path"] = config_path
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        where = config_path or "the defaults"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{where}: invalid configuration: {problems}") from exc


def secret(
    name: str, *, env: dict[str, str] | None = None, default: str | None = None
) -> str | None:
    """A secret such as ``BREVO_API_KEY``: ``HRC_<NAME>`` from the environment first, then a Prefect
    Secret block named ``hrc-<name>`` (lower case, dashes), else ``default``. Never logged."""
    env = dict(os.environ) if env is None else env
    key = f"HRC_{name.upper()}"
    if env.get(key):
        return env[key]
    from hrc_outreach.secret_store import prefect_secret  # talks to Prefect; imported late

    value = prefect_secret("hrc-" + name.lower().replace("_", "-"))
    return value if value is not None else default


# ------------------------------------------------------------------------------ the token secret
# Resolved here, at the bottom, because two layers need it: audience signs links with it, and the
# store keys the address hash with it (see models.email_hash); the store may not import audience.

_secret_log = logging.getLogger("hrc_outreach.audience.links")
MIN_SECRET_LENGTH = 16


def secret_file(settings: Settings) -> Path:
    """Where a generated token secret is kept: beside the SQLite store, else ``var/``."""
    url = settings.database_url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url[len("sqlite:///") :]).parent / "token-secret"
    return settings.resolve("var") / "token-secret"


def _generated_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race: read its secret below
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(pysecrets.token_urlsafe(32) + "\n")
            _secret_log.warning(
                "no HRC_TOKEN_SECRET configured: generated a token secret in %s (fine for the "
                "demo; set HRC_TOKEN_SECRET before using a real provider)",
                path,
            )
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(f"the token secret in {path} is too short; delete the file to regenerate")
    return value


def token_secret(settings: Settings) -> bytes:
    """The key that signs link tokens: ``HRC_TOKEN_SECRET`` (or the Prefect Secret block
    ``hrc-token-secret``); with the outbox provider and none configured, one generated once beside
    the SQLite store; with a real provider and none configured, ConfigError."""
    value = secret("TOKEN_SECRET")
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"HRC_TOKEN_SECRET is {len(value)} characters long; use at least "
                f"{MIN_SECRET_LENGTH} random characters (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)"
            )
        return value.encode("utf-8")
    if settings.delivery.provider != "outbox":
        raise ConfigError(
            f"no token secret configured for provider {settings.delivery.provider!r}: set "
            "HRC_TOKEN_SECRET (at least 16 random characters) in the sender's and the web app's "
            "environment, so unsubscribe links keep working wherever they are opened"
        )
    return _generated_secret(secret_file(settings)).encode("ascii")


def email_hash_key(settings: Settings) -> bytes:
    """The key of the address hash that suppressions and erasures keep, derived from
    ``HRC_EMAIL_HASH_KEY`` if set (at least 16 characters), else from the token secret. Changing
    it makes every kept hash unrecognisable, so the store records its fingerprint and refuses
    another key (see ``store.hashes``); to rotate the token secret, set ``HRC_EMAIL_HASH_KEY`` to
    the old one."""
    value = secret("EMAIL_HASH_KEY")
    if value and len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"HRC_EMAIL_HASH_KEY is {len(value)} characters long; use at least "
            f"{MIN_SECRET_LENGTH} random characters"
        )
    base = value.encode("utf-8") if value else token_secret(settings)
    return hmac.digest(base, b"hrc-outreach email hash v1", hashlib.sha256)
