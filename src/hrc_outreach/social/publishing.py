"""Publishing an approved edition's social posts, what is due, never twice.

    posts      the drafts' social posts, only while the approval holds (it binds their bytes)
    when       each post's time: the edition post on the edition's date at 10:00 in the
               newsletter's time zone, each featured item's post a day after the one before
    publish    per post: planned -> claim (committed) -> the platform -> published (committed
               first) | failed (the platform's message) | in_doubt; a post whose run died while
               submitting, or in doubt, is looked up on the platform before any retry, by what
               that attempt submitted (kept with the claim); when the approved content changed
               since, it is never retried: held in doubt for a person (`social resolve`)
    approval   a run hands nothing over once a newer decision on the edition follows the one
               its posts came from

>>> report = publish_edition(store, settings, "2026-12", publisher, languages=["en"])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hrc_outreach.approval import latest_decision, require_approval
from hrc_outreach.config import Settings
from hrc_outreach.models import ApprovalDecision, SocialPost
from hrc_outreach.render.lengths import over_limit
from hrc_outreach.render.output import load_drafts
from hrc_outreach.social import ledger
from hrc_outreach.social.base import (
    OutgoingPost,
    PublishDeferred,
    Publisher,
    PublishError,
    PublishInDoubt,
    PublishRefused,
    marker,
)
from hrc_outreach.social.export import Bundle, write_bundle
from hrc_outreach.social.ledger import PostState
from hrc_outreach.storage import PublishedFiles, published_files
from hrc_outreach.store import Store
from hrc_outreach.store.tables import EditionRow, SocialPublicationRow, utcnow

log = logging.getLogger(__name__)

POST_HOUR = time(10, 0)
ITEM_SPACING = timedelta(days=1)
CARDS = "archive/cards"  # under the published files: the web app serves it at /archive/cards/
SCHEDULES = {"mastodon": timedelta(minutes=5)}  # platforms that take scheduled_at, and the minimum


@dataclass(frozen=True)
class Prepared:
    post_key: str
    post: OutgoingPost
    problem: str | None = None  # why it cannot be published (too long, card missing)


@dataclass(frozen=True)
class Outcome:
    post_key: str
    lang: str
    platform: str
    state: str
    due_at: datetime
    url: str = ""
    note: str = ""


@dataclass
class PublishReport:
    edition_key: str
    platform: str
    account: str
    outcomes: list[Outcome] = field(default_factory=list)
    dry_run: bool = False

    def count(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.state == state)

    @property
    def needs_attention(self) -> bool:
        return any(o.state in (PostState.FAILED, PostState.IN_DOUBT) for o in self.outcomes)


def _sha(post: SocialPost) -> str:
    return hashlib.sha256(post.model_dump_json().encode()).hexdigest()


def _start(store: Store, settings: Settings, key: str, approved_at: datetime) -> datetime:
    """The edition post's time: its edition date at 10:00 local time (else the approval's)."""
    with store.session() as s:
        row = s.get(EditionRow, key)
        day = row.edition_date if row else None
    if not day:
        return approved_at
    tz = ZoneInfo(settings.newsletter.time_zone)
    return datetime.combine(datetime.fromisoformat(day).date(), POST_HOUR, tz).astimezone(UTC)


def _card(
    files: PublishedFiles, settings: Settings, key: str, lang: str, name: str, public: bool
) -> tuple[bytes | None, str | None, str | None]:
    """The card's bytes, its public URL (copied under the public archive when ``public``), or
    why it is missing."""
    try:
        data = files.read_bytes(f"editions/{key}/{lang}/{name}")
    except (FileNotFoundError, OSError) as exc:
        return None, None, f"its card {name} is not in the published files ({exc}); draft again"
    url = None
    if public:
        path = f"{CARDS}/{key}/{lang}/{name}"
        if not files.exists(path):
            files.write_bytes(path, data)
        url = f"{settings.web.base_url.rstrip('/')}/archive/cards/{key}/{lang}/{name}"
    return data, url, None


def prepare(
    store: Store,
    settings: Settings,
    key: str,
    platforms: Sequence[str],
    languages: Sequence[str],
    account: str,
    *,
    files: PublishedFiles | None = None,
    public_cards: bool = False,
) -> list[Prepared]:
    """The approved posts of edition ``key`` for ``platforms`` in ``languages``, each with its time.

    ApprovalError when the drafts are not approved as they are now (nothing is prepared).
    """
    messages = load_drafts(store, key)
    approval = require_approval(store, key, messages)
    start = _start(store, settings, key, approval.at)
    files = files or published_files(settings, settings.resolve(settings.out_dir))
    out: list[Prepared] = []
    for lang in languages:
        msg = messages.get(lang)
        if msg is None:
            continue
        seen_items: list[str] = []
        for p in msg.social:
            if p.platform.value not in platforms:
                continue
            subject = p.item_id or "edition"
            if p.item_id and p.item_id not in seen_items:
                seen_items.append(p.item_id)
            due = start + ITEM_SPACING * (seen_items.index(p.item_id) + 1 if p.item_id else 0)
            post_key = f"{lang}:{subject}"
            data = url = problem = None
            if p.image:
                data, url, problem = _card(files, settings, key, lang, p.image, public_cards)
            problem = over_limit(p.platform.value, p.text) or problem
            out.append(
                Prepared(
                    post_key,
                    OutgoingPost(
                        edition_key=key,
                        lang=lang,
                        platform=p.platform.value,
                        text=p.text,
                        marker=marker(key, post_key, p.platform.value, account),
                        due_at=due,
                        link=p.link,
                        image_name=p.image,
                        image_bytes=data,
                        image_url=url,
                        image_alt=p.image_alt,
                    ),
                    problem,
                )
            )
    return out


def export_edition(
    store: Store, settings: Settings, key: str, languages: Sequence[str], out_dir: Path
) -> Bundle:
    """The export bundle of every platform's approved posts in ``languages``."""
    platforms = ("facebook", "instagram", "linkedin", "mastodon", "bluesky")
    posts = prepare(store, settings, key, platforms, languages, "export", public_cards=True)
    return write_bundle(
        key, [p.post for p in posts], out_dir, time_zone=settings.newsletter.time_zone
    )


