"""A person's name, from any entry path, can never add a header or break a batch.

Names come from CSV imports, the public subscribe form and rows stored before any check; they go
into the ``To:`` header (SMTP, outbox, Postmark) or a provider's ``to.name`` (Brevo, SendGrid) and
into the ``[[name]]`` placeholder. Control characters and line separators (CR, LF, NUL, U+2028,
NEL, ESC) must come out as plain spaces wherever the name ends up, and one odd name must not stop
the other recipients of its batch.
"""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from hrc_outreach.audience.consent import subscribe
from hrc_outreach.audience.importer import import_csv
from hrc_outreach.audience.links import recipient_params
from hrc_outreach.config import Settings, StoreSettings
from hrc_outreach.deliver.providers.outbox import OutboxProvider
from hrc_outreach.models import Batch, Recipient, RenderedMessage, display_name
from hrc_outreach.store import Store
from hrc_outreach.store.tables import SubscriberRow

SECRET = "attack-secret-0123456789abcdef"
BAD_NAMES = [
    "Ana\r\nBcc: evil@attacker.example",
    "Ana\nX-Injected: 1",
    "Ana\rBcc: evil@attacker.example",
    "Ana\x00Bcc",
    "Ana\u2028Bcc: evil@attacker.example",
    "Ana\x85Bcc: evil@attacker.example",
    "Ana\x1b[31mRed",
    "Ana\x0bVT\x0cFF",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_display_name_keeps_the_words_and_drops_every_control(name: str) -> None:
    clean = display_name(name)
    assert clean.startswith("Ana ")
    assert all(c.isprintable() for c in clean), repr(clean)
    assert display_name(clean) == clean
    assert display_name("  Zoë  van\tden Berg ") == "Zoë van den Berg"
    assert display_name("علي\u200c رضا") == "علي\u200c رضا"  # ZWNJ is part of Persian names


def _message() -> RenderedMessage:
    return RenderedMessage(
        edition_key="2026-12", lang="en", subject="Hello [[name.n1]]", preheader="",
        html='<p>Hi [[name.n1]]</p><a href="[[unsubscribe_url.n1]]">u</a>',
        text="Hi [[name.n1]]\n[[unsubscribe_url.n1]]", nonce="n1",
    )  # fmt: skip


def test_outbox_writes_every_recipient_with_one_clean_to_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row stored with CR/LF in its name (before any check) reaches the provider as it is."""
    monkeypatch.setenv("HRC_TOKEN_SECRET", SECRET)
    settings = Settings()
    people = [(1, "ok@example.org", "Olga"), *(
        (i, f"p{i}@example.org", n) for i, n in enumerate(BAD_NAMES, 2)
    )]  # fmt: skip
    recipients = tuple(
        Recipient(
            subscriber_id=sid, email=email, name=name,
            params=recipient_params(settings, subscriber_id=sid, email=email, name=name, lang="en"),
        )
        for sid, email, name in people
    )  # fmt: skip
    batch = Batch(id=1, job_id=1, lang="en", message=_message(), recipients=recipients,
                  idempotency_key="k1")  # fmt: skip
    out = tmp_path / "outbox"
    result = asyncio.run(OutboxProvider(settings, directory=out).send(batch))
    assert result.accepted and len(result.message_ids) == len(people)
    files = sorted(out.rglob("*.eml"))
    assert len(files) == len(people)
    for f in files:
        raw = f.read_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0]
        starts = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n")]
        assert b"bcc" not in starts and b"x-injected" not in starts and b"\x00" not in head
        assert b"\x1b" not in raw
        m = message_from_bytes(raw, policy=policy.default)
        assert len(m.get_all("To")) == 1
        assert "\n" not in str(m["Subject"]) and "\u2028" not in str(m["Subject"])
        for part in m.walk():
            if part.get_content_maintype() == "text":
                body = part.get_content()
                assert "\x00" not in body and "\u2028" not in body and "\x1b" not in body


def test_names_are_stored_clean_through_import_and_the_subscribe_form(
    tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HRC_TOKEN_SECRET", SECRET)
    settings = Settings(store=StoreSettings(url=sqlite_store.url))
    csv = tmp_path / "people.csv"
    rows = ["email,name,status,consent_at"] + [
        f'p{i}@example.org,"{n}",subscribed,2024-01-02' for i, n in enumerate(BAD_NAMES)
    ]
    csv.write_bytes("\n".join(rows).encode("utf-8"))
    with sqlite_store.session() as s:
        result = import_csv(s, settings, csv)
        s.commit()
    assert not result.rejected, result.rejected
    with sqlite_store.session() as s:
        subscribe(s, settings, "form@example.org", name="Ana\r\nBcc: evil@attacker.example")
        s.commit()
    with sqlite_store.session() as s:
        names = list(s.scalars(select(SubscriberRow.name)))
    assert len(names) == len(BAD_NAMES) + 1
    for n in names:
        assert n == display_name(n) and n.startswith("Ana"), repr(n)
