"""The bytes of one of our messages as it goes on the wire, written directly rather than through the email
package's generator, which cost more per message than rendering it (docs/benchmarks.md).

Our messages have one shape: ASCII headers we wrote ourselves (plus a Subject that may need RFC 2047
encoding), and a text part and an HTML alternative, both UTF-8 in quoted-printable (so no relay needs to
re-encode them and break the DKIM body hash). Anything else, say an attachment or a header we did not
expect, goes through Django's `message()` as before; `compose` returns None and the caller uses that.
Tests parse what this writes with the email package and verify its DKIM signature (test_wire.py).
"""

from __future__ import annotations

import binascii
import re
import secrets
from email.utils import formatdate
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

CRLF = "\r\n"
# RFC 5322: a header line may not exceed 998 characters; longer ones go the slow, folding way.
MAX_LINE = 998
# An encoded word may be 75 characters: 45 bytes of UTF-8 are 60 of base64, plus "=?utf-8?b?" and "?=".
ENCODED_WORD_BYTES = 45
# A bare ASCII address (dot-atom local part, LDH domain labels of 1 to 63 characters): sanitize_address
# would hand it back unchanged, so it is written as it is. Anything else goes the careful way.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]{{1,63}}(?:\.[A-Za-z0-9-]{{1,63}})*")


def compose(message: EmailMultiAlternatives) -> bytes | None:
    """The wire bytes (CRLF line endings) of a text + HTML message, or None if it has another shape."""
    if (
        message.attachments
        or message.cc
        or message.bcc
        or message.reply_to
        or len(message.alternatives) != 1
        or message.alternatives[0][1] != "text/html"
        or message.content_subtype != "plain"
        or (message.encoding or settings.DEFAULT_CHARSET).lower() != "utf-8"
    ):
        return None
    headers = _headers(message)
    if headers is None:
        return None
    boundary = f"=_{secrets.token_hex(16)}"
    text = _quoted_printable(str(message.body))
    html = _quoted_printable(str(message.alternatives[0][0]))
    if boundary in text or boundary in html:
        return None  # never in practice: 128 random bits
    headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
    head = "".join(f"{name}: {value}{CRLF}" for name, value in headers)
    body = (
        f"--{boundary}{CRLF}{_part_headers('plain')}{CRLF}{text}{CRLF}"
        f"--{boundary}{CRLF}{_part_headers('html')}{CRLF}{html}{CRLF}"
        f"--{boundary}--{CRLF}"
    )
    return f"{head}{CRLF}{body}".encode("ascii")


def _headers(message: EmailMultiAlternatives) -> list[tuple[str, str]] | None:
    extra = {str(name): str(value) for name, value in message.extra_headers.items()}
    lowered = {name.lower() for name in extra}
    if lowered & {"from", "to", "subject", "content-type", "mime-version", "content-transfer-encoding"}:
        return None
    headers = [
        ("From", header_address(message.from_email)),
        ("To", ", ".join(header_address(address) for address in message.to)),
        ("Subject", _subject(str(message.subject))),
        ("MIME-Version", "1.0"),
    ]
    if "date" not in lowered:
        headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
    headers += list(extra.items())
    for name, value in headers:
        if not value.isascii() or "\r" in value or "\n" in value or len(name) + len(value) + 2 > MAX_LINE:
            if name == "Subject" and "\r\n " in value:
                continue  # RFC 2047 encoded and folded by _subject below
            return None
    if "message-id" not in lowered:
        return None  # ours always carry one (rendering.new_message_id)
    return headers


def _subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if subject.isascii():
        return _fold_words(subject, first_line_taken=len("Subject: "))
    return _encoded_words(subject)


def _encoded_words(value: str) -> str:
    """RFC 2047 "B" encoded words of at most 45 UTF-8 bytes (76 characters each), never splitting a
    character, one per folded line."""
    words: list[str] = []
    chunk = bytearray()
    for char in value:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > ENCODED_WORD_BYTES:
            words.append(_b_word(chunk))
            chunk = bytearray()
        chunk += encoded
    if chunk:
        words.append(_b_word(chunk))
    return f"{CRLF} ".join(words)


def _b_word(data: bytes | bytearray) -> str:
    return f"=?utf-8?b?{binascii.b2a_base64(bytes(data), newline=False).decode('ascii')}?="


def header_address(address: str, encoding: str = "utf-8") -> str:
    """The address as a header (and the SMTP envelope) writes it: Django's sanitize_address (display names
    encoded, IDNA domains). A bare ASCII address, which nearly every recipient's is, is already in that
    form; parsing it cost more than anything else in the headers (docs/benchmarks.md)."""
    if len(address) <= 254 and _PLAIN_ADDRESS.fullmatch(address):
        return address
    return _sanitized(address, encoding)


@lru_cache(maxsize=64)
def _sanitized(address: str, encoding: str) -> str:
    # Remembered: the From address, with its display name, is the same on every message.
    return sanitize_address(address, encoding)


def _fold_words(value: str, *, first_line_taken: int, width: int = 78) -> str:
    """Fold at spaces so lines stay within `width` where a word allows it (RFC 5322 2.2.3)."""
    lines: list[str] = []
    line = ""
    room = width - first_line_taken
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line, room = word, width - 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return f"{CRLF} ".join(lines)


def _part_headers(subtype: str) -> str:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"MIME-Version: 1.0{CRLF}"
        f"Content-Transfer-Encoding: quoted-printable{CRLF}"
    )


def _quoted_printable(text: str) -> str:
    # CRLF first, so b2a_qp keeps hard line breaks as CRLF and writes its soft breaks the same way.
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)
    return binascii.b2a_qp(normalized.encode("utf-8"), istext=True).decode("ascii")
