"""A fixed edition built from items constructed here (independent of samples/), for render tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.models import (
    ContentItem,
    Edition,
    ItemKind,
    ItemText,
    Section,
    SectionKind,
    item_id,
)

INTRO = (
    "Dear readers,\n\nThis month we look back on a year of [human rights cities]"
    "(https://humanrightscities.net/about) working together, and ahead to the events of the winter."
)


def _item(source: str, key: str, kind: ItemKind, title: str, **kw: object) -> ContentItem:
    return ContentItem(id=item_id(source, key), source=source, source_key=key, kind=kind,
                       title=title, language="en", **kw)  # type: ignore[arg-type]


def fixed_items() -> list[ContentItem]:
    """Items of every kind, one with a French human translation, one event with a zone."""
    return [
        _item(
            "whrcf-digest", "gwangju", ItemKind.PRACTICE,
            "Gwangju's integrated care programme",
            summary="<p>Basic standards of care for every resident, with care services and "
                    "<a href=\"https://example.org/gwangju\">job creation</a>.</p>",
            url="https://humanrightscities.net/practices/gwangju",
            city="Gwangju", country="KR",
            published_at=datetime(2026, 11, 10, 9, tzinfo=UTC),
            translations={"fr": ItemText(title="Le programme de soins intégrés de Gwangju",
                                         summary="<p>Des normes de soins pour chaque habitant.</p>")},
        ),
        _item(
            "whrcf-digest", "singkawang", ItemKind.PRACTICE,
            "Singkawang, a city of tolerance",
            summary="<p>Equal access to education & healthcare for all residents.</p>",
            url="https://humanrightscities.net/practices/singkawang",
            city="Singkawang", country="ID",
            image_url="https://humanrightscities.net/media/singkawang.jpg",
            image_alt="A street festival in Singkawang",
            published_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
        ),
        _item(
            "hrcn-news", "dare-2026", ItemKind.PROJECT_UPDATE,
            "DARE: first-time voters speak up",
            summary="<p>Young people with migration backgrounds shared what voting means to them.</p>",
            url="https://humanrightscities.net/projects/dare/first-time-voters",
            project="DARE",
            published_at=datetime(2026, 11, 12, 9, tzinfo=UTC),
        ),
        _item(
            "hrcn-events", "webinar-monitoring", ItemKind.EVENT,
            "Webinar: monitoring human rights in social services",
            summary="<p>CAREinCities partners share their monitoring tools.</p>",
            url="https://humanrightscities.net/events/monitoring-webinar",
            start=datetime(2026, 12, 8, 13, 0, tzinfo=UTC),
            end=datetime(2026, 12, 8, 14, 30, tzinfo=UTC),
            timezone="Europe/Brussels",
            online_url="https://humanrightscities.net/live/monitoring",
            registration_url="https://humanrightscities.net/events/monitoring-webinar/register",
        ),
        _item(
            "hrcn-news", "leuven", ItemKind.NEWS,
            "Leuven joins the network",
            summary="<p>The City of Leuven is our newest human rights city.</p>",
            url="https://humanrightscities.net/news/leuven",
            published_at=datetime(2026, 11, 15, 9, tzinfo=UTC),
        ),
    ]


def fixed_edition(items: list[ContentItem] | None = None) -> Edition:
    items = fixed_items() if items is None else items
    kinds = {
        ItemKind.PRACTICE: SectionKind.PRACTICES, ItemKind.PROJECT_UPDATE: SectionKind.PROJECTS,
        ItemKind.EVENT: SectionKind.EVENTS, ItemKind.NEWS: SectionKind.NEWS,
    }
    sections = []
    for kind in (ItemKind.PRACTICE, ItemKind.PROJECT_UPDATE, ItemKind.EVENT, ItemKind.NEWS):
        group = tuple(i for i in items if i.kind is kind)
        if group:
            sections.append(Section(kind=kinds[kind], items=group))
    return Edition(
        key="2026-12", title="The Human Rights Readers — December 2026", issue_number=24,
        date=date(2026, 12, 1), intro_markdown=INTRO, sections=tuple(sections),
    )


@pytest.fixture
def settings() -> Settings:
    # The defaults, not ./outreach.toml: these tests must not change when the sample config does.
    return Settings()


@pytest.fixture
def edition() -> Edition:
    return fixed_edition()


@pytest.fixture
def cfg(tmp_path: Path) -> Settings:
    """The default settings with an editions/ folder holding a short intro for 2026-12."""
    editions = tmp_path / "editions"
    editions.mkdir()
    (editions / "2026-12.md").write_text("Dear readers,\n\nA warm welcome.\n", encoding="utf-8")
    return Settings.model_validate({"newsletter": {"editions_dir": str(editions)}})