def publish_edition(
    store: Store,
    settings: Settings,
    key: str,
    publisher: Publisher,
    *,
    languages: Sequence[str],
    now: datetime | None = None,
    dry_run: bool = False,
    schedule: bool = False,
    files: PublishedFiles | None = None,
) -> PublishReport:
    """Hand the due posts of edition ``key`` to ``publisher``'s account; one post's failure never
    stops the others. With ``schedule``, platforms that schedule (Mastodon) get the posts not yet
    due too, with their time."""
    now = now or utcnow()
    platform, account = publisher.platform, publisher.account
    decision = latest_decision(store, key)  # before prepare: a later one stops the run
    prepared = prepare(
        store,
        settings,
        key,
        [platform],
        languages,
        account,
        files=files,
        public_cards=platform == "instagram",
    )
    report = PublishReport(key, platform, account, dry_run=dry_run)
    if dry_run:
        report.outcomes.extend(_would(store, key, platform, account, prepared, now))
        return report
    planned = [
        ledger.Planned(
            p.post_key,
            p.post.lang,
            p.post.marker,
            hashlib.sha256(p.post.text.encode()).hexdigest(),
            p.post.due_at,
        )
        for p in prepared
    ]
    rows = ledger.plan(store, key, platform, account, planned)
    approved = decision.id if decision else None
    with ledger.active_run() as run:
        for p, row in zip(prepared, rows, strict=True):
            report.outcomes.append(_one(store, publisher, p, row, now, schedule, run, approved))
    return report


def _would(
    store: Store, key: str, platform: str, account: str, prepared: list[Prepared], now: datetime
) -> list[Outcome]:
    """A dry run's outcomes: each post's state in the ledger, or what a run would do now."""
    done = {r.post_key: r for r in ledger.rows(store, key, platform) if r.account == account}
    out = []
    for p in prepared:
        row = done.get(p.post_key)
        state = row.state if row else "would publish"
        if row is None and p.post.due_at > now:
            state = "not due"
        url = row.url or "" if row else ""
        out.append(_outcome(p, state, url, p.problem or ""))
    return out


def _outcome(p: Prepared, state: str, url: str = "", note: str = "") -> Outcome:
    return Outcome(p.post_key, p.post.lang, p.post.platform, state, p.post.due_at, url, note)


