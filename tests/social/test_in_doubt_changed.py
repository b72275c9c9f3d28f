"""An in-doubt post whose approved text (or time) changed before the next run: a re-draft and a
re-approval of the edition must never turn it into a second post.

The ledger keeps what was submitted (the text, its hash, the marker and the time the record key
and look-up were derived from); the in-doubt look-up searches for *that*, and a post that is not
found and whose content changed since it was submitted is refused, named, for a person to decide
(``social resolve``) -- never posted again."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hrc_outreach.social import ledger
from hrc_outreach.social.accounts import publisher_for
from hrc_outreach.social.ledger import PostState
from hrc_outreach.social.publishing import publish_edition
from hrc_outreach.store import Store
from hrc_outreach.store.tables import EditionRow
from tests.support.ledger_data import approved, write_draft
from tests.support.social_data import KEY, LANGS, approved_edition, cli_env, settings_for
from tests.support.social_platforms import Platforms, Reply

LATER = datetime(2026, 12, 20, tzinfo=UTC)
LOOKED_UP = ("mastodon", "facebook", "instagram", "linkedin")  # found by text, not by key
ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from hrc_outreach.cli import app; app()"]


def _publish(store: Store, tmp_path: Path, name: str, platforms: Platforms, c: httpx.Client) -> Any:
    pub = publisher_for(name, c, platforms.env())
    return publish_edition(
        store, settings_for(tmp_path), KEY, pub, languages=list(LANGS), now=LATER
    )


def redraft(store: Store, msgs: dict[str, Any], prefix: str = "CORRECTED: ") -> dict[str, Any]:
    """Every social post's text changed at its start (its link kept), drafted and approved."""
    changed = {
        lang: m.model_copy(
            update={
                "social": tuple(p.model_copy(update={"text": prefix + p.text}) for p in m.social)
            }
        )
        for lang, m in msgs.items()
    }
    write_draft(store, changed)
    return approved(store, KEY, changed)


