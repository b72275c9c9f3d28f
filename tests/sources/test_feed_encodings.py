"""Feeds whose declared charset is not what their bytes are, served by a local server.

The declaration can be in the Content-Type header, in the XML declaration, or missing (UTF-8 by
default); the bytes windows-1251, KOI8-R, Shift_JIS or EUC-JP. What is stored must be the text the
publisher wrote, the source's report must say what was declared and what was found, language
detection must then see Russian and Japanese, and text nothing can decode is never "ok".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hrc_outreach.config import Settings
from hrc_outreach.models import GatherStatus, SourceReport
from hrc_outreach.sources.gather import gather_sync
from hrc_outreach.store import Store
from hrc_outreach.store.items import list_items
from tests.sources.rawhttp import RawServer, raw_server, respond

RU_TITLE = "Казань открывает центр для беженцев"
RU_TEXT = (
    "Город Казань открывает новый центр поддержки беженцев и мигрантов. Центр будет помогать "
    "семьям с жильём, образованием и правовыми консультациями."
)
JA_TITLE = "大阪に難民支援センターが開設"
JA_TEXT = (
    "人権都市ネットワークは、難民と移民のための新しい支援センターを大阪に開設しました。"
    "センターでは住居、教育、法律相談の支援を行います。"
)
FR_TITLE = "Gand ouvre un bureau des droits humains"
FR_TEXT = "La ville de Gand ouvre un bureau pour l'égalité, la sécurité et l'éducation à Noël."


def feed(title: str, text: str, declared: str | None) -> str:
    decl = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    return (
        f'{decl}<rss version="2.0"><channel><title>Partner</title>'
        f"<link>https://partner.example.org/</link>"
        f"<item><guid>p1</guid><title>{title}</title><link>https://partner.example.org/p1</link>"
        f"<description>{text}</description></item></channel></rss>"
    )


@pytest.fixture
def srv() -> Iterator[RawServer]:
    with raw_server() as s:
        yield s


def gather_one_feed(
    tmp_path: Path, srv: RawServer, store: Store, body: bytes, content_type: str
) -> tuple[SourceReport, list[Any]]:
    srv.routes["/feed.xml"] = respond(200, body, {"Content-Type": content_type})
    settings = Settings.model_validate(
        {
            "config_path": tmp_path / "outreach.toml",
            "fetch": {"retries": 0},
            "i18n": {"languages": ["en", "fr", "ru", "ja"]},
            "sources": [{"name": "partner", "kind": "feed", "url": srv.url + "/feed.xml"}],
        }
    )
    (report,) = gather_sync(settings, store).sources
    with store.session() as s:
        items = list(list_items(s, source="partner"))
    return report, items


MISDECLARED = [
    # (real encoding, XML declaration, Content-Type, title, text, language, declared as shown)
    ("windows-1251", "UTF-8", "application/rss+xml", RU_TITLE, RU_TEXT, "ru", "UTF-8"),
    ("windows-1251", None, "application/rss+xml", RU_TITLE, RU_TEXT, "ru", "utf-8"),
    ("windows-1251", "ISO-8859-1", "application/rss+xml", RU_TITLE, RU_TEXT, "ru", "ISO-8859-1"),
    ("windows-1251", None, "text/xml; charset=iso-8859-1", RU_TITLE, RU_TEXT, "ru", "iso-8859-1"),
    ("koi8-r", "windows-1252", "application/rss+xml", RU_TITLE, RU_TEXT, "ru", "windows-1252"),
    ("shift_jis", "UTF-8", "application/rss+xml", JA_TITLE, JA_TEXT, "ja", "UTF-8"),
    ("shift_jis", "ISO-8859-1", "application/xml", JA_TITLE, JA_TEXT, "ja", "ISO-8859-1"),
    ("shift_jis", "utf-8", "application/xml; charset=utf-8", JA_TITLE, JA_TEXT, "ja", "utf-8"),
    ("euc-jp", "iso-8859-1", "application/rss+xml", JA_TITLE, JA_TEXT, "ja", "iso-8859-1"),
]


@pytest.mark.parametrize(
    ("real", "decl", "ctype", "title", "text", "lang", "shown"),
    MISDECLARED,
    ids=[f"{m[0]}-as-{m[6]}" for m in MISDECLARED],
)
def test_a_misdeclared_charset_is_detected_and_reported(
    tmp_path: Path,
    srv: RawServer,
    sqlite_store: Store,
    real: str,
    decl: str | None,
    ctype: str,
    title: str,
    text: str,
    lang: str,
    shown: str,
) -> None:
    body = feed(title, text, decl).encode(real)
    report, items = gather_one_feed(tmp_path, srv, sqlite_store, body, ctype)
    assert report.status is GatherStatus.OK
    (item,) = items
    assert item.title == title and text in item.summary
    assert item.language == lang  # detected from the text, now that it is the real text
    (warning,) = [w for w in report.warnings if "declares" in w]
    assert "'partner'" in warning and shown in warning
    assert "detected" in warning


@pytest.mark.parametrize(
    ("real", "decl", "ctype"),
    [
        ("utf-8", "utf-8", "application/rss+xml"),
        ("utf-8", None, "application/rss+xml; charset=UTF-8"),
        ("iso-8859-1", "ISO-8859-1", "application/rss+xml"),
        ("windows-1252", None, "application/xml; charset=windows-1252"),
        ("windows-1251", "windows-1251", "application/rss+xml"),
        ("shift_jis", "Shift_JIS", "application/rss+xml"),
    ],
)
def test_a_correct_declaration_is_trusted_without_a_warning(
    tmp_path: Path, srv: RawServer, sqlite_store: Store, real: str, decl: str | None, ctype: str
) -> None:
    title, text = {
        "windows-1251": (RU_TITLE, RU_TEXT),
        "shift_jis": (JA_TITLE, JA_TEXT),
    }.get(real, (FR_TITLE, FR_TEXT))
    body = feed(title, text, decl).encode(real)
    report, items = gather_one_feed(tmp_path, srv, sqlite_store, body, ctype)
    assert report.status is GatherStatus.OK and not report.warnings, report.warnings
    assert items[0].title == title and text in items[0].summary


def test_utf8_with_a_few_broken_bytes_keeps_its_text_and_says_so(
    tmp_path: Path, srv: RawServer, sqlite_store: Store
) -> None:
    body = feed(FR_TITLE + " à Noël", FR_TEXT, "utf-8").encode()
    body = body.replace("Noël".encode(), b"No\xebl", 1)  # one latin-1 byte pasted into UTF-8
    report, items = gather_one_feed(tmp_path, srv, sqlite_store, body, "application/rss+xml")
    assert report.status is GatherStatus.OK
    (item,) = items
    assert "égalité" in item.summary and "éducation" in item.summary  # not "Ã©galitÃ©"
    assert item.title.startswith(FR_TITLE + " à No")
    (warning,) = [w for w in report.warnings if "declares" in w]
    assert "'partner'" in warning and "1 byte" in warning


def test_bytes_no_encoding_reads_are_an_error_not_ok(
    tmp_path: Path, srv: RawServer, sqlite_store: Store
) -> None:
    junk = bytes((i * 97 + 13) % 256 for i in range(600)).replace(b"<", b"").replace(b"&", b"")
    body = feed("x", "y", "utf-8").encode().replace(b"<title>x", b"<title>" + junk)
    report, items = gather_one_feed(tmp_path, srv, sqlite_store, body, "application/rss+xml")
    assert report.status is GatherStatus.ERROR and items == []
    assert "'partner'" in (report.error or "") and "utf-8" in (report.error or "")
