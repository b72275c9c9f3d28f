"""`social publish | report | resolve`: an approved edition's social posts, handed over once.

Exit codes of `publish`: 0 every due post is published (or the bundle written); 1 refused or an
error; 2 a post needs a person (failed with the platform's message, or in doubt), named in the
output and by `social report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.table import Table

from hrc_outreach.cli.apps import app, console, fail, print_json, settings

if TYPE_CHECKING:
    from hrc_outreach.config import Settings
    from hrc_outreach.social.publishing import PublishReport
    from hrc_outreach.store import Store

EXIT_NEEDS_ATTENTION = 2

social_app = typer.Typer(
    help="Publish an approved edition's social posts (or export them) and report on them.",
    no_args_is_help=True,
)
app.add_typer(social_app, name="social")


def _store() -> Any:
    from hrc_outreach.errors import OutreachError
    from hrc_outreach.store import open_store

    try:
        return open_store(settings())
    except OutreachError as exc:
        fail(str(exc))


@social_app.command("publish")
def publish_cmd(
    key: str = typer.Argument(..., help="Edition key, e.g. 2026-12."),
    platform: str = typer.Option(
        "export",
        "--platform",
        help="export (a bundle under out_dir) | mastodon | bluesky | facebook | instagram | linkedin.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what would be published; publish nothing."
    ),
    schedule: bool = typer.Option(
        False,
        "--schedule",
        help="Hand posts not yet due to platforms that schedule (Mastodon), with their time.",
    ),
    retry_failed: bool = typer.Option(
        False,
        "--retry-failed",
        help="Plan the posts that failed again (after fixing what the platform said).",
    ),
) -> None:
    """Publish the due social posts of an approved edition to one platform; never one twice."""
    import httpx

    from hrc_outreach.errors import OutreachError
    from hrc_outreach.social import ledger
    from hrc_outreach.social.accounts import PLATFORMS, languages_for, publisher_for
    from hrc_outreach.social.publishing import publish_edition

    if platform not in PLATFORMS:
        fail(f"--platform {platform!r}: one of {', '.join(PLATFORMS)}")
    cfg = settings()
    store = _store()
    try:
        languages = languages_for(platform, cfg)
        if platform == "export":
            _export(store, cfg, key, languages, dry_run=dry_run)
            return
        if retry_failed and not dry_run:
            n = ledger.retry_failed(store, key, platform)
            console.print(f"{n} failed {platform} post(s) planned again")
        with httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as client:
            report = publish_edition(
                store,
                cfg,
                key,
                publisher_for(platform, client),
                languages=languages,
                dry_run=dry_run,
                schedule=schedule,
            )
    except OutreachError as exc:
        fail(str(exc))
        return
    finally:
        store.dispose()
    _print_outcomes(report, platform, dry_run=dry_run)
    if report.needs_attention and not dry_run:
        raise typer.Exit(EXIT_NEEDS_ATTENTION)


def _export(
    store: Store, cfg: Settings, key: str, languages: Sequence[str], *, dry_run: bool
) -> None:
    """The export "platform": a bundle of files under out_dir, written (or only named)."""
    from hrc_outreach.social.publishing import export_edition

    if dry_run:
        console.print(f"would write the export bundle of {key} under {cfg.out_dir}/social/{key}/")
        return
    bundle = export_edition(store, cfg, key, languages, cfg.resolve(cfg.out_dir))
    console.print(f"export bundle of {key}: {bundle.rows} posts in {bundle.folder}")
    for f in bundle.files:
        console.print(f"  {f.name}", highlight=False)


def _print_outcomes(report: PublishReport, platform: str, *, dry_run: bool) -> None:
    """A table of the posts handed over, then every note that needs a person, whole."""
    table = Table(
        box=box.SIMPLE, title=f"{platform} · {report.account}" + (" (dry run)" if dry_run else "")
    )
    for col in ("post", "due (UTC)", "state", "link / note"):
        table.add_column(col)
    for o in report.outcomes:
        table.add_row(o.post_key, f"{o.due_at:%Y-%m-%d %H:%M}", o.state, o.url or o.note)
    console.print(table)
    for o in report.outcomes:  # what needs a person, whole (the table cuts long lines)
        if o.state in ("failed", "in_doubt") and o.note:
            console.print(
                f"{o.post_key} {o.state}: {o.note}", markup=False, highlight=False, soft_wrap=True
            )


@social_app.command("resolve")
def resolve_cmd(
    key: str = typer.Argument(..., help="Edition key, e.g. 2026-12."),
    post: str = typer.Argument(..., help="The post as `social report` names it, e.g. en:edition."),
    platform: str = typer.Option(..., "--platform", help="The platform it is in doubt on."),
    posted: str = typer.Option(
        "", "--posted", help="It is on the platform at this https URL: recorded as published."
    ),
    not_posted: bool = typer.Option(
        False,
        "--not-posted",
        help="It is not on the platform: planned again (the approved text goes out next run).",
    ),
) -> None:
    """A person's decision on a post in doubt: on the platform (its URL) or not there."""
    from hrc_outreach.social import ledger

    if bool(posted) == not_posted:
        fail("say what you found on the platform: --posted URL or --not-posted (one of them)")
    if posted and not posted.startswith("https://"):
        fail(f"--posted {posted!r}: the post's https:// address on {platform}")
    store = _store()
    try:
        done = ledger.resolve(store, key, platform, post, posted_url=posted or None)
    finally:
        store.dispose()
    if not done:
        fail(
            f"{post} on {platform} of {key} is not waiting for a decision (not in doubt, or a "
            "run is publishing it now): see `hrc-outreach social report " + key + "`"
        )
    console.print(
        f"{post} on {platform}: "
        + (f"published at {posted}" if posted else "planned again; `social publish` posts it"),
        highlight=False,
    )


@social_app.command("report")
def report_cmd(
    key: str = typer.Argument(..., help="Edition key, e.g. 2026-12."),
    as_json: bool = typer.Option(False, "--json", help="Print it as JSON."),
) -> None:
    """Every social post of an edition in the publishing ledger: state, link, the platform's words."""
    from hrc_outreach.social.publishing import social_states

    store = _store()
    try:
        rows = social_states(store, key)
    finally:
        store.dispose()
    data = [
        {
            "platform": r.platform,
            "account": r.account,
            "post": r.post_key,
            "lang": r.lang,
            "state": r.state,
            "due_at": r.due_at.isoformat(),
            "url": r.url,
            "remote_id": r.remote_id,
            "attempts": r.attempts,
            "note": r.error,
            "published_at": r.published_at.isoformat() if r.published_at else None,
        }
        for r in rows
    ]
    if as_json:
        print_json({"edition": key, "posts": data})
        return
    if not rows:
        console.print(f"no social post of {key} in the publishing ledger yet")
        return
    table = Table(box=box.SIMPLE, title=f"social posts of {key}")
    for col in ("platform", "post", "state", "link / note"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.platform, r.post_key, r.state, r.url or r.error or "")
    console.print(table)
