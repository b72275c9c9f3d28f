"""The monthly flow end to end on the bundled samples, paused for approval and resumed the way staff
resume it (``hrc_outreach.workflow.answer_waiting_run`` on the run the store records as waiting,
which ``edition approve`` calls).

An approval binds to the hashes of the drafts the reviewer was shown: a re-draft while the run waits
voids the wait, and old hashes send nothing."""

from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hrc_outreach.config import Settings
from hrc_outreach.store import open_store
from hrc_outreach.store.tables import ApprovalRow, SubscriberRow
from tests.support.waiting import wait_until as _wait_until  # also imported by other flow tests

pytestmark = [pytest.mark.flow, pytest.mark.slow]

EDITION = "2026-12"


def _run_in_thread(**kwargs: Any) -> tuple[threading.Thread, dict[str, Any]]:
    """The monthly flow in the foreground (no deployment: it pauses in its own thread)."""
    from flows.run import run_monthly

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["state"], box["message"], box["result"] = run_monthly(**kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def _paused(key: str) -> bool:
    from hrc_outreach.workflow import waiting_runs

    return bool(waiting_runs(key))


def _answer(settings: Settings, **form: Any) -> Any:
    """Answer the run the store records as waiting, as `edition approve` does."""
    from hrc_outreach.pipeline import waiting_flow_run
    from hrc_outreach.workflow import answer_waiting_run

    run_id = waiting_flow_run(settings, EDITION)
    assert run_id, "the store records no waiting run"
    return answer_waiting_run(run_id, **form)


def _outbox(settings: Settings) -> dict[Path, int]:
    root = settings.resolve(settings.delivery.outbox_dir)
    return {p: p.stat().st_mtime_ns for p in root.rglob("*.eml")} if root.is_dir() else {}


def _confirmed(settings: Settings) -> dict[str, str]:
    store = open_store(settings)
    with store.session() as s:
        rows = s.scalars(select(SubscriberRow).where(SubscriberRow.state == "confirmed")).all()
        out = {r.email: r.language for r in rows}
    store.dispose()
    return out


def _cli(config: str, *args: str) -> Any:
    from typer.testing import CliRunner

    from hrc_outreach.cli import app

    return CliRunner().invoke(app, ["--config", config, *args])


def _shown(config: str) -> str:
    """The --hashes of the drafts as a reviewer is shown them (`edition approve KEY --show`)."""
    r = _cli(config, "edition", "approve", EDITION, "--show", "--json")
    assert r.exit_code == 0, r.output
    return str(json.loads(r.stdout)["hashes_arg"])


def _flat(text: str) -> str:
    return " ".join(text.split())


def _approvals(settings: Settings) -> list[ApprovalRow]:
    store = open_store(settings)
    with store.session() as s:
        rows = list(s.scalars(select(ApprovalRow).where(ApprovalRow.edition_key == EDITION)).all())
    store.dispose()
    return rows


def _late_edit(settings: Settings) -> None:
    """Staff change the edition's intro: the next draft differs in every language."""
    intro = Path(settings.resolve(settings.newsletter.editions_dir)) / f"{EDITION}.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nA late addition.\n", encoding="utf-8")


def test_monthly_pauses_sends_once_after_approval_and_never_twice(demo: Settings) -> None:
    config = str(demo.config_path)
    thread, box = _run_in_thread(edition=EDITION, config=config)
    _wait_until(lambda: _paused(EDITION), "the approval pause", box)
    assert _outbox(demo) == {}, "nothing may be sent before approval"
    public = demo.resolve(demo.out_dir) / "archive"  # only the logo the emails show is public yet
    assert not [p for p in public.glob("*") if p.is_dir()], "the archive waits for the send"
    # staff approve from a shell, exactly as the README says, naming the drafts they reviewed
    r = _cli(
        config,
        "edition",
        "approve",
        EDITION,
        "--by",
        "Ana Reviewer",
        "--notes",
        "lovely",
        "--hashes",
        _shown(config),
    )
    assert r.exit_code == 0, r.output
    assert "handed to the waiting flow run" in r.output
    thread.join(timeout=300)
    assert "error" not in box, box.get("error")
    assert box["result"]["status"] == "sent"

    confirmed = _confirmed(demo)
    sent = _outbox(demo)
    assert len(confirmed) > 5
    assert len(sent) == len(confirmed), "one message per confirmed subscriber"
    by_address = {}
    for path in sent:
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        by_address[msg["To"].addresses[0].addr_spec.lower()] = msg["Content-Language"]
    assert set(by_address) == set(confirmed)
    for email, lang in confirmed.items():
        assert by_address[email] == lang.replace("_", "-"), f"{email} got {by_address[email]}"

    store = open_store(demo)
    with store.session() as s:
        row = s.scalars(select(ApprovalRow).where(ApprovalRow.edition_key == EDITION)).one()
    store.dispose()
    assert (row.decision, row.by, row.method, row.notes) == (
        "approved",
        "Ana Reviewer",
        "flow",
        "lovely",
    )
    archive = demo.resolve(demo.out_dir) / "archive"
    assert (archive / "en" / f"{EDITION}.html").is_file(), "published once sent"
    assert box["result"]["archive_pages"]

    # A second run of the same edition ends at once, saying why, and sends nothing more.
    from flows.run import run_monthly

    state, message, again = run_monthly(edition=EDITION, config=config, auto_approve=True)
    assert (state, again["status"], again["sent"]) == ("Cancelled", "refused", False)
    assert f"edition {EDITION} was sent" in message and "edition report" in message
    assert _outbox(demo) == sent, "the second run must not write or rewrite any message"


