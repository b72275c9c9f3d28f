from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import subscribe, unsubscribe
from hrc_outreach.audience.importer import import_csv
from hrc_outreach.audience.links import links_for
from hrc_outreach.audience.snapshot import audience_snapshot, email_hash, is_suppressed
from hrc_outreach.config import Settings
from hrc_outreach.errors import AudienceError
from hrc_outreach.paths import SUBSCRIBERS_DIR
from hrc_outreach.store import Store
from hrc_outreach.store.tables import ConsentEventRow, SubscriberRow

from .conftest import snapshot_of_db

# BOM, semicolons, CRLF, header aliases in odd case, a quoted newline, mixed-case and duplicate
# addresses, invalid addresses, unknown languages, a bad date, an address that unsubscribed earlier.
HOSTILE = (
    "\ufeffE-Mail;Full Name;LANG;Tags;Opt-in Date;Consent Source\r\n"  # 1
    "ana@example.org;Ana Silva;pt;city;2024-01-02;stand at WHRCF\r\n"  # 2
    '"BOB@Example.ORG";"Bob ""the builder""\r\nSmith";EN;"cities;ngo";;\r\n'  # 3-4
    "not-an-address;X;en;;;\r\n"  # 5
    "bob@example.org;;fr-BE;researcher;;\r\n"  # 6: duplicate of line 3, merged
    "carol@example.org;Carol;Klingon;;;\r\n"  # 7: unknown language: source language, warned
    "gone@example.org;Gone;en;;2024-01-01;\r\n"  # 8: unsubscribed earlier
    "\r\n"  # 9: blank
    "dan@example.org;Dan;Français;;31/12/2023;\r\n"  # 10
    "eve@example.org;Eve;en;;not a date;\r\n"  # 11
    ";No Email;en;;;\r\n"  # 12
    "fay@example..org;Fay;en;;;\r\n"  # 13
    "Ana@EXAMPLE.org;;;ngo;;\r\n"  # 14: duplicate of line 2, merged
)


def _gone(store: Store, settings: Settings) -> None:
    with store.session() as s:
        sub, _ = subscribe(s, settings, "gone@example.org", "Gone", "en", "form")
        assert sub is not None
        token = links_for(settings).unsubscribe_url(sub.id).rsplit("/", 1)[1]
        unsubscribe(s, settings, token)


def test_hostile_csv(store: Store, settings: Settings, tmp_path: Path) -> None:
    _gone(store, settings)
    path = tmp_path / "list.csv"
    path.write_bytes(HOSTILE.encode("utf-8"))
    with store.session() as s:
        result = import_csv(s, settings, path, source="partners-2024").as_json()
    assert result["imported"] == 4 and result["updated"] == 0 and result["unchanged"] == 0
    rejected = {r["line"]: r["reason"] for r in result["rejected"]}
    assert sorted(rejected) == [5, 8, 11, 12, 13]
    assert "invalid email address 'not-an-address'" in rejected[5]
    # an unknown language is no reason to turn a person away: the source language, warned
    (warned,) = result["warnings"]
    assert warned["line"] == 7 and "unknown language 'Klingon'" in warned["reason"]
    assert "imported with the source language en" in warned["reason"]
    assert "unsubscribed" in rejected[8] and "never re-subscribes" in rejected[8]
    assert "not a date" in rejected[11]
    assert rejected[12] == "no email address"
    with store.session() as s:
        rows = {r.email: r for r in s.scalars(select(SubscriberRow))}
        assert set(rows) == {
            "ana@example.org",
            "bob@example.org",
            "carol@example.org",
            "dan@example.org",
            "gone@example.org",
        }
        assert (rows["carol@example.org"].language, rows["carol@example.org"].state) == (
            "en",
            "pending",
        )
        ana, bob, dan = rows["ana@example.org"], rows["bob@example.org"], rows["dan@example.org"]
        assert (ana.state, ana.language, ana.segments) == ("confirmed", "pt_PT", ["city", "ngo"])
        assert ana.consent_source == "stand at WHRCF" and ana.consent_at is not None
        assert (bob.state, bob.language) == ("pending", "en")
        assert bob.name == 'Bob "the builder" Smith'
        assert bob.segments == ["cities", "ngo", "researcher"]
        assert (dan.state, dan.language) == ("confirmed", "fr")
        assert dan.consent_at is not None and dan.consent_at.year == 2023
        assert rows["gone@example.org"].state == "unsubscribed"
        assert [m.email for m in audience_snapshot(s)] == ["ana@example.org", "dan@example.org"]
        logged = s.scalars(select(ConsentEventRow).where(ConsentEventRow.method == "import")).all()
        assert sorted(e.detail["line"] for e in logged) == [2, 3, 7, 10]
        assert all(e.source == "partners-2024" for e in logged)

    before = snapshot_of_db(store)
    with store.session() as s:
        again = import_csv(s, settings, path, source="partners-2024").as_json()
    assert again == {
        "imported": 0, "updated": 0, "unchanged": 4,
        "rejected": result["rejected"], "warnings": result["warnings"],
    }  # fmt: skip
    assert snapshot_of_db(store) == before


