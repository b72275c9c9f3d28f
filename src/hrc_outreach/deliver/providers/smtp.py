"""Real SMTP: one message per recipient, built by :mod:`hrc_outreach.deliver.mime`.

``[delivery.smtp]`` ``host``/``port``, STARTTLS (``starttls``) or implicit TLS (``ssl``),
AUTH when ``username`` is set (password: ``HRC_SMTP_PASSWORD``). stdlib ``smtplib`` runs in a
worker thread, one connection per batch.

Failures are per recipient: a refused recipient (RCPT 5xx) is ``failed``, a temporary refusal
(RCPT 4xx) ``not_sent`` (sent again), and the batch goes on. A session failure (connect, 421,
4xx/5xx on MAIL or DATA) raises :class:`ProviderError` when nothing of the batch was handed over
yet and the server answered with a code (retryable for 4xx and network faults before the first
message); once some messages went out, or when the connection dropped without
an answer (even on the first message), the batch is reported per recipient: accepted for those
that went out, the message being sent when the connection dropped ``in_doubt`` (or failed/not sent
when the server answered with a code), and everyone after it ``not_sent``, so nobody is mailed
twice, nobody is lost, and only the one person whose message was cut off waits for a person.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

import httpx

from hrc_outreach.config import Settings, Table
from hrc_outreach.deliver.base import SuppressionEvent
from hrc_outreach.deliver.mime import address, build_message, message_id
from hrc_outreach.errors import ProviderError
from hrc_outreach.models import Batch, Recipient, SendResult


class _Abort(Exception):
    """A session failure after some messages went out."""


@dataclass
class _Outcome:
    """Each recipient's outcome in one SMTP session."""

    ids: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    in_doubt: dict[int, str] = field(default_factory=dict)
    not_sent: dict[int, str] = field(default_factory=dict)

    def rest_not_sent(self, batch: Batch, i: int, why: str) -> None:
        for rest in batch.recipients[i + 1 :]:
            self.not_sent[rest.subscriber_id] = f"not sent: {why}"


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "smtp_code", None)
    return int(code) if isinstance(code, int) else None


class SmtpSettings(Table):
    """``[delivery.smtp]``: the relay."""

    host: str = "localhost"
    port: int = 25
    starttls: bool = False  # STARTTLS after connecting
    username: str = ""  # AUTH user; the password is HRC_SMTP_PASSWORD
    ssl: bool = False  # implicit TLS (port 465) instead of STARTTLS
    timeout_seconds: float = 30.0


