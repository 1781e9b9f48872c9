"""Helpers for the mail-trust tests: DKIM keys, the DNS answer `gratitude dkim dns-record` prints, and an
SMTP server that keeps the raw bytes it received."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.management import call_command

from gratitude.notifications.transport.dkim import generate_rsa_key_pem
from gratitude.testing.smtp import SmtpSink

_RECORD = re.compile(r"^(?P<name>\S+)\. IN TXT \( (?P<strings>.+) \)$", re.MULTILINE)


def install_dkim_key(settings: Any, directory: Path, *, with_ed25519: bool = False) -> Path:
    key_file = directory / "dkim-rsa.pem"
    key_file.write_bytes(generate_rsa_key_pem())
    settings.GRATITUDE_DKIM_KEY_FILE = str(key_file)
    settings.GRATITUDE_DKIM_SELECTOR = "test2048"
    settings.GRATITUDE_DKIM_DOMAIN = "gratitude.example"
    settings.GRATITUDE_DKIM_ED25519_KEY_FILE = ""
    if with_ed25519:
        ed_file = directory / "dkim-ed25519.pem"
        ed_file.write_bytes(
            ed25519.Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        settings.GRATITUDE_DKIM_ED25519_KEY_FILE = str(ed_file)
        settings.GRATITUDE_DKIM_ED25519_SELECTOR = "test-ed"
    return key_file


def published_records() -> dict[str, str]:
    """The DKIM TXT records exactly as `gratitude dkim dns-record` prints them: name -> joined value."""
    out = io.StringIO()
    call_command("dkim", "dns-record", stdout=out)
    records = {}
    for match in _RECORD.finditer(out.getvalue()):
        records[match["name"]] = "".join(re.findall(r'"([^"]*)"', match["strings"]))
    return records


def dns_answering(records: dict[str, str]) -> Callable[..., bytes | None]:
    """A dkimpy `dnsfunc` that answers from `records` only (no network)."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        value = records.get(name.decode().rstrip("."))
        return value.encode() if value is not None else None

    return lookup


@dataclass
class RawSmtpSink(SmtpSink):
    """The real SMTP server of the tests, also keeping each message's bytes exactly as received."""

    raw: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.raw.append(bytes(envelope.original_content or envelope.content))
        return await super().handle_DATA(server, session, envelope)


def words(text: str) -> list[str]:
    """The words of a text, without links, punctuation or case: what both parts of a message must say."""
    text = re.sub(r"\b(?:https?://|www\.)\S+", " ", text)
    return re.findall(r"[\w']+", text.lower().replace("’", "'"))
