"""Frozen, typed values that travel between the stages. States are enums."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hrc_outreach.errors import ConfigError


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------- content


class ItemKind(StrEnum):
    PRACTICE = "practice"
    PROJECT_UPDATE = "project_update"
    EVENT = "event"
    NEWS = "news"


CAMPAIGN_KEY_PREFIX = "campaign:"


def is_campaign_key(key: str) -> bool:
    """Whether drafts, approvals and send jobs under ``key`` are a campaign step's (not an
    edition's).

    >>> is_campaign_key("campaign:eu-elections:announcement"), is_campaign_key("2026-12")
    (True, False)
    """
    return key.startswith(CAMPAIGN_KEY_PREFIX)


def item_id(source: str, source_key: str) -> str:
    """The stable id of an item: a hash of the source's name and the source's own id for it.

    >>> item_id("whrcf-digest", "gwangju/1") == item_id("whrcf-digest", "gwangju/1")
    True
    """
    digest = hashlib.sha256(f"{source}\x1f{source_key}".encode()).hexdigest()
    return digest[:24]


class ItemText(Frozen):
    """A human translation of an item's text supplied by the source itself."""

    title: str
    summary: str = ""


class ContentItem(Frozen):
    """One practice, project update, event or news item, as gathered and stored.

    Kind-specific fields are None where they do not apply. ``body`` and ``summary`` hold sanitised
    HTML (see :mod:`hrc_outreach.sources.sanitize`); ``title`` is plain text.
    """

    id: str
    source: str
    source_key: str
    kind: ItemKind
    title: str
    summary: str = ""
    body: str = ""
    url: str | None = None
    image_url: str | None = None
    image_alt: str | None = None
    language: str = "unknown"
    published_at: datetime | None = None
    updated_at: datetime | None = None
    tags: tuple[str, ...] = ()
    # practice
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    region: str | None = None  # a region without a city, e.g. "Scotland"
    session: str | None = None
    # project_update
    project: str | None = None
    # event
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    timezone: str | None = None
    location: str | None = None
    online_url: str | None = None
    registration_url: str | None = None
    sequence: int = 0
    # human translations from the source: language -> text
    translations: dict[str, ItemText] = Field(default_factory=dict)
    # an event of a recurring series: the series' own id (iCal UID) and its rule as written
    # ("FREQ=MONTHLY;BYDAY=2WE"); each stored item is still one occurrence
    series: str | None = None
    recurrence: str | None = None
    # the title was made from the text (its first clause), not written by a person
    title_generated: bool = False
    # set by curation for one edition, never by a source: an event featured by an earlier edition,
    # shown again as a one-line reminder until it happens
    reminder: bool = False

    def content_hash(self) -> str:
        """A hash of everything but the id, to tell an update from an unchanged item."""
        # Fields added later count only when set, so items stored before them keep their hash.
        fields = ContentItem.model_fields
        later = {n for n in _LATER_FIELDS if getattr(self, n) == fields[n].default}
        data = self.model_dump_json(exclude={"id", *later})
        return hashlib.sha256(data.encode()).hexdigest()


_LATER_FIELDS = ("series", "recurrence", "title_generated", "reminder")


class GatherStatus(StrEnum):
    OK = "ok"
    ERROR = "error"


class SourceReport(Frozen):
    """What gathering one source did."""

    name: str
    kind: str
    status: GatherStatus
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0  # stored items the source no longer has (cancelled, removed, moved)
    not_modified: bool = False
    error: str | None = None
    warnings: tuple[str, ...] = ()
    retryable: bool = False  # the error was a network fault, 5xx or 429: worth another try


class GatherReport(Frozen):
    sources: tuple[SourceReport, ...]

    @property
    def new(self) -> int:
        return sum(s.new for s in self.sources)

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.sources)

    @property
    def ok(self) -> bool:
        return all(s.status is GatherStatus.OK for s in self.sources)


# --------------------------------------------------------------------------------------- editions


class SectionKind(StrEnum):
    PRACTICES = "practices"
    PROJECTS = "projects"
    EVENTS = "events"
    NEWS = "news"


SECTION_OF_KIND: dict[ItemKind, SectionKind] = {
    ItemKind.PRACTICE: SectionKind.PRACTICES,
    ItemKind.PROJECT_UPDATE: SectionKind.PROJECTS,
    ItemKind.EVENT: SectionKind.EVENTS,
    ItemKind.NEWS: SectionKind.NEWS,
}


class Section(Frozen):
    kind: SectionKind
    items: tuple[ContentItem, ...]