def test_comma_file_updates_and_confirms_and_status_column(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    first = tmp_path / "a.csv"
    first.write_text("email,name,language\nzoe@example.net,Zoé,nl\nyan@example.net,Yan,de\n")
    with store.session() as s:
        assert import_csv(s, settings, first).imported == 2
    second = tmp_path / "b.csv"
    second.write_text(
        "Mail,Name,Locale,Consent_at,Status\n"
        "zoe@example.net,Zoé,nl,2025-05-01T10:00:00+02:00,\n"  # now documents consent
        "yan@example.net,Yan,de,,unsubscribed\n"  # tells us Yan left
        "xi@example.net,Xi,en,,unsubscribed\n"  # unknown to us: suppressed by hash only
        "wu@example.net,Wu,en,,maybe\n"
    )
    with store.session() as s:
        result = import_csv(s, settings, second).as_json()
    assert result["imported"] == 1 and result["updated"] == 2
    assert result["rejected"] == [
        {"line": 5, "reason": "unknown status 'maybe' (use subscribed or unsubscribed)"}
    ]
    with store.session() as s:
        states = dict(s.execute(select(SubscriberRow.email, SubscriberRow.state)).tuples().all())
        assert states == {"zoe@example.net": "confirmed", "yan@example.net": "unsubscribed"}
        assert is_suppressed(s, "xi@example.net") and is_suppressed(s, "yan@example.net")
        assert s.scalar(
            select(SubscriberRow.email_hash).where(SubscriberRow.email == "zoe@example.net")
        ) == email_hash("zoe@example.net")
    with store.session() as s:
        assert import_csv(s, settings, second).as_json()["unchanged"] == 3


def test_example_list_imports_cleanly(store: Store, settings: Settings) -> None:
    with store.session() as s:
        result = import_csv(s, settings, SUBSCRIBERS_DIR / "example.csv")
    assert result.rejected == () and result.imported == 25
    with store.session() as s:
        langs = {m.language for m in audience_snapshot(s, languages=settings.i18n.languages)}
        assert langs == set(settings.i18n.languages)
        states = s.scalars(select(SubscriberRow.state)).all()
        assert states.count("pending") >= 3 and "unsubscribed" not in states


def test_whole_file_errors(store: Store, settings: Settings, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("email,name\nzoe@example.net,Zo\xe9\n".encode("latin-1"))
    no_email = tmp_path / "no-email.csv"
    no_email.write_text("name,language\nZoé,nl\n")
    with store.session() as s:
        with pytest.raises(AudienceError, match="not UTF-8"):
            import_csv(s, settings, latin1)
        with pytest.raises(AudienceError, match="no email column"):
            import_csv(s, settings, no_email)


def test_large_file_takes_the_table_scan_path(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    _gone(store, settings)
    n = 5_200  # above the IN-list threshold of the importer
    lines = ["email;language;consent date"]
    lines += [f"p{i}@example.org;{'fr' if i % 2 else 'ar'};2025-01-01" for i in range(n)]
    lines += ["GONE@example.org;en;2025-01-01", "p7@example.org;fr;"]  # suppressed, duplicate
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    with store.session() as s:
        first = import_csv(s, settings, path).as_json()
    assert (first["imported"], first["updated"], first["unchanged"]) == (n, 0, 0)
    assert [r["line"] for r in first["rejected"]] == [n + 2]
    with store.session() as s:
        again = import_csv(s, settings, path).as_json()
        assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, n)
        assert len(audience_snapshot(s)) == n
        subscribed = s.scalars(
            select(ConsentEventRow.subscriber_id).where(
                ConsentEventRow.action == "subscribed", ConsentEventRow.method == "import"
            )
        ).all()
        assert len(set(subscribed)) == n and None not in subscribed
