"""The store's schema (SQLAlchemy 2.0 declarative). Changes need a migration: `make migration`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hrc_outreach.models import ConsentState, EditionStatus


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC; SQLite (which drops the zone) gives them back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the store; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


# ------------------------------------------------------------------------------------ gathering


class SourceStateRow(Base):
    """Per-source HTTP validators, so an unchanged feed costs a 304."""

    __tablename__ = "source_state"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime | None]
    status: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)


class ItemRow(Base):
    """The current version of every item ever gathered; `data` is the ContentItem as JSON."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source", "source_key", name="uq_items_source_key"),
        Index("ix_items_kind_published", "kind", "published_at"),
        Index("ix_items_start", "start_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    source_key: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[datetime | None]
    start_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # set when the source no longer has the item (cancelled, removed, moved); the row and its
    # history stay, curation leaves it out; cleared if the source brings it back
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))


class SourceDocumentRow(Base):
    """The last document a source read in full, for kinds whose output moves with the clock (a
    calendar's window): a 304 Not Modified re-reads this instead of producing nothing."""

    __tablename__ = "source_documents"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    base_url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemVersionRow(Base):
    """Earlier versions of an item: an update is recorded, never a duplicate."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version", name="uq_item_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


# ------------------------------------------------------------------------------------- editions


class EditionRow(Base):
    __tablename__ = "editions"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    issue_number: Mapped[int] = mapped_column(Integer)
    edition_date: Mapped[str] = mapped_column(String(10))  # ISO date
    status: Mapped[str] = mapped_column(String(20), default=EditionStatus.DRAFT.value)
    content_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # lang -> sha256 of last draft
    item_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # the Prefect flow run waiting for a decision on this edition, so `edition approve` knows to
    # answer its form (and asks Prefect nothing otherwise)
    waiting_flow_run: Mapped[str | None] = mapped_column(String(64))


class DraftRow(Base):
    """The rendered draft of one (edition, language): exactly what approval hashes and sending
    reads, on every machine that opens the store (render.output.save_drafts / load_drafts)."""

    __tablename__ = "drafts"

    edition_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    lang: Mapped[str] = mapped_column(String(20), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))  # RenderedMessage.content_hash() when saved
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # the rest of the RenderedMessage (subject, preheader, dir, nonce, social, lint, provenance)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    drafted_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeaturedRow(Base):
    """Which edition and language featured which item; an item counts once its edition is sent."""

    __tablename__ = "featured"
    __table_args__ = (UniqueConstraint("item_id", "edition_key", "lang", name="uq_featured"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    edition_key: Mapped[str] = mapped_column(String(100))
    lang: Mapped[str] = mapped_column(String(20))
    featured_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalRow(Base):
    """Who approved (or rejected) which content hashes of an edition, and when."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    edition_key: Mapped[str] = mapped_column(String(100), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # models.ApprovalDecision
    by: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(50), default="cli")  # cli | flow | web | demo auto-approval
    hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)  # lang -> sha256
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------- translation


class TranslationMemoryRow(Base):
    """Each source string translated once per target language and engine, reused across editions."""

    __tablename__ = "translation_memory"
    __table_args__ = (
        UniqueConstraint("source_hash", "target_lang", "engine", name="uq_translation_memory"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    source_lang: Mapped[str] = mapped_column(String(20))
    target_lang: Mapped[str] = mapped_column(String(20))
    engine: Mapped[str] = mapped_column(String(50))  # deepl | libretranslate | human
    source_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    review: Mapped[str] = mapped_column(String(20), default="unreviewed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemTranslationRow(Base):
    """A translation of one field of one item, reviewed by a person (PO import) or from the source."""

    __tablename__ = "item_translations"
    __table_args__ = (UniqueConstraint("item_id", "field", "lang", name="uq_item_translations"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(20))
    source_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(20))
    review: Mapped[str] = mapped_column(String(20), default="unreviewed")
    engine: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# ------------------------------------------------------------------------------------- audience


def _subscriber_email_hash(context: Any) -> str:
    from hrc_outreach.models import email_hash

    return email_hash(context.get_current_parameters()["email"])


class SubscriberRow(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # the keyed hash of the normalised address (models.email_hash): suppressions are joined on it
    email_hash: Mapped[str] = mapped_column(
        String(64), unique=True, default=_subscriber_email_hash
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(20), default="en")
    country: Mapped[str | None] = mapped_column(String(2))  # of residence, ISO 3166-1 alpha-2
    segments: Mapped[list[Any]] = mapped_column(default=list)
    topics: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20), default=ConsentState.PENDING.value, index=True)
    consent_at: Mapped[datetime | None]
    consent_source: Mapped[str | None] = mapped_column(String(200))
    # a pause the subscriber chose (preferences page): not mailed before this moment
    paused_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentEventRow(Base):
    """Append-only log of consent: subscribed, confirmed, unsubscribed, bounced, complained..."""

    __tablename__ = "consent_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), index=True
    )
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(30))
    method: Mapped[str] = mapped_column(String(50))  # import | double-opt-in | link | webhook | ...
    source: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SuppressionRow(Base):
    """Addresses never to be mailed, kept as a hash so erasure leaves no personal data."""

    __tablename__ = "suppressions"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(30))  # unsubscribed | bounced | complained | erased
    source: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ------------------------------------------------------------------------------------- delivery


