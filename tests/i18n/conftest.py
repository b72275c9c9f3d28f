"""Fixtures for the i18n tests: fake translation servers and a small edition."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from hrc_outreach.models import ContentItem, Edition, ItemKind, ItemText, Section, SectionKind
from tests.i18n.fakeservers import FakeEngine, serve


@pytest.fixture
def deepl_server() -> Iterator[tuple[str, FakeEngine]]:
    with serve("deepl") as s:
        yield s


@pytest.fixture
def libre_server() -> Iterator[tuple[str, FakeEngine]]:
    with serve("libretranslate") as s:
        yield s


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def make_item(n: int, **kw: object) -> ContentItem:
    fields: dict[str, object] = {
        "id": f"item{n:03d}",
        "source": "test",
        "source_key": str(n),
        "kind": ItemKind.PRACTICE,
        "title": f"Human Rights City number {n} opens a housing office",
        "summary": f"<p>The city <strong>{n}</strong> works with DARE on housing.</p>",
        "url": f"https://example.org/items/{n}",
        "language": "en",
    }
    fields.update(kw)
    return ContentItem.model_validate(fields)


@pytest.fixture
def edition() -> Edition:
    items = (
        make_item(1),
        make_item(2),
        make_item(3, translations={"fr": ItemText(title="Troisième", summary="<p>Trois</p>")}),
    )
    events = (make_item(4, kind=ItemKind.EVENT, summary=""),)
    return Edition(
        key="2026-12", title="December 2026", issue_number=24, date=date(2026, 12, 1),
        sections=(Section(kind=SectionKind.PRACTICES, items=items),
                  Section(kind=SectionKind.EVENTS, items=events)),
    )