def test_rejection_sends_nothing_and_keeps_the_notes(demo: Settings) -> None:
    thread, box = _run_in_thread(
        edition=EDITION,
        config=str(demo.config_path),
        languages=["en", "fr"],
        gather=True,
        fallback_source=True,  # subscribers of other languages get English, on purpose
    )
    _wait_until(lambda: _paused(EDITION), "the approval pause", box)
    _answer(demo, approve=False, reviewer="Bo", notes="the Leipzig title is wrong")
    thread.join(timeout=300)
    assert box["result"]["status"] == "rejected"
    assert box["state"] == "Cancelled" and "rejected by Bo" in box["message"], "not Completed"
    assert _outbox(demo) == {}
    store = open_store(demo)
    with store.session() as s:
        row = s.scalars(select(ApprovalRow).where(ApprovalRow.edition_key == EDITION)).one()
    store.dispose()
    assert (row.decision, row.by, row.notes) == ("rejected", "Bo", "the Leipzig title is wrong")


def test_resuming_with_no_input_sends_nothing(demo: Settings) -> None:
    from prefect.flow_runs import resume_flow_run

    from hrc_outreach.workflow import waiting_runs

    thread, box = _run_in_thread(
        edition=EDITION,
        config=str(demo.config_path),
        languages=["en"],
        gather=True,
        fallback_source=True,
    )
    _wait_until(lambda: _paused(EDITION), "the approval pause", box)
    resume_flow_run(waiting_runs(EDITION)[0].id)
    thread.join(timeout=300)
    assert box["result"]["sent"] is False
    assert _outbox(demo) == {}


def test_served_monthly_deployment_has_the_brussels_cron(prefect_harness: None) -> None:
    from prefect.client.orchestration import get_client

    from flows.deploy import MONTHLY_CRON, deployments

    monthly = deployments()[0]
    deployment_id = monthly.apply()
    with get_client(sync_client=True) as client:
        dep = client.read_deployment(deployment_id)
    assert dep.name == "monthly"
    crons = [(s.schedule.cron, s.schedule.timezone) for s in dep.schedules]  # type: ignore[union-attr]
    assert crons == [(MONTHLY_CRON, "Europe/Brussels")]
    assert dep.global_concurrency_limit is not None
    assert dep.global_concurrency_limit.limit == 1  # one run of the monthly flow at a time