def content_sha256(post: OutgoingPost) -> str:
    """What a platform would receive of ``post``: text, link, card, alt text and time."""
    h = hashlib.sha256()
    for part in (post.text, post.link, post.image_name, post.image_alt, post.due_at.isoformat()):
        h.update((part or "").encode() + b"\x1f")
    h.update(hashlib.sha256(post.image_bytes or b"").digest())
    return h.hexdigest()


def _one(
    store: Store,
    publisher: Publisher,
    p: Prepared,
    row: SocialPublicationRow,
    now: datetime,
    schedule: bool,
    run: str,
    approved: int | None = None,
) -> Outcome:
    """One post through the ledger; every answer recorded before the next post. ``approved``:
    the approval the run's posts come from; once another decision follows it, no post of this
    run is handed over (its text may be the replaced one): the next run publishes what holds."""
    state = PostState(row.state)
    if state in (PostState.PUBLISHED, PostState.FAILED):
        return _outcome(p, state, row.url or "", row.error or "")
    if ledger.held_elsewhere(row):
        return _outcome(p, state, note=f"being published by {row.claimed_by}")
    from_states: tuple[PostState, ...] = (PostState.PLANNED,)
    if state in (PostState.SUBMITTING, PostState.IN_DOUBT):
        # a run died mid-request or the answer was unclear: the platform may have it
        if (settled := _look_up(store, publisher, p, row)) is not None:
            return settled
        from_states = (PostState.SUBMITTING, PostState.IN_DOUBT)
    post = _when(p.post, now, schedule)
    if post is None:
        return _outcome(p, "not due", note=f"due {p.post.due_at:%Y-%m-%d %H:%M} UTC")
    if (latest := latest_decision(store, p.post.edition_key)) is None or latest.id != approved:
        what = "withdrawn" if latest is None else f"{latest.decision}"
        what = "approved again" if what == ApprovalDecision.APPROVED else what
        by = f" by {latest.by} at {latest.at:%Y-%m-%d %H:%M} UTC" if latest else ""
        note = f"not handed over: the edition was {what}{by} during this run; run again"
        return _outcome(p, state, note=note)
    submitted = ledger.Submitted(post.text, content_sha256(p.post), post.due_at)
    seen = row.attempts if state is not PostState.PLANNED else None
    if not ledger.claim(store, row.id, from_states, run, submitted=submitted, seen_attempts=seen):
        return _outcome(p, state, note="taken by another run")
    return _hand_over(store, publisher, p, post, row.id)


def _as_submitted(post: OutgoingPost, row: SocialPublicationRow) -> OutgoingPost:
    """``post`` as the row's last attempt handed it over (its text, marker and time; scheduled
    when it was claimed before its time), whatever the approved post has become since."""
    schedule_at = row.due_at if row.claimed_at and row.claimed_at < row.due_at else None
    return replace(
        post,
        text=row.submitted_text if row.submitted_text is not None else post.text,
        marker=row.marker,
        due_at=row.due_at,
        schedule_at=schedule_at,
    )


def _look_up(
    store: Store, publisher: Publisher, p: Prepared, row: SocialPublicationRow
) -> Outcome | None:
    """A post that may exist, looked up by what was submitted: its outcome when it is found, or
    cannot be looked up, or changed since (held for a person); None when it may be tried again."""
    changed = row.submitted_sha256 is not None and row.submitted_sha256 != content_sha256(p.post)
    if row.submitted_sha256 is None:  # a row from before submissions were kept: its text hash
        changed = row.text_sha256 != hashlib.sha256(p.post.text.encode()).hexdigest()
    try:
        found = publisher.find(_as_submitted(p.post, row))
    except PublishError as exc:
        # in doubt still, unless another run took it meanwhile (its claim is left alone)
        ledger.hold(store, row.id, row.attempts, f"could not look it up: {exc}")
        return _outcome(p, PostState.IN_DOUBT, note=str(exc))
    if found is not None:
        note = "found on the platform after an interrupted run"
        if changed:
            note += "; it has the text submitted then: the approved text changed since"
        ledger.record_published(store, row.id, found.remote_id, found.url, note)
        return _outcome(
            p, PostState.PUBLISHED, found.url, note.replace(" after an interrupted run", "")
        )
    if not changed:
        return None
    why = (
        f"{p.post_key} on {p.post.platform} ({publisher.account}) is in doubt: it may have been "
        "posted, and its approved content changed since it was submitted, so it is not posted "
        "again. Look at the account: if it is there, `hrc-outreach social resolve "
        f"{p.post.edition_key} {p.post_key} --platform {p.post.platform} --posted URL`; if not, "
        "`... --not-posted` (the approved text then goes out on the next run)"
    )
    ledger.hold(store, row.id, row.attempts, why)
    return _outcome(p, PostState.IN_DOUBT, note=why)


