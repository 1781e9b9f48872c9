"""A real SMTP server for tests and benchmarks (aiosmtpd), recording what it accepted.

Its `respond` hook lets a test make the server answer 451 (temporary) or 550 (permanent), or stall;
`refuse_sender` and `refuse_recipient` refuse MAIL or RCPT; `pipelining` has it announce PIPELINING
(RFC 2920), as Postfix and the providers' relays do (aiosmtpd reads pipelined commands in order either way).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    # Return None to accept, or an SMTP reply such as "451 try later" / "550 no such user".
    respond: Callable[[EmailMessage], str | None] = lambda message: None
    pipelining: bool = False
    # Return None to accept, or an SMTP reply such as "550 no such user", for MAIL FROM / each RCPT TO.
    refuse_sender: Callable[[str], str | None] = lambda address: None
    refuse_recipient: Callable[[str], str | None] = lambda address: None
    commands: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        self.commands.append(f"MAIL {address}")
        reply = self.refuse_sender(address)
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.commands.append(f"RCPT {address}")
        reply = self.refuse_recipient(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        reply = self.respond(message)
        if reply is not None:
            return reply
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]

    def count_by_header(self, header: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self._lock:
            for message in self.messages:
                counts[str(message[header])] = counts.get(str(message[header]), 0) + 1
        return counts

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return True
            time.sleep(0.05)
        return False