class SmtpProvider:
    name: ClassVar[str] = "smtp"
    settings_model: ClassVar[type[Table]] = SmtpSettings
    max_recipients: ClassVar[int] = 100  # messages per connection
    idempotent: ClassVar[bool] = False
    idempotency_window_seconds: ClassVar[float] = 0.0

    async def lookup(self, batch: Batch) -> dict[int, str] | None:
        return None  # a relay keeps no log we can read

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        *,
        password: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.options = settings.delivery.provider_settings(self.name, SmtpSettings)
        self._password = password
        self.tls_context = tls_context or ssl.create_default_context()

    def __repr__(self) -> str:
        o = self.options
        return f"SmtpProvider({o.host}:{o.port})"

    @property
    def where(self) -> str:
        o = self.options
        return f"smtp://{o.host}:{o.port}"

    def _connect(self) -> smtplib.SMTP:
        o = self.options
        conn: smtplib.SMTP
        if o.ssl:
            conn = smtplib.SMTP_SSL(
                o.host, o.port, timeout=o.timeout_seconds, context=self.tls_context
            )
        else:
            conn = smtplib.SMTP(o.host, o.port, timeout=o.timeout_seconds)
        try:
            conn.ehlo()
            if o.starttls and not o.ssl:
                conn.starttls(context=self.tls_context)
                conn.ehlo()
            if o.username:
                conn.login(o.username, self._password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def _error(self, exc: BaseException, *, in_doubt: bool = False) -> ProviderError:
        code = _code(exc)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ProviderError(
                f"{self.where}: authentication failed ({code}); check [delivery.smtp] username "
                "and HRC_SMTP_PASSWORD",
                provider=self.name,
                status=code,
            )
        retryable = code is None or 400 <= code < 500
        return ProviderError(
            f"{self.where}: {type(exc).__name__}: {exc}"
            + ("; the message may have been delivered" if in_doubt else ""),
            provider=self.name,
            status=code,
            retryable=retryable,
            in_doubt=in_doubt,
        )

    def _send_all(self, batch: Batch) -> SendResult:
        out = _Outcome()
        try:
            conn = self._connect()
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc) from exc
        try:
            for i, r in enumerate(batch.recipients):
                self._send_one(conn, batch, i, r, out)
        except _Abort:
            pass
        finally:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()
        if not out.ids and not out.in_doubt and not out.not_sent:
            first = next(iter(out.failed.values()), "no recipients")
            raise ProviderError(
                f"{self.where} refused every recipient of batch {batch.id}: {first}",
                provider=self.name,
            )
        return SendResult(
            accepted=True,
            message_ids=out.ids,
            failed=out.failed,
            in_doubt=out.in_doubt,
            not_sent=out.not_sent,
            detail=f"smtp accepted {len(out.ids)}, refused {len(out.failed)}, in doubt "
            f"{len(out.in_doubt)}, not sent {len(out.not_sent)}",
        )

    def _send_one(
        self, conn: smtplib.SMTP, batch: Batch, i: int, r: Recipient, out: _Outcome
    ) -> None:
        """One recipient's message on the open session, its outcome noted in ``out``; raises
        :class:`_Abort` when the session broke (everyone after ``r`` is then not sent)."""
        mid = message_id(batch.idempotency_key, r.subscriber_id, self.settings)
        try:
            to = address(r.email).addr_spec
            m = build_message(
                batch.message, r, self.settings, headers=batch.headers, test=batch.test, msgid=mid
            )
            conn.send_message(m, from_addr=self.settings.delivery.from_email, to_addrs=[to])
        except ProviderError as exc:  # an address we cannot write
            out.failed[r.subscriber_id] = str(exc)
            return
        except (UnicodeError, ValueError) as exc:
            out.failed[r.subscriber_id] = f"cannot encode the message: {exc}"
            return
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            why = f"{code} {text.decode(errors='replace')}"
            if 400 <= code < 500:  # a temporary refusal: nothing was taken, try again
                out.not_sent[r.subscriber_id] = f"not sent: {why}"
            else:
                out.failed[r.subscriber_id] = why
            if getattr(conn, "sock", None) is None:
                # smtplib closes the session on a 421 (or a drop while resetting): the people
                # after this one were never handed over
                out.rest_not_sent(batch, i, f"the relay closed ({why})")
                raise _Abort from exc
            return
        except (smtplib.SMTPException, OSError) as exc:
            # The session broke on this message. An answer with a code means the server refused
            # it (4xx: try again, 5xx: failed); no answer (a dropped connection, a timeout) means
            # it may have been delivered. Nobody after it was sent.
            answered = isinstance(exc, smtplib.SMTPResponseException)
            if not out.ids and not out.failed and not out.not_sent and answered:
                raise self._error(exc) from exc  # refused before anything went out
            why = str(self._error(exc))
            rcode = _code(exc)
            if rcode is None:
                out.in_doubt[r.subscriber_id] = f"in doubt: {why}"
            elif rcode >= 500:
                out.failed[r.subscriber_id] = why
            else:
                out.not_sent[r.subscriber_id] = f"not sent: {why}"
            out.rest_not_sent(batch, i, f"the connection broke ({why})")
            raise _Abort from exc
        out.ids[r.subscriber_id] = mid

    async def send(self, batch: Batch) -> SendResult:
        return await asyncio.to_thread(self._send_all, batch)

    async def suppressions(self, since: datetime) -> list[SuppressionEvent]:
        return []  # a relay keeps no bounce list we can read; bounces arrive as mail

    async def aclose(self) -> None:
        return None