@pytest.mark.parametrize("name", LOOKED_UP)
def test_an_in_doubt_post_redrafted_is_found_by_what_was_submitted_not_posted_again(
    name: str, sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    msgs = approved_edition(sqlite_store, settings_for(tmp_path))
    platforms.script(name, Reply(502, {"error": "Bad Gateway"}, accept=True))
    first = _publish(sqlite_store, tmp_path, name, platforms, client)
    assert [o.state for o in first.outcomes].count(PostState.IN_DOUBT) == 1
    assert len(platforms.posts[name]) == 8
    redraft(sqlite_store, msgs)
    second = _publish(sqlite_store, tmp_path, name, platforms, client)
    assert len(platforms.posts[name]) == 8, "the in-doubt post was posted a second time"
    assert [o.state for o in second.outcomes] == [PostState.PUBLISHED] * 8
    found = next(o for o in second.outcomes if o.note.startswith("found on the platform"))
    assert "text" in found.note and "changed" in found.note, found.note  # says it is the old text


@pytest.mark.parametrize("name", LOOKED_UP)
def test_an_in_doubt_post_redrafted_and_not_found_is_refused_by_name_until_a_person_decides(
    name: str, sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    msgs = approved_edition(sqlite_store, settings_for(tmp_path))
    platforms.script(name, Reply(502, {"error": "Bad Gateway"}))  # nothing was created
    first = _publish(sqlite_store, tmp_path, name, platforms, client)
    doubtful = next(o for o in first.outcomes if o.state == PostState.IN_DOUBT)
    redraft(sqlite_store, msgs)
    for _ in range(2):  # refused on every run, never posted
        again = _publish(sqlite_store, tmp_path, name, platforms, client)
        assert len(platforms.posts[name]) == 7
        held = next(o for o in again.outcomes if o.post_key == doubtful.post_key)
        assert held.state == PostState.IN_DOUBT
        assert doubtful.post_key in held.note and name in held.note
        assert "changed" in held.note and "social resolve" in held.note, held.note
    row = next(r for r in ledger.rows(sqlite_store, KEY, name) if r.post_key == doubtful.post_key)
    assert row.state == PostState.IN_DOUBT and "social resolve" in (row.error or "")
    # a person looked and it is not there: planned again, the approved (new) text goes out once
    assert ledger.resolve(sqlite_store, KEY, name, doubtful.post_key, posted_url=None)
    third = _publish(sqlite_store, tmp_path, name, platforms, client)
    assert [o.state for o in third.outcomes] == [PostState.PUBLISHED] * 8
    assert len(platforms.posts[name]) == 8
    assert sum(1 for p in platforms.posts[name] if "CORRECTED: " in str(p)) == 1


def test_an_in_doubt_post_with_unchanged_text_is_still_retried_once(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    """The refusal is only for changed content: a re-approval of the same bytes retries."""
    msgs = approved_edition(sqlite_store, settings_for(tmp_path))
    platforms.script("facebook", Reply(502, {"error": {"message": "Bad Gateway"}}))
    _publish(sqlite_store, tmp_path, "facebook", platforms, client)
    approved(sqlite_store, KEY, msgs)
    again = _publish(sqlite_store, tmp_path, "facebook", platforms, client)
    assert [o.state for o in again.outcomes] == [PostState.PUBLISHED] * 8
    assert len(platforms.posts["facebook"]) == 8


def test_a_person_marks_an_in_doubt_post_published_with_its_link(
    sqlite_store: Store, tmp_path: Path, platforms: Platforms, client: httpx.Client
) -> None:
    msgs = approved_edition(sqlite_store, settings_for(tmp_path))
    platforms.script("linkedin", Reply(502, {"status": 502, "message": "Bad Gateway"}))
    first = _publish(sqlite_store, tmp_path, "linkedin", platforms, client)
    doubtful = next(o for o in first.outcomes if o.state == PostState.IN_DOUBT)
    redraft(sqlite_store, msgs)
    url = "https://www.linkedin.com/feed/update/urn:li:share:1/"
    assert ledger.resolve(sqlite_store, KEY, "linkedin", doubtful.post_key, posted_url=url)
    assert not ledger.resolve(sqlite_store, KEY, "linkedin", doubtful.post_key, posted_url=url)
    again = _publish(sqlite_store, tmp_path, "linkedin", platforms, client)
    assert len(platforms.posts["linkedin"]) == 7
    done = next(o for o in again.outcomes if o.post_key == doubtful.post_key)
    assert done.state == PostState.PUBLISHED and done.url == url


def _env(tmp_path: Path, platforms: Platforms) -> dict[str, str]:
    return cli_env(tmp_path, platforms, {"bluesky": "en", "mastodon": "en"})


def _killed_after_accept(name: str, tmp_path: Path, platforms: Platforms) -> dict[str, str]:
    env = _env(tmp_path, platforms)
    platforms.hang_after_accept.add(name)
    proc = subprocess.Popen(
        [*CLI, "social", "publish", KEY, "--platform", name],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert platforms.accepted.wait(60), proc.communicate(timeout=5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return env


@pytest.mark.parametrize("name", ["bluesky", "mastodon"])
def test_killed_after_accept_then_redrafted_and_moved_posts_once(name: str, tmp_path: Path) -> None:
    """Bluesky's record key comes from the post's time and marker; Mastodon's Idempotency-Key is
    the marker (ignored here). The edition is moved a day and re-drafted while the post hangs in
    ``submitting``: the resumed run looks up what was submitted (that time, that text)."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    msgs = approved_edition(store, settings_for(tmp_path), langs=("en",))
    with Platforms(honour_idempotency=False) as platforms:
        env = _killed_after_accept(name, tmp_path, platforms)
        assert len(platforms.posts[name]) == 1
        with store.session() as s:
            row = s.get(EditionRow, KEY)
            assert row is not None
            row.edition_date = "2026-11-04"
        redraft(store, msgs)
        resumed = subprocess.run(
            [*CLI, "social", "publish", KEY, "--platform", name],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert len(platforms.posts[name]) == 2, resumed.stdout + resumed.stderr
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    rows = {r.post_key: r for r in ledger.rows(store, KEY, name)}
    assert rows["en:edition"].state == PostState.PUBLISHED
    assert rows["en:item-gwangju"].state == PostState.PUBLISHED
    store.dispose()


def test_the_cli_names_the_held_post_and_a_person_resolves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from hrc_outreach.cli import app
    from tests.social.test_social_cli import _config

    settings = settings_for(tmp_path)
    store = Store(settings.database_url)
    msgs = approved_edition(store, settings)
    config = _config(tmp_path)
    monkeypatch.setenv("HRC_TOKEN_SECRET", "cli-test-secret-0123456789")

    def cli(*args: str) -> Any:
        return CliRunner().invoke(app, ["--config", str(config), "social", *args])

    with Platforms(honour_idempotency=False) as platforms:
        for k, v in platforms.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("HRC_FACEBOOK_LANGUAGES", "en")
        platforms.script("facebook", Reply(502, {"error": {"message": "Bad Gateway"}}))
        assert cli("publish", KEY, "--platform", "facebook").exit_code == 2
        redraft(store, msgs)
        held = cli("publish", KEY, "--platform", "facebook")
        assert held.exit_code == 2, held.output
        assert "en:edition on facebook" in held.output and "social resolve" in held.output
        assert len(platforms.posts["facebook"]) == 1  # the item post only
        assert cli("resolve", KEY, "en:edition", "--platform", "facebook").exit_code == 1
        wrong = cli("resolve", KEY, "en:item-gwangju", "--platform", "facebook", "--not-posted")
        assert wrong.exit_code == 1 and "not waiting for a decision" in wrong.output
        done = cli("resolve", KEY, "en:edition", "--platform", "facebook", "--not-posted")
        assert done.exit_code == 0, done.output
        final = cli("publish", KEY, "--platform", "facebook")
        assert final.exit_code == 0, final.output
        assert len(platforms.posts["facebook"]) == 2
        assert platforms.posts["facebook"][1]["message"].startswith("CORRECTED: ")
    store.dispose()


def test_resolve_leaves_alone_a_post_a_live_run_is_publishing(sqlite_store: Store) -> None:
    planned = ledger.Planned("en:edition", "en", "m" * 24, "0" * 64, LATER)
    (row,) = ledger.plan(sqlite_store, KEY, "facebook", "1000001", [planned])
    with ledger.active_run() as run:
        assert ledger.claim(sqlite_store, row.id, (PostState.PLANNED,), run)
        # the run is at the platform now: a person's decision would race it
        assert not ledger.resolve(sqlite_store, KEY, "facebook", "en:edition", posted_url=None)
    # the run is gone (its process would be dead): its submitting post waits for a decision
    assert ledger.resolve(sqlite_store, KEY, "facebook", "en:edition", posted_url=None)
    (after,) = ledger.rows(sqlite_store, KEY, "facebook")
    assert after.state == PostState.PLANNED and after.submitted_text is None
