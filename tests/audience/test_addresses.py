"""Addresses with a non-ASCII local part are refused wherever someone can enter one (issue 10).

Such a mailbox can only be reached with SMTPUTF8, which our providers do not offer per message;
without it the address went out as an RFC 2047 encoded-word inside the address, which is invalid.
Internationalised *domains* stay accepted: they have an ASCII (punycode) form.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hrc_outreach.audience.addresses import normalise_email
from hrc_outreach.audience.consent import subscribe
from hrc_outreach.audience.importer import import_csv
from hrc_outreach.audience.snapshot import is_suppressed
from hrc_outreach.cli import app
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow

NON_ASCII_LOCAL = [
    "josé@example.org",
    "JOSÉ@example.org",
    "jose\u0301@example.org",  # e + combining acute accent
    "мария@пример.рф",
    "ｊose@example.org",  # fullwidth j
    "ana\u200b@example.org",  # zero-width space
    "محمد@example.org",
    "zoë.müller@example.de",
]


@pytest.mark.parametrize("address", NON_ASCII_LOCAL)
def test_normalise_refuses_a_non_ascii_local_part(address: str) -> None:
    with pytest.raises(AudienceError, match="non-ASCII characters before the @.*SMTPUTF8"):
        normalise_email(address)


@pytest.mark.parametrize(
    ("address", "normal"),
    [("ana@bücher.de", "ana@bücher.de"), ("Ana@EXAMPLE.org", "ana@example.org")],
)
def test_ascii_local_parts_and_idn_domains_stay_accepted(address: str, normal: str) -> None:
    assert normalise_email(address) == normal


def test_import_rejects_each_such_row_with_its_line_and_reason(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    rows = ["email,name"] + [f"{a},Someone" for a in NON_ASCII_LOCAL] + ["ana@bücher.de,Ana"]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with store.session() as s:
        result = import_csv(s, settings, path).as_json()
    assert result["imported"] == 1
    rejected = {r["line"]: r["reason"] for r in result["rejected"]}
    assert sorted(rejected) == list(range(2, 2 + len(NON_ASCII_LOCAL)))
    assert all("non-ASCII characters before the @" in r for r in rejected.values())
    assert "'é'" in rejected[2]
    with store.session() as s:
        assert list(s.scalars(select(SubscriberRow.email))) == ["ana@bücher.de"]


def test_an_unsubscribed_row_with_such_an_address_is_still_suppressed(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    """Refusing to send must not mean forgetting an opt-out: it is kept as a hash."""
    path = tmp_path / "list.csv"
    path.write_text("email,status\njosé@example.org,unsubscribed\n", encoding="utf-8")
    with store.session() as s:
        result = import_csv(s, settings, path).as_json()
    assert result["rejected"] == [] and result["imported"] == 1
    with store.session() as s:
        assert is_suppressed(s, "JOSÉ@example.org")
        assert list(s.scalars(select(SubscriberRow))) == []


@pytest.mark.parametrize("address", NON_ASCII_LOCAL[:3])
def test_the_subscribe_form_refuses_them_too(
    store: Store, settings: Settings, address: str
) -> None:
    with store.session() as s, pytest.raises(AudienceError, match="non-ASCII"):
        subscribe(s, settings, address, "José", "fr", "form")
    with store.session() as s:
        assert list(s.scalars(select(SubscriberRow))) == []


def test_the_cli_import_lists_them_as_rejected(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HRC_CONFIG", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("HRC_DATABASE_URL", store.url)
    monkeypatch.setenv("HRC_TOKEN_SECRET", "cli-test-secret-0123456789")
    path = tmp_path / "list.csv"
    path.write_text("email\nana@example.org\njosé@example.org\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["subscribers", "import", str(path), "--json"])
    data = json.loads(done.stdout)
    assert data["imported"] == 1
    assert [r["line"] for r in data["rejected"]] == [3]
    assert "non-ASCII characters before the @" in data["rejected"][0]["reason"]
