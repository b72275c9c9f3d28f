"""The publishing ledger: committed state transitions of one (edition, post, platform, account).

    planned --claim (committed BEFORE the request)--> submitting --answer--> published | failed | in_doubt
                                                                 \\--"later" (429 past our tries)--> planned

``published`` is committed the moment the platform's answer is read, before anything else that can
fail. The claim keeps what the attempt submits (text, time, content hash): a look-up of a post in
doubt searches for that. A person's decision on a post in doubt: :func:`resolve`. A ``submitting`` row whose process is gone, and an ``in_doubt`` row, are looked up on the
platform before any retry (:mod:`hrc_outreach.social.publishing`). Each function commits its own
transaction; none talks to a platform.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hrc_outreach.store import Store
from hrc_outreach.store.tables import SocialPublicationRow, utcnow

# another host's claim older than this is taken as abandoned (same host: its process is checked)
STALE_AFTER = timedelta(minutes=15)


class PostState(StrEnum):
    PLANNED = "planned"
    SUBMITTING = "submitting"
    PUBLISHED = "published"
    FAILED = "failed"
    IN_DOUBT = "in_doubt"


@dataclass(frozen=True)
class Planned:
    """A post to plan: its key in the edition (``lang:item`` or ``lang:edition``)."""

    post_key: str
    lang: str
    marker: str
    text_sha256: str
    due_at: datetime


# the runs publishing in this process now (threads of a flow, the web app): their claims are live
_ACTIVE: set[str] = set()


def me(run: str = "") -> str:
    """A run of this process, as claims name it: ``host:pid:run``."""
    return f"{socket.gethostname()}:{os.getpid()}:{run}"


@contextmanager
def active_run() -> Iterator[str]:
    """A name for one publishing run, live while the block runs (claims made under it count as
    being worked on by this process; once the block ends they are a dead run's)."""
    run = secrets.token_hex(6)
    _ACTIVE.add(run)
    try:
        yield run
    finally:
        _ACTIVE.discard(run)


def _alive(claimed_by: str | None, claimed_at: datetime | None) -> bool:
    """Is the run that claimed a row still at work on it?"""
    if not claimed_by or claimed_at is None:
        return False
    host, pid, run = (claimed_by.split(":") + ["", ""])[:3]
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return run in _ACTIVE  # a run of this process: live while it runs
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return utcnow() - claimed_at < STALE_AFTER


def plan(
    store: Store, edition_key: str, platform: str, account: str, posts: list[Planned]
) -> list[SocialPublicationRow]:
    """Every post of ``posts`` in the ledger (rows already there kept as they are), by post key.

    Two runs planning at once: the unique constraint refuses the second insert of a row, and the
    loser reads the rows again (the winner's)."""
    for attempt in range(5):
        try:
            return _plan(store, edition_key, platform, account, posts)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _plan(
    store: Store, edition_key: str, platform: str, account: str, posts: list[Planned]
) -> list[SocialPublicationRow]:
    with store.session() as s:
        have = {
            r.post_key: r
            for r in s.scalars(
                select(SocialPublicationRow).where(
                    SocialPublicationRow.edition_key == edition_key,
                    SocialPublicationRow.platform == platform,
                    SocialPublicationRow.account == account,
                )
            )
        }
        for p in posts:
            if p.post_key not in have:
                row = SocialPublicationRow(
                    edition_key=edition_key,
                    post_key=p.post_key,
                    platform=platform,
                    account=account,
                    lang=p.lang,
                    marker=p.marker,
                    text_sha256=p.text_sha256,
                    due_at=p.due_at,
                    state=PostState.PLANNED.value,
                )
                s.add(row)
                have[p.post_key] = row
        s.flush()
        rows = [have[p.post_key] for p in posts]
        s.expunge_all()
    return rows


def rows(store: Store, edition_key: str, platform: str | None = None) -> list[SocialPublicationRow]:
    with store.session() as s:
        q = select(SocialPublicationRow).where(SocialPublicationRow.edition_key == edition_key)
        if platform:
            q = q.where(SocialPublicationRow.platform == platform)
        out = list(
            s.scalars(
                q.order_by(
                    SocialPublicationRow.platform,
                    SocialPublicationRow.due_at,
                    SocialPublicationRow.post_key,
                )
            )
        )
        s.expunge_all()
    return out


def _set(store: Store, row_id: int, states: tuple[PostState, ...], **values: Any) -> bool:
    with store.session() as s:
        done = s.execute(
            update(SocialPublicationRow)
            .where(
                SocialPublicationRow.id == row_id,
                SocialPublicationRow.state.in_([st.value for st in states]),
            )
            .values(**values)
        )
        return int(done.rowcount) == 1  # type: ignore[attr-defined]


def held_elsewhere(row: SocialPublicationRow) -> bool:
    """A ``submitting`` row another live process is working on: leave it to that process."""
    return row.state == PostState.SUBMITTING and _alive(row.claimed_by, row.claimed_at)


@dataclass(frozen=True)
class Submitted:
    """What an attempt hands over, kept on the row before the request: the look-up of a post in
    doubt searches for this, whatever the edition's approved text has become since."""

    text: str
    content_sha256: str  # text, link, card, alt text and time (publishing.content_sha256)
    due_at: datetime


def claim(
    store: Store,
    row_id: int,
    from_states: tuple[PostState, ...],
    run: str = "",
    *,
    submitted: Submitted | None = None,
    seen_attempts: int | None = None,
) -> bool:
    """``submitting``, committed before the request with what is ``submitted``; False when
    another run took it first. ``seen_attempts``: the row's attempts when it was looked up (a
    run that took and tried it meanwhile makes that look-up stale: the claim fails)."""
    values: dict[str, Any] = {}
    if submitted is not None:
        values = {
            "submitted_text": submitted.text,
            "submitted_sha256": submitted.content_sha256,
            "text_sha256": hashlib.sha256(submitted.text.encode()).hexdigest(),
            "due_at": submitted.due_at,
        }
    with store.session() as s:
        q = update(SocialPublicationRow).where(
            SocialPublicationRow.id == row_id,
            SocialPublicationRow.state.in_([st.value for st in from_states]),
        )
        if seen_attempts is not None:
            q = q.where(SocialPublicationRow.attempts == seen_attempts)
        done = s.execute(
            q.values(
                state=PostState.SUBMITTING.value,
                claimed_by=me(run),
                claimed_at=utcnow(),
                attempts=SocialPublicationRow.attempts + 1,
                error=None,
                **values,
            )
        )
        return int(done.rowcount) == 1  # type: ignore[attr-defined]


def hold(store: Store, row_id: int, seen_attempts: int, message: str) -> bool:
    """A post that stays in doubt (its content changed since it was submitted, or it could not
    be looked up): ``in_doubt`` with ``message`` (a person may decide, :func:`resolve`) -- unless
    another run took it since it was read (its attempts moved on): that run's claim stands."""
    with store.session() as s:
        done = s.execute(
            update(SocialPublicationRow)
            .where(
                SocialPublicationRow.id == row_id,
                SocialPublicationRow.state.in_(
                    (PostState.SUBMITTING.value, PostState.IN_DOUBT.value)
                ),
                SocialPublicationRow.attempts == seen_attempts,
            )
            .values(state=PostState.IN_DOUBT.value, error=message)
        )
        return int(done.rowcount) == 1  # type: ignore[attr-defined]


def resolve(
    store: Store,
    edition_key: str,
    platform: str,
    post_key: str,
    *,
    posted_url: str | None,
    account: str | None = None,
) -> bool:
    """A person's decision on a post in doubt (or left submitting by a dead run): it is on the
    platform at ``posted_url`` (published), or it is not (``None``: planned again, the approved
    text goes out on the next run). False when no such post waits for a decision."""
    with store.session() as s:
        q = select(SocialPublicationRow).where(
            SocialPublicationRow.edition_key == edition_key,
            SocialPublicationRow.platform == platform,
            SocialPublicationRow.post_key == post_key,
            SocialPublicationRow.state.in_((PostState.SUBMITTING.value, PostState.IN_DOUBT.value)),
        )
        if account:
            q = q.where(SocialPublicationRow.account == account)
        found = [r for r in s.scalars(q) if not held_elsewhere(r)]
        if len(found) != 1:
            return False
        row_id, attempts = found[0].id, found[0].attempts
    if posted_url:
        values: dict[str, Any] = {
            "state": PostState.PUBLISHED.value,
            "remote_id": posted_url,
            "url": posted_url,
            "published_at": utcnow(),
            "error": "marked published by a person",
        }
    else:
        values = {
            "state": PostState.PLANNED.value,
            "claimed_by": None,
            "submitted_text": None,
            "submitted_sha256": None,
            "error": "a person found it not on the platform: planned again",
        }
    with store.session() as s:
        done = s.execute(
            update(SocialPublicationRow)
            .where(
                SocialPublicationRow.id == row_id,
                SocialPublicationRow.attempts == attempts,
                SocialPublicationRow.state.in_(
                    (PostState.SUBMITTING.value, PostState.IN_DOUBT.value)
                ),
            )
            .values(**values)
        )
        return int(done.rowcount) == 1  # type: ignore[attr-defined]


_OPEN = (PostState.SUBMITTING, PostState.IN_DOUBT, PostState.PLANNED)


def record_published(store: Store, row_id: int, remote_id: str, url: str, note: str = "") -> bool:
    """The platform has it: committed first, whatever else happens next."""
    return _set(
        store,
        row_id,
        _OPEN,
        state=PostState.PUBLISHED.value,
        remote_id=remote_id,
        url=url,
        published_at=utcnow(),
        error=note or None,
    )


def record_failed(store: Store, row_id: int, message: str) -> bool:
    return _set(store, row_id, (PostState.SUBMITTING,), state=PostState.FAILED.value, error=message)


def record_in_doubt(store: Store, row_id: int, message: str) -> bool:
    return _set(
        store, row_id, (PostState.SUBMITTING,), state=PostState.IN_DOUBT.value, error=message
    )


def release(store: Store, row_id: int, message: str) -> bool:
    """Back to ``planned``: nothing was taken (the platform said "later" past our tries)."""
    return _set(
        store,
        row_id,
        (PostState.SUBMITTING,),
        state=PostState.PLANNED.value,
        error=message,
        claimed_by=None,
    )


def retry_failed(store: Store, edition_key: str, platform: str | None = None) -> int:
    """A person's decision: the failed posts of the edition are planned again; how many."""
    with store.session() as s:
        q = update(SocialPublicationRow).where(
            SocialPublicationRow.edition_key == edition_key,
            SocialPublicationRow.state == PostState.FAILED.value,
        )
        if platform:
            q = q.where(SocialPublicationRow.platform == platform)
        return int(s.execute(q.values(state=PostState.PLANNED.value)).rowcount)  # type: ignore[attr-defined]
