"""Acceptance in a real browser (Playwright driving Debian's headless Chromium): sign in, open the
French and Arabic previews, correct a machine translation and see the re-rendered preview, approve
the edition a waiting monthly flow run asks about, see the run resume and the outbox fill; axe-core
finds no serious or critical violation on any staff page, in English and in Arabic.

One Prefect test (slow): the harness starts once for this module."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hrc_outreach.config import Settings
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ApprovalRow, SubscriberRow
from tests.browser.checks import SEVERE, by_impact, describe, run_axe
from tests.browser.conftest import AXE, CHROMIUM, CHROMIUM_ARGS
from tests.support.waiting import wait_until

from .conftest import ACCOUNTS, EDITION, LANGS, MACHINE_FR, PASSWORD, environment, prepare, serve

pytestmark = [pytest.mark.browser, pytest.mark.flow, pytest.mark.slow]
CORRECTED = "Titre corrigé par une personne"


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Prefect's test server for this module (≈10 s to start; FACTS.md settings)."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    with temporary_settings(
        {
            PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
            PREFECT_RESULTS_LOCAL_STORAGE_PATH: tmp_path_factory.mktemp("prefect-results"),
            PREFECT_SERVER_ANALYTICS_ENABLED: False,
        }
    ):
        with prefect_test_harness(server_startup_timeout=120):
            yield


def _confirmed(settings: Settings) -> set[str]:
    store = Store(settings.database_url)
    with store.session() as s:
        out = set(s.scalars(select(SubscriberRow.email).where(SubscriberRow.state == "confirmed")))
    store.dispose()
    return out


def _axe(page: Any, name: str, found: dict[str, Any]) -> None:
    violations = [v for v in run_axe(page, AXE) if v["impact"] in SEVERE]
    found[name] = by_impact(violations)
    assert not violations, f"{name}: {describe(violations)}"


def test_review_correct_approve_and_the_waiting_run_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_harness: None
) -> None:
    if not CHROMIUM.exists() or not AXE.is_file():
        pytest.skip(f"needs {CHROMIUM} and {AXE}")
    from playwright.sync_api import sync_playwright

    from flows.monthly import monthly_edition
    from hrc_outreach.audience.importer import import_csv
    from hrc_outreach.paths import SUBSCRIBERS_DIR
    from hrc_outreach.workflow import waiting_runs

    settings = environment(tmp_path, monkeypatch)
    item = prepare(settings)
    store = Store(settings.database_url)
    with store.session() as s:
        import_csv(s, settings, SUBSCRIBERS_DIR / "example.csv", source="test")
    store.dispose()
    confirmed = _confirmed(settings)
    outbox = settings.resolve(settings.delivery.outbox_dir)
    axe_found: dict[str, Any] = {}

    with serve(settings) as url:
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # bypass_csp: axe is injected as a script tag, which our CSP (rightly) forbids
        context = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 900})
        context.route(
            "http*://**", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort()
        )
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{url}/staff/")  # redirected to the sign-in page
            assert "/staff/login" in page.url
            _axe(page, "login-en", axe_found)
            page.fill("#email", ACCOUNTS["admin"])
            page.fill("#password", PASSWORD)
            page.click("button[type=submit] >> text=Sign in")
            page.wait_for_url(f"{url}/staff/")

            page.goto(f"{url}/staff/editions/{EDITION}/preview/fr")
            assert page.locator("tr.origin-row-machine").count() >= 1
            frame = page.frame_locator("iframe.desktop")
            assert frame.locator("body").inner_text().count(MACHINE_FR) == 2
            page.goto(f"{url}/staff/editions/{EDITION}/preview/ar")
            assert page.locator("iframe.phone").get_attribute("width") == "375"
            assert page.frame_locator("iframe.phone").locator("html").get_attribute("dir") == "rtl"

            # correct the machine translation; the French preview is rendered again
            page.goto(f"{url}/staff/editions/{EDITION}/translations/fr")
            page.fill(f"textarea[name='t:{item}:title']", CORRECTED)
            page.click("button[type=submit] >> text=Save the translations")
            page.wait_for_url(f"{url}/staff/editions/{EDITION}/preview/fr?done=translated")
            text = page.frame_locator("iframe.desktop").locator("body").inner_text()
            # the machine title is gone; its machine summary stays until someone corrects it too
            assert CORRECTED in text and text.count(MACHINE_FR) == 1

            # every staff page, English and Arabic: no serious or critical axe violation
            pages = [
                "/staff/",
                f"/staff/editions/{EDITION}",
                f"/staff/editions/{EDITION}/preview/fr",
                f"/staff/editions/{EDITION}/preview/ar",
                f"/staff/editions/{EDITION}/translations/fr",
                f"/staff/editions/{EDITION}/translations/ar",
                f"/staff/editions/{EDITION}/delivery",
                "/staff/subscribers",
                "/staff/accounts",
            ]
            for ui in ("ar", "en"):
                for p in pages:
                    page.goto(f"{url}{p}?ui={ui}")
                    assert page.locator("html").get_attribute("dir") == (
                        "rtl" if ui == "ar" else "ltr"
                    )
                    _axe(page, f"{p}-{ui}", axe_found)

            # the monthly run drafts the corrected edition and waits for a person
            box: dict[str, Any] = {}

            def run() -> None:
                try:
                    box["result"] = monthly_edition(
                        edition=EDITION,
                        languages=LANGS,
                        config=str(settings.config_path),
                        gather=False,
                    )
                except BaseException as exc:  # noqa: BLE001 - reported by the test
                    box["error"] = exc

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            wait_until(lambda: bool(waiting_runs(EDITION)), "the approval pause", box)
            # only the reviewers' notice is in the outbox while the run waits; no subscriber's email
            assert {m.parent.name for m in outbox.rglob("*.eml")} == {f"review-waiting-{EDITION}"}

            page.goto(f"{url}/staff/editions/{EDITION}")
            assert page.locator("text=A flow run waits for a decision").count() == 1
            page.fill("#notes", "corrected the French title")
            page.click("button[name=decision][value=approve]")
            page.wait_for_url("**/staff/editions/*?done=approved-flow*")
            thread.join(timeout=300)
            if "error" in box:
                raise AssertionError("the monthly run failed after approval") from box["error"]
            assert box["result"]["status"] == "sent", box["result"]

            sent = [m for m in outbox.rglob("*.eml") if not m.parent.name.startswith("review-")]
            assert len(sent) == len(confirmed) > 5
            page.goto(f"{url}/staff/editions/{EDITION}/delivery")
            assert page.locator("tr.total td").first.inner_text() == str(len(confirmed))
            for ui in ("ar", "en"):
                page.goto(f"{url}/staff/editions/{EDITION}/delivery?ui={ui}")
                _axe(page, f"delivery-sent-{ui}", axe_found)
                page.goto(f"{url}/staff/editions/{EDITION}/delivery/confirm/retry-failed?ui={ui}")
                _axe(page, f"confirm-{ui}", axe_found)
            page.goto(f"{url}/staff/?ui=en")
            assert page.locator(".state-sent").count() == 1
        finally:
            context.close()
            browser.close()
            pw.stop()
    store = Store(settings.database_url)
    with store.session() as s:
        row = s.scalars(select(ApprovalRow).where(ApprovalRow.edition_key == EDITION)).one()
    store.dispose()
    assert (row.decision, row.by, row.notes) == (
        "approved",
        "Adi Admin",
        "corrected the French title",
    )
    print("\naxe (serious/critical nodes) per staff page:", axe_found)
