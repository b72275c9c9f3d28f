"""Attack (issue 13): erasing a person from kept copies (outbox ``.eml`` files) when some copies
are damaged, and when the address has an internationalised domain (IDN) written in either form.

One damaged file never stops an erasure: it is named for staff to check, and deleted when it
still names the person as text; every other file is handled as usual."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hrc_outreach.audience.kept import erase_kept, erase_kept_copies
from hrc_outreach.cli import app
from hrc_outreach.config import DeliverySettings, Settings
from hrc_outreach.deliver.mime import address

DAMAGED_TO = (
    b"=?utf-8?q?x?=<",  # the attacker's header: IndexError inside the standard parser
    b"<",
    b"=?utf-8?b?////?= <",
    b'"unclosed <li@example.org',
    b"=?unknown-8bit?q?=FF?= <",
    b"\xff\xfe<\x00",
    b"Group:; <",
)


def _eml(folder: Path, name: str, to: bytes, body: bytes = b"body\r\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"To: " + to + b"\r\nSubject: x\r\n\r\n" + body)
    return path


def _settings(outbox: Path) -> Settings:
    return Settings(delivery=DeliverySettings(outbox_dir=outbox))


@pytest.mark.parametrize("to", DAMAGED_TO)
def test_one_damaged_copy_does_not_stop_the_erasure(tmp_path: Path, to: bytes) -> None:
    outbox = tmp_path / "outbox"
    damaged = _eml(outbox / "2026-12", "job1-en-batch1-sub7.eml", to)
    hers = _eml(outbox / "2026-12", "job1-en-batch1-sub1.eml", b"Li <li@example.org>")
    other = _eml(outbox / "2026-12", "job1-en-batch1-sub2.eml", b"bob@example.org")
    result = erase_kept(_settings(outbox), "li@example.org")
    assert result.deleted >= 1 and erase_kept_copies(_settings(outbox), "li@example.org") == 0
    assert not hers.exists() and other.exists()
    # the report names files, never an address (it is printed and logged)
    assert result.to_check and all("example.org" not in note for note in result.to_check)
    # the damaged file is deleted only when it names her as text, else it stays for staff
    assert damaged.exists() == (b"li@example.org" not in to)


def test_a_damaged_copy_is_named_for_staff_and_deleted_when_it_names_the_person(
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    nobody = _eml(outbox / "a", "job1-en-batch1-sub7.eml", b"=?utf-8?q?x?=<")
    hers = _eml(outbox / "b", "job2-en-batch1-sub8.eml", b"=?utf-8?q?x?=< LI@Example.ORG")
    in_body = _eml(outbox / "c", "test-en.eml", b"<", body=b"Dear li@example.org,\r\n")
    result = erase_kept(_settings(outbox), "li@example.org")
    assert result.deleted == 2 and not hers.exists() and not in_body.exists()
    assert nobody.exists()  # may name someone else: kept, and named for a check by hand
    text = " | ".join(result.to_check)
    for path in (nobody, in_body):  # ``hers`` was read leniently: a clean match, not damage
        assert str(path) in text, text
    assert "deleted" in next(m for m in result.to_check if str(in_body) in m)
    assert "check" in next(m for m in result.to_check if str(nobody) in m)


def test_an_unreadable_file_is_named_and_the_rest_go_on(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    hers = _eml(outbox / "a", "job1-en-batch1-sub1.eml", b"li@example.org")
    folder_named_eml = outbox / "b" / "odd.eml"
    folder_named_eml.mkdir(parents=True)  # not a file: skipped, not an error
    result = erase_kept(_settings(outbox), "li@example.org")
    assert result.deleted == 1 and not hers.exists() and result.to_check == ()


@pytest.mark.parametrize(
    ("erased", "written"),
    [
        ("ana@bücher.example", b"Ana <ana@xn--bcher-kva.example>"),
        ("ana@xn--bcher-kva.example", "Ana <ana@bücher.example>".encode()),
        ("ANA@XN--BCHER-KVA.EXAMPLE", b"ana@xn--bcher-kva.example"),
        ("ana@BÜCHER.example", b"ana@xn--bcher-kva.example"),
        ("ana@straße.example", b"ana@strasse.example"),  # IDNA 2003, as our mime module writes
        ("ana@straße.example", b"ana@xn--strae-oqa.example"),  # IDNA 2008
        ("ana@пример.укр", b"ana@xn--e1afmkfd.xn--j1amh"),
    ],
)
def test_idn_addresses_match_in_either_form(tmp_path: Path, erased: str, written: bytes) -> None:
    outbox = tmp_path / "outbox"
    hers = _eml(outbox / "a", "job1-en-batch1-sub1.eml", written)
    other = _eml(outbox / "a", "job1-en-batch1-sub2.eml", b"ana@buecher.example")
    assert erase_kept_copies(_settings(outbox), erased) == 1
    assert not hers.exists() and other.exists()


def test_a_copy_our_mime_module_wrote_to_an_idn_address_is_erased(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    to = str(address("ana@bücher.example", "Ana Bücher")).encode()
    hers = _eml(outbox / "a", "test-fr.eml", to)
    assert erase_kept_copies(_settings(outbox), "Ana@Bücher.example") == 1
    assert not hers.exists()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("HRC_CONFIG", "PREFECT_API_URL", "HRC_EMAIL_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HRC_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("HRC_TOKEN_SECRET", "privacy-test-secret-0123456789")
    return tmp_path


def _import(tmp_path: Path, email: str) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text(f"email,status,consent_at\n{email},subscribed,2026-01-02\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["subscribers", "import", str(csv)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("stored", "erased"),
    [
        ("ana@bücher.example", "ana@xn--bcher-kva.example"),
        ("ana@xn--bcher-kva.example", "Ana@Bücher.example"),
        ("ana@bücher.example", "ANA@XN--BCHER-KVA.EXAMPLE"),
    ],
)
def test_a_person_with_an_idn_address_is_erased_by_either_form(
    cli_env: Path, stored: str, erased: str
) -> None:
    _import(cli_env, stored)
    outbox = cli_env / "out" / "outbox"
    copy = _eml(outbox / "tests", "test-en.eml", str(address(stored)).encode())
    result = CliRunner().invoke(app, ["subscribers", "erase", erased, "--yes"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["subscriber_deleted"] and report["kept_copies_deleted"] == 1, report
    assert not copy.exists()
    # the suppression holds for every form of the address
    again = CliRunner().invoke(app, ["subscribers", "erase", stored, "--yes"])
    assert again.exit_code == 0 and not json.loads(again.stdout)["subscriber_deleted"]


def test_the_cli_erasure_reports_damaged_copies(cli_env: Path) -> None:
    tmp_path = cli_env
    _import(tmp_path, "li@example.org")
    runner = CliRunner()
    outbox = tmp_path / "out" / "outbox"
    damaged = _eml(outbox / "2026-12", "job1-en-batch1-sub9.eml", b"=?utf-8?q?x?=<")
    hers = _eml(outbox / "2026-12", "job1-en-batch1-sub5.eml", b"li@example.org")
    result = runner.invoke(app, ["subscribers", "erase", "li@example.org", "--yes"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["kept_copies_deleted"] == 1 and not hers.exists() and damaged.exists()
    assert any(damaged.name in m for m in report["kept_copies_to_check"]), report


@pytest.mark.parametrize(
    "odd",
    [
        "ana@xn--zz.example",  # not a valid A-label
        "ana@" + "ü" * 70 + ".example",  # a label too long for DNS
        "ana@a..example",
        "ana@.",
        "@example.org",
        "no-at-sign",
        "ana@xn--bcher-kva.example.",  # a trailing root dot
    ],
)
def test_odd_addresses_neither_crash_nor_match_others(tmp_path: Path, odd: str) -> None:
    outbox = tmp_path / "outbox"
    other = _eml(outbox / "a", "job1-en-batch1-sub2.eml", b"ana@example.org")
    result = erase_kept(_settings(outbox), odd)
    assert result.deleted == 0 and other.exists() and result.to_check == ()
