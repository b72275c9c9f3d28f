"""SMTP relays on 127.0.0.1 (aiosmtpd) for the delivery tests: a free port, a relay started on it,
the ``[delivery.smtp]`` table that points the smtp provider at it, and two handlers: an
:class:`Inbox` that keeps what it receives, and a :class:`FaultyRelay` that faults the way real
relays do (temporary refusals on RCPT, once or for ever; a 421 that closes the session; a
connection dropped during DATA, the message kept or not)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_relay(handler: object, **kwargs: Any) -> Controller:
    """``handler`` served by aiosmtpd on a free 127.0.0.1 port (``.port``); stop it after."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


@contextmanager
def relay(handler: object, **kwargs: Any) -> Iterator[Controller]:
    """:func:`start_relay` for the length of a ``with`` block."""
    controller = start_relay(handler, **kwargs)
    try:
        yield controller
    finally:
        controller.stop()


def smtp_table(port: int, **extra: Any) -> dict[str, Any]:
    """The ``[delivery.smtp]`` table for a relay on ``port`` (5 s timeouts)."""
    return {"host": "127.0.0.1", "port": port, "timeout_seconds": 5, **extra}


class Inbox:
    """Keeps what it receives (``messages``: recipients and raw bytes); refuses the recipients a
    test names (``refuse``: address -> SMTP answer) and answers the next DATA commands with
    ``data_answers`` (then 250)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: dict[str, str] = {}
        self.data_answers: list[str] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:  # fmt: skip  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_answers:
            return self.data_answers.pop(0)
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def parsed(self) -> list[EmailMessage]:
        """Every message received, parsed."""
        out = []
        for _, raw in self.messages:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(m, EmailMessage)
            out.append(m)
        return out


class FaultyRelay:
    """A relay that counts what it delivers per recipient (``received``) and faults on request.

    RCPT: ``always_4xx`` refused 450 every time, ``once_4xx`` refused 451 the first time,
    ``close_421`` refused 421 the first time (smtplib then closes the session).
    DATA: the connection is dropped without an answer for a message to one of ``drop_data`` (the
    first time), and for every message after the ``drop_after``-th of a session; a dropped
    message is delivered all the same when ``keep`` (delivered, answer lost).
    """

    def __init__(self, *, drop_after: int | None = None, keep: bool = False) -> None:
        self.always_4xx: set[str] = set()
        self.once_4xx: set[str] = set()
        self.close_421: set[str] = set()
        self.drop_data: set[str] = set()
        self.drop_after = drop_after
        self.keep = keep
        self.received: Counter[str] = Counter()
        self.rcpt_tries: Counter[str] = Counter()
        self.per_session: Counter[int] = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:  # noqa: N802
        with self.lock:
            self.rcpt_tries[address] += 1
            first = self.rcpt_tries[address] == 1
        if address in self.always_4xx:
            return "450 4.2.1 mailbox busy, try later"
        if address in self.once_4xx and first:
            return "451 4.7.1 greylisted, try later"
        if address in self.close_421 and first:
            return "421 4.7.0 too many messages this session"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.per_session[id(session)] += 1
            named = {r for r in envelope.rcpt_tos if r in self.drop_data}
            self.drop_data -= named
            late = self.drop_after is not None and self.per_session[id(session)] > self.drop_after
            drop = bool(named) or late
            if not drop or self.keep:
                for rcpt in envelope.rcpt_tos:
                    self.received[rcpt] += 1
        if drop:
            server.transport.close()
        return "250 OK"