def test_a_lint_error_stops_the_run_before_approval(demo: Settings) -> None:
    from datetime import UTC, datetime

    from prefect.client.orchestration import get_client

    from flows.monthly import monthly_edition
    from hrc_outreach.models import ContentItem, ItemKind, item_id
    from hrc_outreach.sources.gather import gather_sync
    from hrc_outreach.store.items import upsert_items

    store = open_store(demo)
    gather_sync(demo, store)
    insecure = ContentItem(
        id=item_id("test", "insecure"),
        source="test",
        source_key="insecure",
        kind=ItemKind.NEWS,
        title="A link that is not https",
        language="en",
        url="http://insecure.example.org/news",
        published_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    with store.session() as s:
        upsert_items(s, [insecure])
    store.dispose()

    with pytest.raises(RuntimeError, match="lint error"):
        monthly_edition(
            edition=EDITION, config=str(demo.config_path), languages=["en"], gather=False
        )
    assert not _paused(EDITION), "a lint error must stop the run before it asks for approval"
    assert _outbox(demo) == {}
    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts(limit=50)
    lint = [a for a in artifact if a.key == f"lint-{EDITION}"]
    assert lint and "link-not-https" in str(lint[0].data)


def test_a_redraft_while_the_run_waits_voids_it_and_old_hashes_send_nothing(demo: Settings) -> None:
    config = str(demo.config_path)
    thread, box = _run_in_thread(
        edition=EDITION, config=config, languages=["en", "fr"], fallback_source=True
    )
    _wait_until(lambda: _paused(EDITION), "the approval pause", box)
    seen = _shown(config)  # what the reviewer was shown
    _late_edit(demo)
    r = _cli(config, "edition", "draft", "--edition", EDITION, "--languages", "en,fr")
    assert r.exit_code == 0, r.output
    assert "waited for approval of other drafts" in _flat(r.stderr)
    thread.join(timeout=300)
    assert "error" not in box, box.get("error")
    result = box["result"]
    assert (result["status"], result["sent"]) == ("changed", False)
    assert "changed while this run waited" in result["message"] and "en" in result["changed"]
    # the reviewer, unaware, approves what they saw: refused, nothing recorded, nothing sent
    r = _cli(config, "edition", "approve", EDITION, "--by", "Ana", "--hashes", seen)
    assert r.exit_code == 1, r.output
    assert "changed since the reviewer was shown it" in _flat(r.stderr)
    assert "changed: en, fr" in _flat(r.stderr)
    assert _approvals(demo) == [] and _outbox(demo) == {}
    r = _cli(config, "edition", "send", EDITION)
    assert r.exit_code == 1 and "never approved" in _flat(r.stderr)
    assert _outbox(demo) == {}


def test_old_hashes_answered_to_the_waiting_run_after_a_redraft_send_nothing(
    demo: Settings,
) -> None:
    """The run checks by itself: even when nobody tells it of the re-draft (here the library draft,
    which tells no run), an approval of the hashes it showed does not send the new drafts."""
    from hrc_outreach.approval import content_hashes
    from hrc_outreach.pipeline import draft, drafted_messages

    thread, box = _run_in_thread(
        edition=EDITION, config=str(demo.config_path), languages=["en"], fallback_source=True
    )
    _wait_until(lambda: _paused(EDITION), "the approval pause", box)
    seen = content_hashes(drafted_messages(demo, EDITION))
    _late_edit(demo)
    redrafted = draft(demo, EDITION, ["en"])
    assert redrafted.voided_languages == ["en"] and redrafted.voided_run
    from hrc_outreach.workflow import answer_waiting_run

    # the re-draft forgot the wait: answer the run by its id, as if the answer crossed the draft
    answered = answer_waiting_run(redrafted.voided_run, approve=True, reviewer="Ana", hashes=seen)
    assert answered.handed
    thread.join(timeout=300)
    assert "error" not in box, box.get("error")
    result = box["result"]
    assert (result["status"], result["sent"], result["changed"]) == ("changed", False, ["en"])
    assert "edition 2026-12 changed while this run waited" in result["message"]
    assert _approvals(demo) == [] and _outbox(demo) == {}


def test_an_approval_without_a_name_or_with_other_hashes_is_refused_and_asked_again(
    demo: Settings,
) -> None:
    from prefect.client.orchestration import get_client

    from hrc_outreach.approval import content_hashes
    from hrc_outreach.pipeline import drafted_messages
    from hrc_outreach.workflow import waiting_runs

    thread, box = _run_in_thread(
        edition=EDITION, config=str(demo.config_path), languages=["en"], fallback_source=True
    )
    _wait_until(lambda: _paused(EDITION), "the approval pause", box)
    shown = content_hashes(drafted_messages(demo, EDITION))
    run_id = waiting_runs(EDITION)[0].id

    def asked_again() -> bool:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(run_id).state
        return state is not None and state.is_paused()

    _answer(demo, approve=True, reviewer="   ", hashes=shown)
    _wait_until(asked_again, "the second pause", box)
    _answer(demo, approve=True, reviewer="Ana", hashes={"en": "0" * 64})
    _wait_until(asked_again, "the third pause", box)
    assert _approvals(demo) == [] and _outbox(demo) == {}
    with get_client(sync_client=True) as client:
        artifacts = client.read_latest_artifacts(limit=50)
    (art,) = [a for a in artifacts if a.key == f"edition-{EDITION}"]
    assert "Approval refused" in str(art.data) and "changed: en" in str(art.data)
    _answer(demo, approve=False, reviewer="Bo", notes="start again")
    thread.join(timeout=300)
    assert box["result"]["status"] == "rejected"
    assert [r.decision for r in _approvals(demo)] == ["rejected"]