def _when(post: OutgoingPost, now: datetime, schedule: bool) -> OutgoingPost | None:
    """``post`` as it goes out now (with ``schedule_at`` where it is handed over before its
    time), or None when it is not due yet."""
    lead = SCHEDULES.get(post.platform)
    if post.due_at <= now:
        return post
    if schedule and lead is not None and post.due_at - now >= lead:
        return replace(post, schedule_at=post.due_at)
    return None


def _hand_over(
    store: Store, publisher: Publisher, p: Prepared, post: OutgoingPost, row_id: int
) -> Outcome:
    """The claimed post to the platform, its answer recorded (published first of all)."""
    if p.problem:
        ledger.record_failed(store, row_id, p.problem)
        return _outcome(p, PostState.FAILED, note=p.problem)
    try:
        done = publisher.publish(post)
    except PublishRefused as exc:
        ledger.record_failed(store, row_id, str(exc))
        return _outcome(p, PostState.FAILED, note=str(exc))
    except PublishDeferred as exc:
        ledger.release(store, row_id, str(exc))
        return _outcome(p, PostState.PLANNED, note=str(exc))
    except (PublishInDoubt, Exception) as exc:  # noqa: BLE001 - the post may exist: never lost
        ledger.record_in_doubt(store, row_id, str(exc) or repr(exc))
        log.warning("%s %s in doubt: %s", post.platform, p.post_key, exc)
        return _outcome(p, PostState.IN_DOUBT, note=str(exc) or repr(exc))
    note = "scheduled" if done.scheduled else ""
    ledger.record_published(store, row_id, done.remote_id, done.url, note)
    return _outcome(p, PostState.PUBLISHED, done.url, note)


def social_states(store: Store, key: str) -> list[SocialPublicationRow]:
    """Every ledger row of edition ``key`` (for reports and the staff page)."""
    return ledger.rows(store, key)


# which variable says an account is set up for the flow to publish to (tokens: secrets)
ACCOUNT_VARIABLES = {
    "mastodon": "HRC_MASTODON_BASE_URL",
    "bluesky": "HRC_BLUESKY_HANDLE",
    "facebook": "HRC_FACEBOOK_PAGE_ID",
    "instagram": "HRC_INSTAGRAM_USER_ID",
    "linkedin": "HRC_LINKEDIN_ORGANIZATION",
}


def publish_due(
    store: Store,
    settings: Settings,
    key: str,
    *,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The flow's step after approval: the export bundle, then the due posts to every platform
    whose account the environment names; one line per platform (one platform's failure is its
    line, never the others' end). ApprovalError when the edition's approval does not hold."""
    import httpx

    from hrc_outreach.errors import ApprovalError, OutreachError
    from hrc_outreach.social.accounts import languages_for, publisher_for

    env = os.environ if env is None else env
    out_dir = settings.resolve(settings.out_dir)
    bundle = export_edition(store, settings, key, languages_for("export", settings, env), out_dir)
    lines = {"export": f"{bundle.rows} posts in {bundle.folder}"}
    with httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as client:
        for platform, variable in ACCOUNT_VARIABLES.items():
            if not env.get(variable):
                continue
            try:
                report = publish_edition(
                    store,
                    settings,
                    key,
                    publisher_for(platform, client, env),
                    languages=languages_for(platform, settings, env),
                    now=now,
                )
            except ApprovalError:
                raise
            except OutreachError as exc:
                lines[platform] = f"not published: {exc}"
                continue
            counts = {s: report.count(s) for s in ("published", "failed", "in_doubt", "not due")}
            lines[platform] = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing"
    return lines