class EditionStatus(StrEnum):
    """Where an edition stands in the store: drafted (drafted again at will) or sent (its items
    fixed, featured in no later edition)."""

    DRAFT = "draft"
    SENT = "sent"


class ApprovalDecision(StrEnum):
    """A person's decision on an edition's drafts; the latest one wins."""

    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def verb(self) -> str:
        """``approve`` / ``reject``, for messages."""
        return "approve" if self is ApprovalDecision.APPROVED else "reject"


class Edition(Frozen):
    """A curated edition, before translation and rendering. ``date`` is "now" for curation."""

    key: str  # "2026-12"
    title: str
    issue_number: int
    date: date
    intro_markdown: str = ""
    # staff's own intro per language (``editions/<key>.<lang>.md``): lang -> Markdown
    intro_translations: dict[str, str] = Field(default_factory=dict)
    sections: tuple[Section, ...] = ()
    pinned: tuple[str, ...] = ()  # ids of the items staff pinned, in their order (the lead first)

    @property
    def items(self) -> tuple[ContentItem, ...]:
        return tuple(i for s in self.sections for i in s.items)

    @property
    def empty(self) -> bool:
        return not self.items


# ------------------------------------------------------------------------------------ translation


class Provenance(StrEnum):
    HUMAN = "human"
    MEMORY = "memory"
    MACHINE = "machine"
    SOURCE = "source"  # untranslated: the source text shown as is


class ReviewState(StrEnum):
    UNREVIEWED = "unreviewed"
    REVIEWED = "reviewed"


class Translation(Frozen):
    """One field of one item in one language, with where it came from."""

    item_id: str
    field: str  # "title" | "summary"
    lang: str
    text: str
    source_text: str
    provenance: Provenance
    review: ReviewState = ReviewState.UNREVIEWED
    engine: str | None = None


# --------------------------------------------------------------------------------------- rendering


# Per-recipient parts are neutral placeholders in rendered output; each provider turns them into
# its own syntax (Brevo params, SendGrid substitutions) or fills them in locally (SMTP, outbox).
# ``unsubscribe_mailto`` is the List-Unsubscribe mailto (signed token in its subject), used in headers.
PLACEHOLDERS = ("unsubscribe_url", "preferences_url", "name", "email", "unsubscribe_mailto")


_NOT_IN_A_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\s]+")


def display_name(name: str, limit: int = 200) -> str:
    """A person's name as it may stand in a header and a greeting: every control character,
    line or paragraph separator and run of whitespace becomes one space (no CR/LF can start a
    header, whatever path the name came by), cut to ``limit`` characters.

    >>> display_name("Ana\\r\\nBcc: x@example.org ")
    'Ana Bcc: x@example.org'
    """
    return _NOT_IN_A_NAME.sub(" ", name or "").strip()[:limit].strip()


def placeholder(name: str, nonce: str = "") -> str:
    """The per-recipient placeholder our templates place, e.g. ``[[unsubscribe_url.5f0c…]]``.

    ``nonce`` is the render's random marker (:attr:`RenderedMessage.nonce`): gathered text cannot
    know it, so only the template's own placeholders are ever filled. Without one (messages made
    by hand in tests, drafts older than the nonce) the legacy form ``[[unsubscribe_url]]``.
    """
    return f"[[{name}.{nonce}]]" if nonce else f"[[{name}]]"


def placeholder_pattern(nonce: str = "") -> re.Pattern[str]:
    """Matches the placeholders of the render with ``nonce``; group 1 is the name."""
    if nonce:
        return re.compile(r"\[\[([a-z_][a-z0-9_]*)\." + re.escape(nonce) + r"\]\]")
    return re.compile(r"\[\[([a-z_][a-z0-9_]*)\]\]")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class LintFinding(Frozen):
    rule: str
    severity: Severity
    message: str
    where: str = ""


class SocialPlatform(StrEnum):
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    LINKEDIN = "linkedin"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"


class SocialPost(Frozen):
    platform: SocialPlatform
    lang: str
    text: str
    link: str | None = None
    item_id: str | None = None  # None: the post about the whole edition
    image: str | None = None  # file name of the image card
    image_alt: str | None = None


