"""Headlines and summaries from the staff preview (issue 13), over real HTTP: generated titles are
flagged, an editor sets a headline and a summary for the edition (CSRF like every form), the file
editions/<key>.yaml keeps them beside the pins, the edition is drafted again; hostile text stays
text."""

from __future__ import annotations

from contextlib import closing

import yaml
from markupsafe import escape

from hrc_outreach.curate.edition import editions_dir
from hrc_outreach.render.output import read_rendered

from .conftest import EDITION, Served, csrf_of, login

HOSTILE = '<img src=x onerror=alert(1)> {{ params.x }} [[unsubscribe_url]] "quoted" & more'


def _form_of(page: str, item: str) -> bool:
    return f'action="/staff/editions/{EDITION}/items/{item}/text"' in page


def test_generated_titles_are_flagged_and_staff_set_a_headline_and_summary(served: Served) -> None:
    settings = served.settings
    with closing(login(served.url, "editor")) as ed:
        page = ed.get(f"/staff/editions/{EDITION}/preview/en").text
        assert "Generated headline" in page  # the sample digest's titles are made from text
        lines = [p for p in page.split("<tr ")[1:] if "generated-title" in p]
        assert lines
        item = lines[0].split(f"/staff/editions/{EDITION}/items/")[1].split("/")[0]
        assert _form_of(page, item)

        # without the CSRF token: refused, nothing written
        r = ed.post(f"/staff/editions/{EDITION}/items/{item}/text", data={"headline": "x"})
        assert r.status_code == 403
        path = editions_dir(settings) / f"{EDITION}.yaml"
        before = path.read_text(encoding="utf-8") if path.is_file() else ""
        assert "x" not in yaml.safe_load(before or "{}").get("headlines", {}).values()

        r = ed.post(
            f"/staff/editions/{EDITION}/items/{item}/text",
            data={
                "csrf": csrf_of(page),
                "headline": HOSTILE,
                "summary": "A summary written by staff.",
                "lang": "en",
            },
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/staff/editions/{EDITION}/preview/en?done=saved"
        saved = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert saved["headlines"] == {item: HOSTILE}
        assert saved["summaries"] == {item: "A summary written by staff."}

        page = ed.get(f"/staff/editions/{EDITION}/preview/en?done=saved").text
        assert str(escape(HOSTILE)) in page  # the headline shown and in its form field, as text
        assert "<img src=x" not in page
        row = next(p for p in page.split("<tr ")[1:] if f"/items/{item}/" in p)
        assert "generated-title" not in row  # a person wrote this headline

        # the edition was drafted again with it; the email shows it as text
        drafted = read_rendered(settings.resolve(settings.out_dir), EDITION)
        assert "A summary written by staff." in drafted["en"].html
        assert "<img src=x" not in drafted["en"].html
        assert "{{ params.x }}" not in drafted["en"].html
        assert "[[unsubscribe_url]]" not in drafted["en"].html

        # an item not in the edition, or not an item id at all
        csrf = csrf_of(page)
        for bad in ("0" * 24, "..%2F..%2Fetc"):
            r = ed.post(
                f"/staff/editions/{EDITION}/items/{bad}/text", data={"csrf": csrf, "headline": "x"}
            )
            assert r.status_code == 404

        # too long: reported, the file unchanged
        r = ed.post(
            f"/staff/editions/{EDITION}/items/{item}/text",
            data={"csrf": csrf, "headline": "y" * 400, "lang": "en"},
        )
        assert r.status_code == 303 and "done=failed" in r.headers["location"]
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["headlines"] == {item: HOSTILE}

        # clearing both fields removes the entries
        r = ed.post(
            f"/staff/editions/{EDITION}/items/{item}/text",
            data={"csrf": csrf, "headline": "", "summary": "", "lang": "en"},
        )
        assert r.status_code == 303
        left = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        assert "headlines" not in left and "summaries" not in left


def test_the_edition_page_warns_approvers_about_events_under_way(served: Served) -> None:
    from datetime import UTC, datetime, timedelta

    from hrc_outreach.models import ContentItem, ItemKind, item_id
    from hrc_outreach.store import Store
    from hrc_outreach.store.items import upsert_items
    from hrc_outreach.store.tables import EditionRow

    started = ContentItem(
        id=item_id("manual", "under-way"),
        source="manual",
        source_key="under-way",
        kind=ItemKind.EVENT,
        title="A <b>webinar</b> under way",
        start=datetime.now(UTC) - timedelta(hours=1),
        language="en",
    )
    store = Store(served.settings.database_url)
    try:
        with store.session() as s:
            upsert_items(s, [started])
            row = s.get(EditionRow, EDITION)
            assert row is not None
            before = list(row.item_ids)
            row.item_ids = [*before, started.id]
        with closing(login(served.url, "approver")) as ap:
            page = ap.get(f"/staff/editions/{EDITION}").text
        assert 'class="warning started-events"' in page
        assert "will have started" in page and "A &lt;b&gt;webinar&lt;/b&gt; under way" in page
        with store.session() as s:
            row = s.get(EditionRow, EDITION)
            assert row is not None
            row.item_ids = before
        with closing(login(served.url, "approver")) as ap:
            assert "webinar&lt;/b&gt; under way" not in ap.get(f"/staff/editions/{EDITION}").text
    finally:
        store.dispose()