class SendJobRow(Base):
    """A send job, planned whole before the first request."""

    __tablename__ = "send_jobs"
    __table_args__ = (UniqueConstraint("edition_key", "provider", name="uq_send_jobs"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    edition_key: Mapped[str] = mapped_column(String(100), index=True)
    provider: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20), default="planned")
    content_hashes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # what planning decided: counts per language, languages that fell back to the source language
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    approval_id: Mapped[int | None] = mapped_column(Integer)


class BatchRow(Base):
    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("job_id", "seq", name="uq_batches_seq"),
        Index("ix_batches_job_state", "job_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("send_jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="planned")
    idempotency_key: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # host:pid:run of the sender
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SendRecipientRow(Base):
    """Exactly one row per (job, subscriber): who got what, with the provider's message id."""

    __tablename__ = "send_recipients"
    __table_args__ = (
        UniqueConstraint("job_id", "subscriber_id", name="uq_send_recipients"),
        Index("ix_send_recipients_batch", "batch_id"),
        Index("ix_send_recipients_job_state", "job_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("send_jobs.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(320))
    lang: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="pending")  # models.RecipientState
    message_id: Mapped[str | None] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str | None] = mapped_column(Text)  # why not sent (suppressed, fallback language)
    # a person's final word on a failed recipient ("given up by X at T"): the job may be done
    resolution: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # batches they were submitted in


class SocialPublicationRow(Base):
    """The publishing ledger: one row per (edition, post, platform, account), planned, then
    submitting (committed before the request) -> published | failed | in_doubt (social.ledger)."""

    __tablename__ = "social_publications"
    __table_args__ = (
        UniqueConstraint("edition_key", "post_key", "platform", "account", name="uq_social_pub"),
        Index("ix_social_pub_edition_state", "edition_key", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    edition_key: Mapped[str] = mapped_column(String(100))
    post_key: Mapped[str] = mapped_column(String(200))  # lang:item id | lang:edition
    platform: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(300))
    lang: Mapped[str] = mapped_column(String(20))
    marker: Mapped[str] = mapped_column(String(32))  # idempotency key, record key, look-up
    text_sha256: Mapped[str] = mapped_column(String(64))  # the text planned, then as submitted
    due_at: Mapped[datetime]  # planned, then as submitted (Bluesky's record key, the look-up)
    # what the last attempt handed over (text, and a hash of text, link, card, alt and time):
    # an in-doubt post is looked up by it, and not retried once the approved content differs
    submitted_text: Mapped[str | None] = mapped_column(Text)
    submitted_sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default="planned")  # social.ledger.PostState
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    remote_id: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------------- staff


class StaffRow(Base):
    """A person who signs in to the staff web pages (``hrc-outreach staff add``)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # editor | approver | admin
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffSessionRow(Base):
    """A signed-in browser: the cookie holds a random token, the store only its sha256."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class StaffLoginFailureRow(Base):
    """A failed sign-in, counted per account and per client address to throttle guessing."""

    __tablename__ = "staff_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), index=True)  # "email:<sha256>" | "ip:<sha256>"
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebThrottleRow(Base):
    """A fixed-window request counter of the public web pages, shared by every worker and host
    (``key``: the action and a hash of the client address, never the address itself)."""

    __tablename__ = "web_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)


# ----------------------------------------------------------------------------------- the store


class StoreMetaRow(Base):
    """Facts about the store itself: e.g. the fingerprint of the key its address hashes use."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class NoticeRow(Base):
    """A notice sent once (a reviewer's "edition waits" or its reminder, a double opt-in email):
    the key is claimed before sending, so two runs at once cannot both send it."""

    __tablename__ = "notices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20), default="claimed")  # claimed | sent | failed
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