class RenderedMessage(Frozen):
    """One edition in one language, rendered once for every recipient of that language."""

    edition_key: str
    lang: str
    dir: str = "ltr"
    subject: str
    preheader: str
    html: str
    text: str
    social: tuple[SocialPost, ...] = ()
    lint: tuple[LintFinding, ...] = ()
    provenance_counts: dict[str, int] = Field(default_factory=dict)
    # strings (item titles and summaries, the intro) by provenance: the language's coverage
    string_counts: dict[str, int] = Field(default_factory=dict)
    # The render's random placeholder marker (see :func:`placeholder`); "" for the legacy form.
    nonce: str = ""

    def content_hash(self) -> str:
        """The sha256 that an approval binds to: subject, html, text, social posts (and nonce)."""
        h = hashlib.sha256()
        for part in (self.subject, self.html, self.text):
            h.update(part.encode())
            h.update(b"\x1f")
        if self.nonce:  # which placeholders are live is part of what was approved
            h.update(b"nonce\x1f" + self.nonce.encode() + b"\x1f")
        for post in self.social:
            h.update(post.model_dump_json().encode())
        return h.hexdigest()

    @property
    def lint_errors(self) -> int:
        return sum(1 for f in self.lint if f.severity is Severity.ERROR)

    @property
    def lint_warnings(self) -> int:
        return sum(1 for f in self.lint if f.severity is Severity.WARNING)


# -------------------------------------------------------------------------------------- audience


