"""The SMTP provider against a real SMTP server on loopback (aiosmtpd), with STARTTLS and AUTH."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hrc_outreach.config import Settings
from hrc_outreach.deliver.providers import provider_for
from hrc_outreach.deliver.providers.smtp import SmtpProvider
from hrc_outreach.errors import ProviderError
from tests.support.provider_data import batch, recipient, run
from tests.support.smtp_relay import Inbox, free_port, smtp_table, start_relay


def authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"hrc", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def plain(inbox: Inbox) -> Iterator[Controller]:
    c = start_relay(inbox)
    yield c
    c.stop()


def smtp_settings(port: int, **smtp: Any) -> Settings:
    return Settings(delivery={"smtp": smtp_table(port, **smtp)})


def test_one_message_per_recipient_parses_with_everything(inbox: Inbox, plain: Controller) -> None:
    provider = provider_for(smtp_settings(plain.port), name="smtp", env={})
    b = batch(3)
    result = run(provider.send(b))
    assert result.accepted and set(result.message_ids) == {1, 2, 3} and not result.failed
    assert [rcpts for rcpts, _ in inbox.messages] == [[r.email] for r in b.recipients]
    for m, r in zip(inbox.parsed(), b.recipients, strict=True):
        assert m.get_content_type() == "multipart/alternative"
        text, html = m.get_body(("plain",)), m.get_body(("html",))
        assert text is not None and html is not None
        assert m["Date"] is not None and m["Message-ID"] == result.message_ids[r.subscriber_id]
        assert m["List-Unsubscribe"] == (
            f"<{r.params['unsubscribe_url']}>, "
            "<mailto:unsubscribe@humanrightscities.net?subject=unsubscribe>"
        )
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"Bonjour {r.name}," in text.get_content()
        assert r.params["preferences_url"] in html.get_content()
        assert "[[" not in text.get_content() + html.get_content()


def test_refused_recipients_are_reported_and_the_rest_sent(inbox: Inbox, plain: Controller) -> None:
    inbox.refuse["reader2@example.org"] = "550 5.1.1 No such user"
    provider = SmtpProvider(smtp_settings(plain.port))
    result = run(provider.send(batch(3)))
    assert set(result.message_ids) == {1, 3}
    assert result.failed == {2: "550 5.1.1 No such user"}
    assert len(inbox.messages) == 2


def test_421_before_anything_is_sent_is_retryable(inbox: Inbox, plain: Controller) -> None:
    inbox.data_answers.append("421 4.3.2 Service not available, closing channel")
    with pytest.raises(ProviderError) as err:
        run(SmtpProvider(smtp_settings(plain.port)).send(batch(2)))
    assert err.value.retryable and err.value.status == 421 and not err.value.in_doubt


def test_failure_midway_never_resends_what_went_out(inbox: Inbox, plain: Controller) -> None:
    inbox.data_answers.extend(["250 OK", "451 4.3.0 Try again later"])
    result = run(SmtpProvider(smtp_settings(plain.port)).send(batch(3)))
    assert set(result.message_ids) == {1}
    # 2 was refused with a temporary code, 3 never reached: both are safe to send again
    assert set(result.not_sent) == {2, 3} and not result.failed and not result.in_doubt
    assert all(v.startswith("not sent: ") for v in result.not_sent.values())


def test_nobody_listening_is_retryable() -> None:
    with pytest.raises(ProviderError) as err:
        run(SmtpProvider(smtp_settings(free_port())).send(batch(1)))
    assert err.value.retryable and not err.value.in_doubt


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_auth(inbox: Inbox) -> None:
    c = start_relay(inbox, authenticator=authenticator, auth_require_tls=False, auth_required=True)
    try:
        settings = smtp_settings(c.port, username="hrc")
        good = provider_for(settings, name="smtp", env={"HRC_SMTP_PASSWORD": "s3cret"})
        assert run(good.send(batch(1))).accepted
        bad = provider_for(settings, name="smtp", env={"HRC_SMTP_PASSWORD": "wrong"})
        with pytest.raises(ProviderError, match="authentication failed") as err:
            run(bad.send(batch(1)))
        assert not err.value.retryable
    finally:
        c.stop()
    assert len(inbox.messages) == 1


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        pytest.skip("the cryptography package is not installed: cannot make a test certificate")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hrc test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_starttls_and_auth(inbox: Inbox, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    c = start_relay(inbox, tls_context=server_ctx, require_starttls=True,
              authenticator=authenticator, auth_required=True)  # fmt: skip
    try:
        client_ctx = ssl.create_default_context(cafile=str(cert))
        settings = smtp_settings(c.port, starttls=True, username="hrc")
        tls = SmtpProvider(settings, password="s3cret", tls_context=client_ctx)
        assert run(tls.send(batch(2))).accepted
        # without STARTTLS the server refuses to go on
        no_tls = SmtpProvider(smtp_settings(c.port), tls_context=client_ctx)
        with pytest.raises(ProviderError):
            run(no_tls.send(batch(1)))
        # a certificate nobody vouches for is refused, nothing is sent
        untrusted = SmtpProvider(settings, password="s3cret")
        with pytest.raises(ProviderError):
            run(untrusted.send(batch(1)))
    finally:
        c.stop()
    assert len(inbox.messages) == 2
    assert all(m["List-Unsubscribe-Post"] for m in inbox.parsed())


def test_long_and_non_latin_messages_survive_the_wire(inbox: Inbox, plain: Controller) -> None:
    from tests.support.provider_data import message

    msg = message("uk", subject="Новини мережі міст прав людини — грудень 2026",
                  html="<p>Вітаємо, [[name]]!</p>" * 500, text="Вітаємо, [[name]]!\n" * 500)  # fmt: skip
    r = recipient(5, name="Олена Коваленко")
    result = run(SmtpProvider(smtp_settings(plain.port)).send(batch(recipients=(r,), msg=msg)))
    assert result.accepted
    (m,) = inbox.parsed()
    assert m["Subject"] == "Новини мережі міст прав людини — грудень 2026"
    assert m["To"].addresses[0].display_name == "Олена Коваленко"
    assert m.get_body(("plain",)).get_content().count("Вітаємо, Олена Коваленко!") == 500  # type: ignore[union-attr]
