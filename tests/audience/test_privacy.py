"""Privacy guards (issue 13): the suppression an erasure leaves is a keyed hash that a dictionary of
addresses does not reverse; old plain-sha256 stores are converted and keep suppressing; a changed
key is refused; erasing removes kept copies; kept copies expire; an unknown address is not
"erased" into a new suppression."""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hrc_outreach.audience.consent import subscribe
from hrc_outreach.audience.kept import purge_kept_copies
from hrc_outreach.audience.snapshot import is_suppressed
from hrc_outreach.cli import app
from hrc_outreach.config import DeliverySettings, Settings, StoreSettings
from hrc_outreach.errors import ConfigError
from hrc_outreach.models import email_hash
from hrc_outreach.store import Store, open_store
from hrc_outreach.store.tables import (
    ConsentEventRow,
    SendRecipientRow,
    StoreMetaRow,
    SubscriberRow,
    SuppressionRow,
)
from tests.support.ledger_data import add_accepted

# what an attacker holding a copy of the suppression table would try: likely addresses
DICTIONARY = [f"{n}@example.org" for n in ("ana", "bob", "hanna", "amira.haddad", "li")]


def _sha(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HRC_CONFIG", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("HRC_EMAIL_HASH_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("HRC_DATABASE_URL", url)
    monkeypatch.setenv("HRC_TOKEN_SECRET", "privacy-test-secret-0123456789")
    return url


def _cli(*args: str, input: str | None = None) -> tuple[int, str]:
    """Exit code, and stdout (JSON) when it succeeded, else stdout and stderr."""
    result = CliRunner().invoke(app, list(args), input=input)
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def _suppression_hashes(url: str) -> set[str]:
    store = Store(url)
    try:
        with store.session() as s:
            return set(s.scalars(select(SuppressionRow.email_hash)))
    finally:
        store.dispose()


def test_an_erased_address_is_not_found_by_a_dictionary_of_plain_hashes(
    cli_env: str, tmp_path: Path
) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text("email,status,consent_at\nhanna@example.org,subscribed,2026-01-02\n")
    assert _cli("subscribers", "import", str(csv))[0] == 0
    code, out = _cli("subscribers", "erase", "hanna@example.org", "--yes")
    assert code == 0, out
    kept = _suppression_hashes(cli_env)
    assert len(kept) == 1
    store = Store(cli_env)
    with store.session() as s:  # what else keeps the person's hash: the consent log
        logged = set(s.scalars(select(ConsentEventRow.email_hash)))
    store.dispose()
    assert logged == kept
    # the attack: hash every guess the way a plain sha256 store would, look it up
    assert not kept & {_sha(a) for a in DICTIONARY}
    assert not kept & {hashlib.sha256(a.upper().encode()).hexdigest() for a in DICTIONARY}
    # every value is keyed (prefixed), and the same address under another key hashes otherwise
    assert all(h.startswith("k1") and len(h) == 64 for h in kept)
    from hrc_outreach.models import use_email_hash_key

    use_email_hash_key(b"an attacker's guess at the key....")
    assert email_hash("hanna@example.org") not in kept
    # and the erased person stays suppressed for the store's own key
    code, out = _cli("subscribers", "export", "hanna@example.org")
    assert json.loads(out)["suppression"]["reason"] == "erased"


def _legacy_store(url: str) -> None:
    """A store as the plain-sha256 version left it: an erased address, an unsubscribed
    subscriber, their consent entries and a pseudonymised send record, no key recorded."""
    store = Store(url)
    now = datetime.now(UTC)
    with store.session() as s:
        s.add(SuppressionRow(email_hash=_sha("hanna@example.org"), reason="erased", at=now))
        s.add(SuppressionRow(email_hash=_sha("bob@example.org"), reason="unsubscribed", at=now))
        sub = SubscriberRow(
            email="bob@example.org",
            email_hash=_sha("bob@example.org"),
            state="unsubscribed",
            language="en",
        )
        s.add(sub)
        s.flush()
        s.add(
            ConsentEventRow(
                subscriber_id=sub.id,
                email_hash=_sha("bob@example.org"),
                action="unsubscribed",
                method="link",
            )
        )
        s.add(ConsentEventRow(email_hash=_sha("hanna@example.org"), action="erased", method="cli"))
        add_accepted(
            s,
            "2026-11",
            "en",
            subscriber_id=99,  # the erased subscriber's id, row long gone
            email=_sha("hanna@example.org"),
            batch_key="b1",
        )
    store.dispose()


def test_a_plain_sha256_store_is_converted_once_and_keeps_suppressing(
    cli_env: str, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On each engine (SQLite; PostgreSQL when HRC_TEST_POSTGRES_URL is set)."""
    cli_env = store_url
    monkeypatch.setenv("HRC_DATABASE_URL", store_url)
    _legacy_store(cli_env)
    settings = Settings(store=StoreSettings(url=cli_env))
    store = open_store(settings)
    with store.session() as s:
        supp = set(s.scalars(select(SuppressionRow.email_hash)))
        logged = set(s.scalars(select(ConsentEventRow.email_hash)))
        sent = set(s.scalars(select(SendRecipientRow.email)))
        bob = s.scalars(select(SubscriberRow)).one()
        assert supp == {email_hash("hanna@example.org"), email_hash("bob@example.org")}
        assert logged == supp and sent == {email_hash("hanna@example.org")}
        assert bob.email_hash == email_hash("bob@example.org")
        assert not supp & {_sha(a) for a in DICTIONARY}
        # the erased address cannot come back through the form; bob is still suppressed
        assert subscribe(s, settings, "Hanna@Example.org") == (None, None)
        assert is_suppressed(s, "bob@example.org") and is_suppressed(s, "hanna@example.org")
    store.dispose()
    # opening again converts nothing twice (a double HMAC would lose every suppression)
    again = open_store(settings)
    with again.session() as s:
        assert set(s.scalars(select(SuppressionRow.email_hash))) == supp
    again.dispose()
    # and the CLI import refuses to bring the erased address back
    csv = tmp_path / "back.csv"
    csv.write_text("email,status,consent_at\nhanna@example.org,subscribed,2026-01-02\n")
    _cli("subscribers", "import", str(csv))
    code, out = _cli("subscribers", "export", "hanna@example.org")
    assert json.loads(out)["subscriber"] is None


def test_a_changed_key_is_refused_before_any_address_is_hashed(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(store=StoreSettings(url=cli_env))
    store = open_store(settings)
    with store.session() as s:
        subscribe(s, settings, "ana@example.org")
        assert s.get(StoreMetaRow, "email_hash_key") is not None
    store.dispose()
    monkeypatch.setenv("HRC_TOKEN_SECRET", "a-rotated-token-secret-987654321")
    store = open_store(settings)
    with pytest.raises(ConfigError, match="another key"):
        email_hash("ana@example.org")
    store.dispose()
    code, out = _cli("subscribers", "export", "ana@example.org")
    assert code == 1 and "another key" in out
    # another dedicated key is refused too; the old token secret as the hash key is the way to
    # rotate the token secret
    monkeypatch.setenv("HRC_EMAIL_HASH_KEY", "a-dedicated-key-0123456789abcdef")
    assert _cli("subscribers", "export", "ana@example.org")[0] == 1
    monkeypatch.setenv("HRC_EMAIL_HASH_KEY", "privacy-test-secret-0123456789")
    code, out = _cli("subscribers", "export", "ana@example.org")
    assert code == 0 and json.loads(out)["subscriber"]["email"] == "ana@example.org"


def test_erasing_an_unknown_address_fails_and_adds_no_suppression(cli_env: str) -> None:
    code, out = _cli("subscribers", "erase", "nobody@example.org", "--yes")
    assert code == 1 and "nothing is stored" in out
    assert _suppression_hashes(cli_env) == set()


def _eml(folder: Path, name: str, to: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"To: Someone <{to}>\nSubject: x\n\nbody\n")
    return path


def test_erasure_deletes_kept_copies_and_old_copies_expire(cli_env: str, tmp_path: Path) -> None:
    outbox = tmp_path / "out" / "outbox"
    csv = tmp_path / "people.csv"
    csv.write_text("email,status,consent_at\nli@example.org,subscribed,2026-01-02\n")
    assert _cli("subscribers", "import", str(csv))[0] == 0
    hers = _eml(outbox / "2026-12", "job1-en-batch1-sub1.eml", "LI@example.org")
    test_copy = _eml(outbox / "tests", "test-en.eml", "li@example.org")
    other = _eml(outbox / "2026-12", "job1-en-batch1-sub2.eml", "bob@example.org")
    code, out = _cli("subscribers", "erase", "li@example.org", "--yes")
    assert code == 0, out
    assert json.loads(out)["kept_copies_deleted"] == 2
    assert not hers.exists() and not test_copy.exists() and other.exists()
    # a person known only from a kept copy (a test send to an editor) can be erased too
    _eml(outbox / "tests", "test-fr.eml", "editor@example.org")
    code, out = _cli("subscribers", "erase", "editor@example.org", "--yes")
    assert code == 0 and json.loads(out)["kept_copies_deleted"] == 1

    settings = Settings(delivery=DeliverySettings(outbox_dir=outbox, outbox_retention_days=30))
    old = _eml(outbox / "2026-01", "job9-en-batch1-sub9.eml", "zoe@example.org")
    long_ago = time.time() - 31 * 86400
    os.utime(old, (long_ago, long_ago))
    assert purge_kept_copies(settings) == 1
    assert not old.exists() and other.exists()
    keep_all = Settings(delivery=DeliverySettings(outbox_dir=outbox, outbox_retention_days=0))
    os.utime(other, (long_ago, long_ago))
    assert purge_kept_copies(keep_all) == 0 and other.exists()