def quick_normal_form(email: str) -> str:
    """An address's normal form without validation: what ``audience.addresses.normalise_email``
    gives for a valid address (kept here so the store's schema can hash addresses)."""
    s = email.strip()
    if s.isascii() and "xn--" not in s.lower():
        return s.lower()
    # Non-ASCII, or an IDNA A-label (xn--, as providers and our own To headers write an IDN
    # domain): let the validator apply its Unicode rules (NFC, IDNA), so hashes agree.
    try:
        return validate_email(s, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return unicodedata.normalize("NFC", s).lower()


# The hash that names a person without storing them (suppressions, erasures, the consent log,
# pseudonymised send records) is keyed: HMAC-SHA256 over the address's sha256, so a dictionary of
# likely addresses reverses nothing without the key, and a store of the old plain sha256 hashes is
# converted row by row without the addresses (``store.db`` does it). Keyed hashes start with
# ``KEYED_HASH_PREFIX`` (not a hex digit), so an old hash is never mistaken for a new one.
KEYED_HASH_PREFIX = "k1"
_hash_key: bytes | None = None
_hash_key_source: Callable[[], bytes] | None = None


def use_email_hash_key(source: bytes | Callable[[], bytes] | None) -> None:
    """Key the address hash with ``source`` (bytes, or a function asked once on first use).

    Set by ``store.open_store(settings)`` (from ``config.email_hash_key``); None unsets it."""
    global _hash_key, _hash_key_source
    if source is None or isinstance(source, bytes):
        _hash_key, _hash_key_source = source, None
    else:
        _hash_key, _hash_key_source = None, source


def _key() -> bytes:
    global _hash_key, _hash_key_source
    if _hash_key is None:
        if _hash_key_source is None:
            raise ConfigError(
                "no key for the address hash: open the store with "
                "hrc_outreach.store.open_store(settings) (it keys the hash from the token secret)"
            )
        _hash_key, _hash_key_source = _hash_key_source(), None
    return _hash_key


def rekey_legacy_hash(legacy: str) -> str:
    """The keyed hash of an address from its old plain sha256 hex (how old stores convert)."""
    digest = hmac.digest(_key(), legacy.encode("ascii"), "sha256").hex()  # the C fast path
    return KEYED_HASH_PREFIX + digest[: 64 - len(KEYED_HASH_PREFIX)]


def hash_normalised(normal: str) -> str:
    """The keyed hash of an address already in normal form (the fast path for bulk work)."""
    return rekey_legacy_hash(hashlib.sha256(normal.encode("utf-8")).hexdigest())


def email_hash(email: str) -> str:
    """The keyed hash (64 characters) of the normalised address: how suppressions name a person
    without storing them; see ``KEYED_HASH_PREFIX``.

    >>> use_email_hash_key(b"0123456789abcdef")
    >>> email_hash("Ana@Example.org") == email_hash("ana@example.org ")
    True
    """
    return hash_normalised(quick_normal_form(email))


class SuppressionReason(StrEnum):
    HARD_BOUNCE = "bounced"
    COMPLAINT = "complained"
    UNSUBSCRIBED = "unsubscribed"


class SuppressionEvent(Frozen):
    """A provider told us an address must not be mailed again."""

    email: str
    reason: SuppressionReason
    at: datetime
    provider: str
    detail: str = ""


class ConsentState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class Subscriber(Frozen):
    id: int
    email: str
    name: str = ""
    language: str = "en"
    country: str | None = None  # of residence, ISO 3166-1 alpha-2
    segments: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    state: ConsentState = ConsentState.PENDING
    created_at: datetime | None = None


class Recipient(Frozen):
    """One person in a batch: what the provider needs to address and personalise a message."""

    subscriber_id: int
    email: str
    name: str = ""
    params: dict[str, str] = Field(default_factory=dict)  # placeholder name -> value

    @field_validator("name")
    @classmethod
    def _one_line(cls, v: str) -> str:
        # Whatever a stored row holds, a name reaches a header (To:, a provider's to.name) as one line.
        return display_name(v)


# -------------------------------------------------------------------------------------- delivery


class BatchState(StrEnum):
    PLANNED = "planned"
    SUBMITTING = "submitting"
    ACCEPTED = "accepted"
    FAILED = "failed"
    IN_DOUBT = "in_doubt"


class RecipientState(StrEnum):
    """Where one person of a send job stands: the unit of retry and of a person's decision."""

    PENDING = "pending"  # in a planned batch, not sent yet
    SUBMITTING = "submitting"  # their batch is claimed by a sender, the request may be out
    ACCEPTED = "accepted"  # the provider took their message
    FAILED = "failed"  # refused or not sent; sent again only by `--retry-failed`
    IN_DOUBT = "in_doubt"  # may or may not have gone out: reconciled or decided by a person
    SUPPRESSED = "suppressed"  # unsubscribed, bounced or erased since planning: not mailed


class JobState(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    DONE = "done"
    NEEDS_ATTENTION = "needs_attention"


class Batch(Frozen):
    """What a provider receives: one rendered message and up to its maximum of recipients."""

    id: int
    job_id: int
    lang: str
    message: RenderedMessage
    recipients: tuple[Recipient, ...]
    idempotency_key: str
    headers: dict[str, str] = Field(default_factory=dict)
    test: bool = False


class SendResult(Frozen):
    """A provider's answer to a batch: message ids per subscriber id where the provider gives them."""

    accepted: bool
    message_ids: dict[int, str] = Field(default_factory=dict)
    detail: str = ""
    # Per-recipient outcomes other than "accepted" (subscriber id -> the provider's reason); everyone
    # in the batch who is in none of these was accepted.
    # refused one by one (Postmark ErrorCode, SMTP 5xx on RCPT): not sent, a person may retry
    failed: dict[int, str] = Field(default_factory=dict)
    # the request for them may have reached the provider (a connection lost mid-message)
    in_doubt: dict[int, str] = Field(default_factory=dict)
    # certainly never handed over (the connection dropped before their turn): safe to send again
    not_sent: dict[int, str] = Field(default_factory=dict)


# ---------------------------------------------------------------------------- localized editions


class LocalizedItem(Frozen):
    """An item as one language's edition shows it: its text in that language, or the source text.

    ``text_lang`` is the language the shown title/summary are actually in (the source language when
    untranslated: the renderer then wraps them in an element with that ``lang`` and a label).
    """

    item: ContentItem
    lang: str
    title: str
    summary: str  # sanitised HTML
    text_lang: str
    provenance: Provenance
    review: ReviewState = ReviewState.UNREVIEWED

    @property
    def untranslated(self) -> bool:
        return self.provenance is Provenance.SOURCE and self.text_lang != self.lang

    @property
    def machine_translated(self) -> bool:
        return self.provenance is Provenance.MACHINE or (
            self.provenance is Provenance.MEMORY and self.review is ReviewState.UNREVIEWED
        )


class LocalizedSection(Frozen):
    kind: SectionKind
    items: tuple[LocalizedItem, ...]


class LocalizedEdition(Frozen):
    """An edition in one language, ready to render."""

    edition: Edition
    lang: str
    sections: tuple[LocalizedSection, ...]
    intro_markdown: str = ""
    intro_provenance: Provenance | None = None  # None: no intro; SOURCE: shown untranslated
    string_counts: dict[str, int] = Field(default_factory=dict)  # strings by provenance
    untranslated: tuple[str, ...] = ()  # "item_id:field" strings that fell back to the source text
    translation_errors: tuple[str, ...] = ()  # why machine translation stopped or failed, if it did

    @property
    def items(self) -> tuple[LocalizedItem, ...]:
        return tuple(i for s in self.sections for i in s.items)

    def provenance_counts(self) -> dict[str, int]:
        counts = {p.value: 0 for p in Provenance}
        for i in self.items:
            counts[i.provenance.value] += 1
        return counts
